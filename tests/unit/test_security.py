"""Start-up checks, the adapter per app type, the tenant of an activity, download tokens."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography.fernet import Fernet

from bot_app.core.answers import CardAnswer, Toast
from bot_app.core.payloads import CaseData, NoData
from bot_app.core.routing import Router
from bot_app.core.turn import Turn, Where
from bot_app.keys import data_keys, export_signing_key
from bot_app.security import (
    ConfigurationError,
    InvalidExportToken,
    check_settings,
    read_export_token,
    sign_export_token,
)
from bot_app.settings import Settings
from bot_app.teams.adapter import build_adapter
from bot_app.teams.auth import channel_auth_configuration, tenant_of
from safeguarding.policy import Action
from safeguarding.roles import Person, Role
from storage.outbox import ConversationTarget

KEY = b"k" * 32
NOW = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
REF = "NL-2026-0001"


def settings(**overrides: Any) -> Settings:
    return Settings(_env_file=None, **overrides)  # type: ignore[call-arg]


def token(**changes: Any) -> str:
    claims: dict[str, Any] = {
        "reference": REF,
        "person_id": "hub-1",
        "expires_at": NOW + timedelta(minutes=15),
    }
    return sign_export_token(KEY, **{**claims, **changes})


def test_a_deployment_with_an_app_id_must_name_its_tenants_keys_and_https_url() -> None:
    with pytest.raises(ConfigurationError) as refused:
        check_settings(settings(microsoft_app_id="app-1", microsoft_app_password="secret"))

    message = str(refused.value)
    assert "ALLOWED_TENANT_IDS" in message
    assert "DATA_ENCRYPTION_KEYS" in message
    assert "PUBLIC_BASE_URL must be https" in message
    assert "secret" not in message


def test_single_tenant_and_managed_identity_say_what_they_are_missing() -> None:
    with pytest.raises(ConfigurationError) as single:
        check_settings(settings(microsoft_app_id="a", microsoft_app_type="SingleTenant"))
    with pytest.raises(ConfigurationError) as managed:
        check_settings(settings(microsoft_app_id="a", microsoft_app_type="UserAssignedMSI"))

    assert "MICROSOFT_APP_PASSWORD is required" in str(single.value)
    assert "MICROSOFT_APP_TENANT_ID is required" in str(managed.value)


def test_a_complete_deployment_and_local_mode_both_start() -> None:
    check_settings(settings())
    check_settings(
        settings(
            microsoft_app_id="app-1",
            microsoft_app_password="secret",
            allowed_tenant_ids="T1, t2",
            data_encryption_keys=Fernet.generate_key().decode(),
            public_base_url="https://cspr.example.org",
        )
    )
    assert settings(allowed_tenant_ids="T1, t2").allowed_tenant_ids == ("t1", "t2")


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "10.0.0.7", "cspr.example.org", ""])
def test_a_network_facing_host_without_an_app_id_is_refused(host: str) -> None:
    with pytest.raises(ConfigurationError, match="would let anyone on the network act as anyone"):
        check_settings(settings(host=host))


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1"])
def test_loopback_without_an_app_id_starts(host: str) -> None:
    check_settings(settings(host=host))


def test_a_network_facing_demo_starts_only_when_asked_for_explicitly() -> None:
    check_settings(settings(host="0.0.0.0", allow_unauthenticated_network=True))


@pytest.mark.parametrize("key", ["k", "short-and-guessable", "x" * 31, "é" * 15])
def test_an_export_signing_key_under_32_bytes_is_refused(key: str) -> None:
    with pytest.raises(ConfigurationError, match="EXPORT_SIGNING_KEY must be at least 32 bytes"):
        check_settings(settings(export_signing_key=key))


def test_an_export_signing_key_of_32_bytes_or_none_starts() -> None:
    check_settings(settings(export_signing_key="x" * 32))
    check_settings(settings(export_signing_key=""))  # derived from the data key


@pytest.mark.parametrize("pattern", ["*.net", "*", "*.co.uk", "*.gov.uk"])
def test_a_service_url_wildcard_broader_than_one_domain_is_refused(pattern: str) -> None:
    with pytest.raises(ConfigurationError, match="broader than one domain"):
        check_settings(settings(service_url_hosts=f"smba.trafficmanager.net,{pattern}"))


def test_service_url_hosts_of_one_domain_start() -> None:
    check_settings(settings(service_url_hosts="smba.trafficmanager.net,*.botframework.com"))


def test_a_placeholder_encryption_key_is_refused_by_position() -> None:
    placeholder = base64.urlsafe_b64encode(b"A" * 32).decode()  # a valid Fernet key, all "A"
    pattern = base64.urlsafe_b64encode(b"secret!!" * 4).decode()

    with pytest.raises(ConfigurationError, match="key 2, 3 is not random") as refused:
        check_settings(
            settings(
                data_encryption_keys=f"{Fernet.generate_key().decode()},{placeholder},{pattern}"
            )
        )
    assert placeholder not in str(refused.value), "the message never repeats a key"


def test_every_unsafe_setting_is_named_at_once() -> None:
    with pytest.raises(ConfigurationError) as refused:
        check_settings(settings(host="0.0.0.0", export_signing_key="k", service_url_hosts="*.net"))

    message = str(refused.value)
    assert "HOST=0.0.0.0" in message
    assert "EXPORT_SIGNING_KEY" in message
    assert "SERVICE_URL_HOSTS *.net" in message


def test_a_malformed_encryption_key_is_refused_by_position() -> None:
    good = Fernet.generate_key().decode()

    with pytest.raises(ConfigurationError, match="key 2 is not a Fernet key"):
        data_keys(settings(data_encryption_keys=f"{good},not-a-key"))


def test_the_export_key_is_derived_from_the_data_key_unless_set() -> None:
    keys = [Fernet.generate_key()]

    derived = export_signing_key(settings(), keys)
    assert derived == export_signing_key(settings(), keys)
    assert derived != export_signing_key(settings(), [Fernet.generate_key()])
    assert export_signing_key(settings(export_signing_key="s3cret"), keys) == b"s3cret"


@pytest.mark.parametrize(
    ("body", "tenant"),
    [
        ({"channelData": {"tenant": {"id": "ABC-1"}}}, "abc-1"),
        ({"channelData": {}}, None),
        ({"channelData": "nonsense"}, None),
        ({"conversation": {"tenantId": "abc-1"}}, None),
    ],
)
def test_the_tenant_comes_from_channel_data_only(body: dict[str, Any], tenant: str | None) -> None:
    assert tenant_of(body) == tenant


def test_a_genuine_current_token_names_its_person() -> None:
    assert read_export_token(KEY, token(), reference=REF, now=NOW) == "hub-1"


@pytest.mark.parametrize(
    ("forged", "reason"),
    [
        (lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"), "not valid"),
        (lambda t: "e30" + t[t.index(".") :], "not valid"),
        (lambda t: "", "not valid"),
        (lambda t: "no-dot-at-all", "not valid"),
        (lambda t: "é.é", "not valid"),
        (
            lambda t: sign_export_token(
                b"other" * 8, reference=REF, person_id="x", expires_at=NOW + timedelta(minutes=1)
            ),
            "not valid",
        ),
    ],
    ids=["signature", "payload", "empty", "no-dot", "non-ascii", "other-key"],
)
def test_a_forged_or_altered_token_is_refused(forged: Any, reason: str) -> None:
    with pytest.raises(InvalidExportToken, match=reason):
        read_export_token(KEY, forged(token()), reference=REF, now=NOW)


def test_a_token_is_for_one_case_and_fifteen_minutes() -> None:
    with pytest.raises(InvalidExportToken, match="another case"):
        read_export_token(KEY, token(), reference="NL-2026-0002", now=NOW)
    with pytest.raises(InvalidExportToken, match="expired"):
        read_export_token(KEY, token(), reference=REF, now=NOW + timedelta(minutes=15))


@pytest.mark.parametrize(
    ("app_type", "factory"),
    [
        ("MultiTenant", "PasswordServiceClientCredentialFactory"),
        ("SingleTenant", "PasswordServiceClientCredentialFactory"),
        ("UserAssignedMSI", "ManagedIdentityServiceClientCredentialsFactory"),
    ],
)
def test_each_app_type_builds_an_adapter_with_its_kind_of_credentials(
    app_type: str, factory: str
) -> None:
    adapter = build_adapter(
        settings(
            microsoft_app_id="app-1",
            microsoft_app_password="secret",
            microsoft_app_type=app_type,
            microsoft_app_tenant_id="tenant-1",
        )
    )

    credentials = adapter.bot_framework_authentication.inner._inner._credentials_factory._inner
    assert type(credentials).__name__ == factory


def test_a_signing_key_endpoint_of_our_own_keeps_the_public_clouds_issuer() -> None:
    configuration = channel_auth_configuration(
        settings(to_bot_from_channel_openid_metadata_url="https://keys.example/v1/metadata")
    )

    assert configuration["TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL"].startswith("https://keys.")
    assert configuration["TO_BOT_FROM_CHANNEL_TOKEN_ISSUER"] == "https://api.botframework.com"
    assert channel_auth_configuration(settings()) == {}


# -- the router's case-access gate -----------------------------------------------------------


def _hub_turn() -> Turn:
    hub = Person(object_id="hub-1", name="Hana Hub", roles=frozenset({Role.HUB_OFFICER}))
    target = ConversationTarget("a:1", "http://localhost:3978/", "t", "28:bot")
    return Turn(
        actor=hub,
        teams_user_id="29:1",
        where=Where(conversation_type="personal", target=target),
        activity_id="1",
        now=NOW,
        today=NOW.date(),
    )


async def test_a_router_without_an_access_gate_refuses_whatever_names_a_case() -> None:
    """Fails closed: a composition that forgot the gate runs no case handler unchecked."""
    ran: list[str] = []

    async def handler(turn: Turn, payload: CaseData) -> CardAnswer:
        ran.append(str(payload.reference))
        return Toast("done")

    async def clock(turn: Turn, payload: NoData) -> CardAnswer:
        return Toast("no case named")

    router = Router()
    router.add_verb("case.thing", handler, payload=CaseData, action=Action.VIEW_CASE)
    router.add_verb("no.case", clock, payload=NoData, action=Action.USE_ASSISTANT)
    spec, other = router.verb("case.thing"), router.verb("no.case")
    assert spec is not None
    assert other is not None

    with pytest.raises(RuntimeError, match="no access gate"):
        await router.run_verb(spec, _hub_turn(), CaseData.read({"reference": REF}))
    assert ran == []
    assert await router.run_verb(other, _hub_turn(), NoData.read({})) == Toast("no case named")
