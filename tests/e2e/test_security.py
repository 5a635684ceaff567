"""Authentication and the tenant allow-list, through the real HTTP app and CloudAdapter.

No network is reachable, so the tests publish their own Bot Framework signing key: a local
OpenID metadata + JWKS endpoint (served from a thread, because botbuilder fetches keys with
blocking ``requests`` calls) that the adapter is pointed at through the
``TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL`` setting. Tokens are then signed here exactly as
the Bot Framework signs them: RS256, issuer ``https://api.botframework.com``, audience the
app id, a ``serviceurl`` claim, and a key endorsed for ``msteams``.
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
import pytest
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from sqlalchemy import text

from bot_app.bootstrap import build_app
from bot_app.security import ConfigurationError
from bot_app.teams.http import MAX_BODY_BYTES
from storage.db import create_engine
from tests.e2e.conftest import BotUnderTest, Reply, settings_for
from tests.e2e.seed import ADMIN, PRACTITIONER
from tests.harness.activities import TENANT_ID, Teams

# The Teams edge behaves the same on either database (the journeys run on both).
pytestmark = pytest.mark.sqlite_only

APP_ID = "3f2a7c1e-9b4d-4e8f-a1c2-5d6e7f8091a2"
ISSUER = "https://api.botframework.com"
FOREIGN_TENANT = "99999999-aaaa-4bbb-8ccc-dddddddddddd"


class SigningKeys:
    """A local stand-in for login.botframework.com's OpenID metadata and signing keys."""

    def __init__(self) -> None:
        self.private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = uuid.uuid4().hex
        jwk = json.loads(RSAAlgorithm.to_jwk(self.private_key.public_key()))
        self._keys = {"keys": [{**jwk, "kid": self.kid, "use": "sig", "endorsements": ["msteams"]}]}
        keys = self._keys

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path.endswith("/openidconfiguration"):
                    base = f"http://{self.headers['Host']}"
                    document: dict[str, Any] = {"issuer": ISSUER, "jwks_uri": f"{base}/keys"}
                elif self.path == "/keys":
                    document = keys
                else:
                    self.send_error(404)
                    return
                raw = json.dumps(document).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, *args: Any) -> None:  # keep the test output quiet
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def metadata_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/v1/.well-known/openidconfiguration"

    def token(
        self, service_url: str, *, key: Any = None, kid: str | None = None, **claims: Any
    ) -> str:
        now = int(time.time())
        payload = {
            "iss": ISSUER,
            "aud": APP_ID,
            "serviceurl": service_url,
            "nbf": now - 60,
            "exp": now + 3600,
            **claims,
        }
        return jwt.encode(
            payload, key or self.private_key, algorithm="RS256", headers={"kid": kid or self.kid}
        )

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


@pytest.fixture(scope="module")
def signing_keys() -> Iterator[SigningKeys]:
    keys = SigningKeys()
    yield keys
    keys.close()


def secured(signing_keys: SigningKeys, **overrides: Any) -> dict[str, Any]:
    """The settings of a real deployment, with the signing keys served locally."""
    return {
        "microsoft_app_id": APP_ID,
        "microsoft_app_password": "not-used-offline",
        "allowed_tenant_ids": TENANT_ID,
        "data_encryption_keys": Fernet.generate_key().decode(),
        "trail_keys": Fernet.generate_key().decode(),
        "public_base_url": "https://cspr.example.org",
        "service_url_hosts": "127.0.0.1",
        "to_bot_from_channel_openid_metadata_url": signing_keys.metadata_url,
        **overrides,
    }


@pytest.fixture
async def secure_bot(make_bot: Callable[..., Any], signing_keys: SigningKeys) -> BotUnderTest:
    started: BotUnderTest = await make_bot(**secured(signing_keys))
    return started


async def post(bot: BotUnderTest, activity: dict[str, Any], token: str | None) -> Reply:
    headers = {} if token is None else {"Authorization": f"Bearer {token}"}
    response = await bot.client.post("/api/messages", json=activity, headers=headers)
    body = await response.json() if response.content_type == "application/json" else None
    return Reply(status=response.status, body=body, text=await response.text())


def clock_button(teams: Teams) -> dict[str, Any]:
    """A button whose answer travels in the HTTP response: no outbound token needed."""
    return teams.card_action(PRACTITIONER, "clock.show", {"aware_on": "2026-12-23"})


async def test_a_valid_bot_framework_token_is_accepted_and_the_bot_answers(
    secure_bot: BotUnderTest, signing_keys: SigningKeys
) -> None:
    reply = await post(
        secure_bot, clock_button(secure_bot.teams), signing_keys.token(secure_bot.teams.service_url)
    )

    assert reply.status == 200
    assert reply.body["statusCode"] == 200
    assert "Due Monday 4 January 2027" in json.dumps(reply.body["value"])


@pytest.mark.parametrize(
    "make_token",
    [
        lambda keys, url: None,
        lambda keys, url: "garbage",
        lambda keys, url: "not.a.jwt",
        lambda keys, url: keys.token(
            url, key=rsa.generate_private_key(public_exponent=65537, key_size=2048)
        ),
        lambda keys, url: keys.token(url, kid="an-unknown-key"),
        lambda keys, url: keys.token(url, aud="some-other-bot"),
        lambda keys, url: keys.token(url, iss="https://attacker.example"),
        lambda keys, url: keys.token(url, exp=int(time.time()) - 3600),
        lambda keys, url: keys.token("https://smba.trafficmanager.net/uk/"),
        lambda keys, url: keys.token(url, serviceurl=None),
    ],
    ids=[
        "no-header",
        "garbage",
        "malformed-jwt",
        "unknown-signing-key",
        "unknown-kid",
        "wrong-audience",
        "wrong-issuer",
        "expired",
        "serviceurl-claim-for-another-host",
        "no-serviceurl-claim",
    ],
)
async def test_a_request_without_a_valid_token_gets_401_and_nothing_happens(
    secure_bot: BotUnderTest, signing_keys: SigningKeys, make_token: Any
) -> None:
    token = make_token(signing_keys, secure_bot.teams.service_url)

    reply = await post(secure_bot, clock_button(secure_bot.teams), token)

    assert reply.status == 401
    assert reply.body == {"error": "Unauthorized."}
    assert "Traceback" not in reply.text
    assert secure_bot.connector.requests == []


async def test_a_bearer_header_of_another_scheme_or_shape_gets_401(
    secure_bot: BotUnderTest,
) -> None:
    for header in ("Basic dXNlcjpwYXNz", "Bearer", "Bearer a b c", ""):
        response = await secure_bot.client.post(
            "/api/messages",
            json=clock_button(secure_bot.teams),
            headers={"Authorization": header},
        )
        assert response.status == 401, header


async def test_a_forged_sender_without_a_token_changes_nothing(
    secure_bot: BotUnderTest,
) -> None:
    forged = secure_bot.teams.personal_message(ADMIN, "grant tom.reed@example.org admin forged")

    reply = await post(secure_bot, forged, token=None)

    assert reply.status == 401
    assert secure_bot.connector.requests == []
    engine = create_engine(secure_bot.settings.database_url)
    async with engine.connect() as connection:
        audited = (
            await connection.execute(
                text("SELECT COUNT(*) FROM directory_audit WHERE actor_id <> 'system'")
            )
        ).scalar_one()
    await engine.dispose()
    assert audited == 0


async def test_an_authenticated_activity_from_another_tenant_is_refused_with_403(
    secure_bot: BotUnderTest, signing_keys: SigningKeys, caplog: pytest.LogCaptureFixture
) -> None:
    foreign = Teams(secure_bot.teams.service_url, tenant_id=FOREIGN_TENANT)

    reply = await post(
        secure_bot, clock_button(foreign), signing_keys.token(secure_bot.teams.service_url)
    )

    assert reply.status == 403
    assert reply.body == {"error": "This organisation is not allowed to use this bot."}
    assert secure_bot.connector.requests == []
    assert f"refused an activity from tenant '{FOREIGN_TENANT}'" in caplog.text


async def test_in_local_mode_an_allow_list_still_refuses_other_tenants(
    make_bot: Callable[..., Any],
) -> None:
    bot: BotUnderTest = await make_bot(allowed_tenant_ids=TENANT_ID)
    foreign = Teams(bot.teams.service_url, tenant_id=FOREIGN_TENANT)

    refused = await bot.send(foreign.personal_message(PRACTITIONER, "help"))
    missing = foreign.personal_message(PRACTITIONER, "help")
    del missing["channelData"]["tenant"]
    no_tenant = await bot.send(missing)
    accepted = await bot.send(bot.teams.personal_message(PRACTITIONER, "help"))

    assert (refused.status, no_tenant.status, accepted.status) == (403, 403, 200)
    assert len(bot.connector.sent_activities) == 1


def test_an_app_id_without_a_tenant_allow_list_stops_the_bot_at_startup(
    signing_keys: SigningKeys, tmp_path: Any
) -> None:
    settings = settings_for(
        f"sqlite+aiosqlite:///{tmp_path / 'x.db'}", **secured(signing_keys, allowed_tenant_ids="")
    )

    with pytest.raises(ConfigurationError, match="ALLOWED_TENANT_IDS must list"):
        build_app(settings)


async def test_hostile_bodies_are_refused_before_authentication_never_with_a_500(
    secure_bot: BotUnderTest,
) -> None:
    """A deep or huge body, or a forged service URL, is refused with a clear 4xx before the
    token is even looked at: nothing unauthenticated reaches the parser's limits."""
    forged = clock_button(secure_bot.teams)
    forged["serviceUrl"] = "http://127.0.0.2:3994\\@127.0.0.1/"
    huge = clock_button(secure_bot.teams)
    huge["value"]["action"]["data"]["padding"] = "x" * (MAX_BODY_BYTES + 1)

    deep = await secure_bot.post_raw(b"[" * 100_000)
    large = await secure_bot.post_raw(json.dumps(huge).encode())
    foreign = await post(secure_bot, forged, token=None)

    assert (deep.status, large.status, foreign.status) == (400, 413, 400)
    assert "Traceback" not in deep.text + large.text + foreign.text
    assert secure_bot.connector.requests == []


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        ({"host": "0.0.0.0"}, "HOST=0.0.0.0 without MICROSOFT_APP_ID"),
        ({"export_signing_key": "k"}, "EXPORT_SIGNING_KEY must be at least 32 bytes"),
        ({"service_url_hosts": "*.net"}, "SERVICE_URL_HOSTS *.net is broader than one domain"),
    ],
)
def test_unsafe_settings_stop_the_bot_at_startup(
    tmp_path: Any, overrides: dict[str, Any], named: str
) -> None:
    settings = settings_for(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}", **overrides)

    with pytest.raises(ConfigurationError, match=re.escape(named)):
        build_app(settings)
