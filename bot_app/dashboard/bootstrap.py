"""Building the dashboard from the settings: called once by the composition root."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from bot_app.cases.views import CaseViews
from bot_app.core.service_urls import LOOPBACK_HOSTS
from bot_app.core.signed_links import Directory
from bot_app.core.transactions import Transactions
from bot_app.dashboard.action_plans import ActionPlans, StoredActionPlans
from bot_app.dashboard.handler_context import Dashboard
from bot_app.dashboard.services import DashboardSettings
from bot_app.dashboard.sessions import session_key
from bot_app.dashboard.tokens import ENTRA_OPENID_METADATA, SigningKeys, SsoSettings, TeamsTokens
from bot_app.settings import Settings


def is_local(settings: Settings) -> bool:
    """``make run``: no app credentials, listening on this machine only."""
    return not settings.auth_enabled and settings.host in LOOPBACK_HOSTS


def build_dashboard(
    settings: Settings,
    *,
    tx: Transactions,
    directory: Directory,
    views: CaseViews,
    signing_key: bytes,
    now: Callable[[], datetime],
    plans: ActionPlans | None = None,
) -> Dashboard:
    sso = SsoSettings(
        app_id=settings.microsoft_app_id,
        public_base_url=settings.public_base_url,
        allowed_tenants=settings.allowed_tenant_ids,
    )
    keys = SigningKeys(settings.tab_openid_metadata_url or ENTRA_OPENID_METADATA)
    return Dashboard(
        tx=tx,
        directory=directory,
        settings=DashboardSettings(
            partnership=settings.partnership_name,
            calendar=views.settings.calendar,
            views=views,
            signing_key=signing_key,
        ),
        tokens=TeamsTokens(sso, keys),
        plans=plans or StoredActionPlans(default_owner=settings.action_plan_owner),
        session_key=session_key(signing_key),
        session_lifetime=timedelta(minutes=settings.tab_session_minutes),
        local=is_local(settings),
        now=now,
    )
