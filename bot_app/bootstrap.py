"""The composition root: the one place that builds settings, engine, adapter and bot."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from types import SimpleNamespace

from aiohttp import web
from botbuilder.core import ConversationState, UserState
from botbuilder.dialogs import DialogSet
from botbuilder.integration.aiohttp import (
    CloudAdapter,
    ConfigurationBotFrameworkAuthentication,
)

from bot_app.bot import BotDeps, SafeguardingBot
from bot_app.components import COMPONENTS, Components
from bot_app.directory import directory_source, import_on_startup
from bot_app.directory_file import load_directory_file
from bot_app.evidence_http import EvidenceService, add_evidence_routes
from bot_app.features.admin import Admin
from bot_app.features.basics import Basics
from bot_app.features.cases import DEFAULT_AGENCIES, Cases, CaseSettings
from bot_app.features.disputes import Disputes
from bot_app.features.evidence import Evidence
from bot_app.features.notify import Notify
from bot_app.features.rapid_review import RapidReview, RapidReviewSettings
from bot_app.features.reminders import install as install_reminders
from bot_app.http import add_routes
from bot_app.identity import Directory, SqlDirectory
from bot_app.keys import cipher, data_keys, export_signing_key
from bot_app.notify import DirectoryPeople, People
from bot_app.rapid_review_export import DocumentLinks, DocumentService, add_document_routes
from bot_app.retention import policy_from
from bot_app.routing import Router
from bot_app.scheduler import REMINDERS
from bot_app.security import channel_auth_configuration, check_settings, protect_logs
from bot_app.settings import Settings
from bot_app.turn_errors import make_on_turn_error
from dialogs.agency_report import AgencyReportDialog
from dialogs.dispute import RaiseDisputeDialog
from dialogs.notification import NotificationDialog
from dialogs.notification_form import FormOptions
from storage.bot_state import SqlStorage
from storage.db import create_engine, session_factory


def _utc_now() -> datetime:
    return datetime.now(UTC)


def build_adapter(settings: Settings) -> CloudAdapter:
    """CloudAdapter with the app's credentials; with no app id, no token is checked."""
    configuration = SimpleNamespace(
        APP_ID=settings.microsoft_app_id,
        APP_PASSWORD=settings.microsoft_app_password.get_secret_value(),
        APP_TYPE=settings.microsoft_app_type,
        APP_TENANTID=settings.microsoft_app_tenant_id,
        **channel_auth_configuration(settings),
    )
    return CloudAdapter(ConfigurationBotFrameworkAuthentication(configuration))


def build_app(
    settings: Settings,
    *,
    now: Callable[[], datetime] = _utc_now,
    directory: Directory | None = None,
    people: People | None = None,
) -> web.Application:
    """The aiohttp application. The database must already be migrated.

    ``directory`` (who has which role) and ``people`` (who holds a role, for reminders) may be
    given by tests; by default both come from the partnership's directory in the database.
    """
    check_settings(settings)  # refuse unsafe settings before touching anything
    protect_logs()
    engine = create_engine(settings.database_url)
    sessions = session_factory(engine)
    # Who holds a role (Hub officers, agency leads): for reminders and other proactive posts.
    people = people or DirectoryPeople(sessions)
    # Case details, agency reports and dialog drafts are encrypted with cipher(data_keys_).
    data_keys_ = data_keys(settings)
    storage = SqlStorage(sessions, cipher=cipher(data_keys_))
    conversation_state = ConversationState(storage)
    user_state = UserState(storage)
    dialogs = DialogSet(conversation_state.create_property("DialogState"))
    calendar = settings.calendar()
    clocks = settings.clocks()

    router = Router()
    basics = Basics(
        router=router,
        partnership=settings.partnership_name,
        calendar=calendar,
        clocks=clocks,
        convention=settings.counting_convention,
    )
    basics.register(router)

    # Security, the directory, the evidence trail (issue 4).
    directory = directory or SqlDirectory(
        sessions, default_roles=frozenset(settings.unknown_people_roles)
    )
    directory_path = directory_source(settings)
    directory_file = load_directory_file(directory_path) if directory_path else None
    evidence = EvidenceService(
        sessions=sessions,
        directory=directory,
        partnership=settings.partnership_name,
        calendar=calendar,
        clocks=clocks,
        convention=settings.counting_convention,
        signing_key=export_signing_key(settings, data_keys_),
        public_base_url=settings.public_base_url,
        now=now,
    )
    Admin(
        sessions=sessions,
        calendar=calendar,
        retention=policy_from(settings),
        reference_prefix=settings.reference_prefix,
    ).register(router)
    Evidence(service=evidence, reference_prefix=settings.reference_prefix).register(router)

    # The notification journey and the case queries (issue 3).
    cases = Cases(
        sessions=sessions,
        settings=CaseSettings(
            reference_prefix=settings.reference_prefix,
            calendar=calendar,
            clocks=clocks,
            convention=settings.counting_convention,
            hub_contact=settings.hub_contact,
            dispute_policy=settings.dispute_policy(),
        ),
        people=people,
        cipher=cipher(data_keys_),
    )
    cases.register(router)
    form_options = FormOptions(
        agencies=tuple(a.name for a in directory_file.agencies)
        if directory_file and directory_file.agencies
        else DEFAULT_AGENCIES,
        names_allowed=settings.allow_child_names,
    )
    dialogs.add(
        NotificationDialog(
            options=lambda: form_options, submit=cases.submit, panel_due=cases.panel_due
        )
    )
    Notify(dialogs=dialogs, sessions=sessions).register(router)

    # The rapid review and the decision (issue 6): reports, the vote, partners, the Panel.
    document_links = DocumentLinks(
        signing_key=evidence.signing_key,
        public_base_url=settings.public_base_url,
        calendar=calendar,
        now=now,
    )
    rapid_review = RapidReview(
        sessions=sessions,
        settings=RapidReviewSettings(
            reference_prefix=settings.reference_prefix,
            calendar=calendar,
            clocks=clocks,
            convention=settings.counting_convention,
            default_agencies=form_options.agencies,
            vote_rule=settings.vote_rule(),
            vote_working_days=settings.rapid_review_vote_working_days,
            partner_confirmations=settings.rapid_review_partner_confirmations,
        ),
        people=people,
        cipher=cipher(data_keys_),
        cases=cases,
        dialogs=dialogs,
        links=document_links,
    )
    rapid_review.register(router)
    dialogs.add(AgencyReportDialog(submit=rapid_review.submit_report))

    # Differences of opinion (issue 7): raise, the three-stage ladder, resolve.
    disputes = Disputes(
        sessions=sessions,
        calendar=calendar,
        policy=settings.dispute_policy(),
        people=people,
        dialogs=dialogs,
        hub_cards=cases,
        reference_prefix=settings.reference_prefix,
    )
    disputes.register(router)
    dialogs.add(
        RaiseDisputeDialog(
            submit=disputes.submit, stage_days=settings.dispute_policy().stage_days[0]
        )
    )

    adapter = build_adapter(settings)
    adapter.on_turn_error = make_on_turn_error(conversation_state, storage)
    # Channels, reminders, the scheduler and the outbox sender (issue 5).
    reminders = install_reminders(
        settings,
        router=router,
        sessions=sessions,
        adapter=adapter,
        calendar=calendar,
        clocks=clocks,
        people=people,
    )
    reminders.scheduler.add_pass("dispute timers", disputes.tick)  # issue 7
    reminders.scheduler.add_pass("vote deadlines", rapid_review.close_due_votes)  # issue 6
    bot = SafeguardingBot(
        BotDeps(
            router=router,
            directory=directory,
            calendar=calendar,
            conversation_state=conversation_state,
            user_state=user_state,
            dialogs=dialogs,
            welcome=basics.welcome,
            now=now,
            observers=(reminders.observer,),
        )
    )

    app = web.Application()
    app[COMPONENTS] = Components(settings=settings, engine=engine, adapter=adapter, bot=bot)
    add_routes(app)
    app[REMINDERS] = reminders
    add_evidence_routes(app, evidence)
    add_document_routes(
        app,
        DocumentService(
            sessions=sessions,
            directory=directory,
            cipher=cipher(data_keys_),
            links=document_links,
            partnership=settings.partnership_name,
            clocks=clocks,
            convention=settings.counting_convention,
            include_initials=settings.rapid_review_export_initials,
        ),
    )
    if directory_file is not None:
        app.on_startup.append(import_on_startup(sessions, directory_file))

    async def dispose_engine(_app: web.Application) -> AsyncIterator[None]:
        yield
        await engine.dispose()

    app.cleanup_ctx.append(dispose_engine)
    app.cleanup_ctx.append(reminders.lifecycle(now))  # stops before the engine is disposed
    return app
