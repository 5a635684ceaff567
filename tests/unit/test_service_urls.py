"""Which Bot Connector service URLs the bot will call: the hostile ones from the security
test, and the ones Teams and the local tools really use."""

from __future__ import annotations

import pytest

from bot_app.core.service_urls import service_url_allowed, too_broad
from bot_app.settings import LOCAL_SERVICE_HOSTS, TEAMS_SERVICE_HOSTS

DEPLOYED = TEAMS_SERVICE_HOSTS
LOCAL = TEAMS_SERVICE_HOSTS + LOCAL_SERVICE_HOSTS


@pytest.mark.parametrize(
    "url",
    [
        "https://smba.trafficmanager.net/emea/",
        "https://smba.trafficmanager.net/amer/",
        "https://smba.trafficmanager.net:443/uk/",
        "HTTPS://SMBA.TrafficManager.net/emea/",
        "https://europe.webchat.botframework.com/",
    ],
)
def test_the_teams_service_urls_pass(url: str) -> None:
    assert service_url_allowed(url, hosts=DEPLOYED)


@pytest.mark.parametrize(
    "url",
    [
        "http://localhost:3978/",
        "http://127.0.0.1:56789/",
        "http://[::1]:3979/",
        "http://localhost/",
    ],
)
def test_the_local_tools_pass_in_local_mode_only(url: str) -> None:
    assert service_url_allowed(url, hosts=LOCAL)
    assert not service_url_allowed(url, hosts=DEPLOYED)


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://127.0.0.2:3994\\@localhost/", "a backslash: judged as localhost, sent to .2"),
        ("http://localhost\\@127.0.0.2:3994/", "a backslash the other way round"),
        ("http://127.0.0.1:5432/", "the database's port on this machine"),
        ("http://localhost:6379/", "another service's port"),
        ("http://localhost:22/", "a privileged port"),
        ("http://127.0.0.2:3978/", "loopback, but not a configured host"),
        ("gopher://localhost:3978/_POST", "not HTTP"),
        ("file:///etc/passwd", "not HTTP"),
        ("ftp://smba.trafficmanager.net/", "not HTTP"),
        ("https://user:secret@smba.trafficmanager.net/emea/", "user info"),
        ("https://smba.trafficmanager.net@evil.example/", "user info hiding the real host"),
        ("https://evil.example#@smba.trafficmanager.net/", "a fragment hiding the real host"),
        ("https://smba.trafficmanager.net.evil.example/", "an allowed name as a prefix"),
        ("https://smba.trafficmanager.net:8443/emea/", "an odd port"),
        ("http://smba.trafficmanager.net/emea/", "plain http to Teams"),
        ("https://169.254.169.254/latest/", "an IP address (cloud metadata)"),
        ("https://10.0.0.7/", "an IP address"),
        ("http://0x7f000001:3978/", "loopback written in hex"),
        ("http://2130706433:3978/", "loopback written as a number"),
        ("https://smba.trafficmanager.net /emea/", "white space"),
        ("https://smba.trafficmanager.net/emea/\r\nX-Injected: 1", "a header injection"),
        ("https://botframework.com/", "the wildcard's own domain is not under it"),
        ("", "nothing"),
        ("https://", "no host"),
    ],
)
def test_hostile_and_odd_service_urls_are_refused(url: str, why: str) -> None:
    assert not service_url_allowed(url, hosts=LOCAL), why


def test_a_configured_host_list_replaces_the_defaults() -> None:
    hosts = ("smba.infra.gcc.teams.microsoft.com",)

    assert service_url_allowed("https://smba.infra.gcc.teams.microsoft.com/gcc/", hosts=hosts)
    assert not service_url_allowed("https://smba.trafficmanager.net/emea/", hosts=hosts)


@pytest.mark.parametrize(
    "pattern", ["*", "*.", "*.net", "*.com", "*.co.uk", "*.gov.uk", "*.nhs.uk"]
)
def test_wildcards_broader_than_one_registrable_domain_are_too_broad(pattern: str) -> None:
    assert too_broad(pattern)


@pytest.mark.parametrize(
    "pattern", ["*.botframework.com", "*.example.org.uk", "smba.trafficmanager.net", "localhost"]
)
def test_one_domain_or_an_exact_host_is_not_too_broad(pattern: str) -> None:
    assert not too_broad(pattern)
