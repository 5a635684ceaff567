"""Teams single sign-on for the dashboard tab, through real HTTP with a deployment's settings.

No network is reachable, so Entra's OpenID configuration and signing keys are served
locally, as for the bot's own tokens (``SigningKeys`` of ``test_security.py``), and the
tab is pointed at them with ``TAB_OPENID_METADATA_URL``. Tokens are signed here as Entra
signs a Teams SSO token: RS256, audience ``api://<host>/<app id>``, issuer Entra's for the
tenant, the user's ``oid`` and ``tid``. Times are the bot's clock (``FIXED_NOW``).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from bot_app.admin.directory_file import DEMO_DIRECTORY
from bot_app.dashboard.sessions import session_key, sign_session
from bot_app.keys import data_keys, export_signing_key
from tests.e2e.conftest import FIXED_NOW, BotUnderTest
from tests.e2e.dashboard_support import Browser, store_dashboard_cases, visible_text
from tests.e2e.seed import HUB
from tests.e2e.test_security import APP_ID, FOREIGN_TENANT, SigningKeys, secured, signing_keys
from tests.harness.activities import TENANT_ID

# Signing in behaves the same on either database (the dashboard pages run on both).
pytestmark = pytest.mark.sqlite_only

__all__ = ["signing_keys"]  # the fixture, shared with the bot's own token tests

AUDIENCE = f"api://cspr.example.org/{APP_ID}"
ISSUER_V2 = f"https://login.microsoftonline.com/{TENANT_ID}/v2.0"
ISSUER_V1 = f"https://sts.windows.net/{TENANT_ID}/"
NOW = int(FIXED_NOW.timestamp())


def sso_token(keys: SigningKeys, *, key: Any = None, kid: str | None = None, **claims: Any) -> str:
    """A Teams SSO token for Priya Shah (Hub officer), valid at ``FIXED_NOW``."""
    payload = {
        "aud": AUDIENCE,
        "iss": ISSUER_V2,
        "tid": TENANT_ID,
        "oid": HUB.aad_object_id,
        "name": HUB.name,
        "scp": "access_as_user",
        "iat": NOW - 60,
        "nbf": NOW - 60,
        "exp": NOW + 3600,
        **claims,
    }
    payload = {k: v for k, v in payload.items() if v is not None}
    return jwt.encode(
        payload, key or keys.private_key, algorithm="RS256", headers={"kid": kid or keys.kid}
    )


@pytest.fixture
async def tab(make_bot: Callable[..., Any], signing_keys: SigningKeys) -> BotUnderTest:
    bot: BotUnderTest = await make_bot(
        **secured(
            signing_keys,
            tab_openid_metadata_url=signing_keys.metadata_url,
            # The demo people, as a deployment's directory file: Priya is a Hub officer.
            directory_file=str(DEMO_DIRECTORY),
        )
    )
    await store_dashboard_cases(bot.settings)
    return bot


async def sign_in(bot: BotUnderTest, token: str | None) -> tuple[int, Any, str]:
    body = {} if token is None else {"token": token}
    response = await bot.client.post("/tab/auth/teams", json=body)
    text = await response.text()
    return response.status, json.loads(text), response.headers.get("Set-Cookie", "")


async def test_a_teams_token_signs_the_person_in_with_a_secure_short_lived_cookie(
    tab: BotUnderTest, signing_keys: SigningKeys
) -> None:
    status, body, cookie = await sign_in(tab, sso_token(signing_keys))
    browser = Browser(tab.client)
    browser.cookie = cookie.split(";")[0].removeprefix("cspr_tab=")
    page = await browser.get("/tab")

    assert (status, body) == (200, {"name": "Priya Shah"})
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")}
    assert {"httponly", "secure", "partitioned", "max-age", "path"} <= attributes
    assert "SameSite=None" in cookie
    assert "Max-Age=1800" in cookie
    assert "Path=/tab" in cookie
    assert page.status == 200
    assert "Signed in as Priya Shah" in visible_text(page.text)
    assert "development sign-in" not in page.text
    assert "NL-2026-0001" in page.text


async def test_a_v1_token_for_the_bare_app_id_is_accepted_too(
    tab: BotUnderTest, signing_keys: SigningKeys
) -> None:
    status, body, cookie = await sign_in(tab, sso_token(signing_keys, aud=APP_ID, iss=ISSUER_V1))

    assert (status, body) == (200, {"name": "Priya Shah"})
    assert cookie.startswith("cspr_tab=")


def _other_key() -> Any:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.mark.parametrize(
    ("make_token", "status"),
    [
        (lambda keys: None, 401),
        (lambda keys: "garbage", 401),
        (lambda keys: "not.a.jwt", 401),
        (lambda keys: sso_token(keys, key=_other_key()), 401),
        (lambda keys: sso_token(keys, kid=uuid.uuid4().hex), 401),
        (lambda keys: sso_token(keys, aud="api://cspr.example.org/another-app"), 401),
        (lambda keys: sso_token(keys, aud=None), 401),
        (lambda keys: sso_token(keys, iss="https://attacker.example/v2.0"), 401),
        (
            lambda keys: sso_token(
                keys, iss=f"https://login.microsoftonline.com/{FOREIGN_TENANT}/v2.0"
            ),
            401,
        ),
        (lambda keys: sso_token(keys, exp=NOW - 3600, nbf=NOW - 7200), 401),
        (lambda keys: sso_token(keys, nbf=NOW + 3600, exp=NOW + 7200), 401),
        (lambda keys: sso_token(keys, oid=None), 401),
        (
            lambda keys: sso_token(
                keys,
                tid=FOREIGN_TENANT,
                iss=f"https://login.microsoftonline.com/{FOREIGN_TENANT}/v2.0",
            ),
            403,
        ),
        (
            lambda keys: jwt.encode(
                {"aud": AUDIENCE, "iss": ISSUER_V2, "tid": TENANT_ID, "oid": "x", "exp": NOW + 60},
                "a-shared-secret-that-is-long-enough-for-hs256",
                algorithm="HS256",
                headers={"kid": keys.kid},
            ),
            401,
        ),
    ],
    ids=[
        "no-token",
        "garbage",
        "malformed-jwt",
        "forged-with-another-key",
        "unknown-key-id",
        "wrong-audience",
        "no-audience",
        "wrong-issuer",
        "issuer-of-another-tenant",
        "expired",
        "not-yet-valid",
        "no-user",
        "another-tenant",
        "hs256-not-rs256",
    ],
)
async def test_a_token_that_fails_a_check_is_refused_and_no_session_starts(
    tab: BotUnderTest, signing_keys: SigningKeys, make_token: Any, status: int
) -> None:
    token = make_token(signing_keys)

    got, body, cookie = await sign_in(tab, token)
    page = await Browser(tab.client).get("/tab")

    assert got == status
    assert set(body) == {"error"}
    assert "Traceback" not in json.dumps(body)
    assert cookie == ""
    assert page.status == 401
    assert "NL-2026-" not in page.text


async def test_a_post_from_another_site_cannot_sign_anyone_in(
    tab: BotUnderTest, signing_keys: SigningKeys
) -> None:
    response = await tab.client.post(
        "/tab/auth/teams",
        json={"token": sso_token(signing_keys)},
        headers={"Origin": "https://attacker.example"},
    )

    assert response.status == 403
    assert "Set-Cookie" not in response.headers


async def test_sign_in_is_unavailable_not_broken_when_the_keys_cannot_be_fetched(
    make_bot: Callable[..., Any], signing_keys: SigningKeys
) -> None:
    bot: BotUnderTest = await make_bot(
        **secured(signing_keys, tab_openid_metadata_url="http://127.0.0.1:9/openid")
    )

    status, body, cookie = await sign_in(bot, sso_token(signing_keys))

    assert status == 503
    assert body == {"error": "Sign-in is temporarily unavailable; try again later."}
    assert cookie == ""


async def test_the_development_sign_in_is_refused_when_not_local(
    tab: BotUnderTest,
) -> None:
    form = await Browser(tab.client).get("/tab/dev-login")
    posted = await tab.client.post(
        "/tab/dev-login", data={"person": HUB.aad_object_id}, allow_redirects=False
    )
    signing = export_signing_key(tab.settings, data_keys(tab.settings))
    development = sign_session(
        session_key(signing),
        HUB.aad_object_id,
        via="development",
        now=FIXED_NOW,
        lifetime=timedelta(minutes=30),
    )
    browser = Browser(tab.client)
    browser.cookie = development
    page = await browser.get("/tab")
    signin = await Browser(tab.client).get("/tab")

    assert form.status == 403
    assert "only available in local mode" in form.text
    assert posted.status == 403
    assert "Set-Cookie" not in posted.headers
    assert page.status == 401, "a development session does not work in a deployment"
    assert "Development sign-in" not in signin.text
