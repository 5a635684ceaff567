"""Which Bot Connector service URLs the bot will ever call.

``serviceUrl`` comes from the request. Judged by its apparent host alone, a URL such as
``http://127.0.0.2:3994\\@localhost/`` passes a "localhost" allow-list while the HTTP client
connects to 127.0.0.2, ``http://127.0.0.1:5432/`` makes the bot POST to a database, and a
``gopher://`` URL is stored and poisons a later proactive send (teams-platform.md, "Service
URLs"). So a URL is read by both parsers the bot may send with - yarl (aiohttp: replies and
proactive messages) and urllib3 (requests, under msrest: the SDK's own calls, such as user
tokens) - and passes only if they agree and nothing about it is unusual: http(s) only, no
user info, no backslash or white space, https on the default port - except for loopback
hosts, allowed only where configured (by default in local mode: the Agents Playground and
the test connector listen on unprivileged loopback ports).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from typing import Final

import urllib3.util
import yarl

LOOPBACK_HOSTS: Final = frozenset({"localhost", "127.0.0.1", "::1"})
# Loopback ports of services this kind of machine runs: never a Bot Connector.
_SERVICE_PORTS: Final = frozenset({3306, 4222, 5432, 5672, 6379, 11211, 1883, 9200, 27017})


def service_url_allowed(url: str, *, hosts: Sequence[str]) -> bool:
    """Whether the bot may call ``url``: ``hosts`` are exact names or ``*.domain`` patterns."""
    if not url or any(c.isspace() or c == "\\" or ord(c) < 0x20 for c in url):
        return False
    try:
        seen_by_aiohttp = yarl.URL(url)
        seen_by_requests = urllib3.util.parse_url(url)
    except ValueError:
        return False
    scheme = (seen_by_aiohttp.scheme or "").lower()
    host = (seen_by_aiohttp.host or "").lower().strip("[]")
    other_host = (seen_by_requests.host or "").lower().strip("[]")
    if scheme not in {"http", "https"} or (seen_by_requests.scheme or "").lower() != scheme:
        return False
    if seen_by_aiohttp.user or seen_by_aiohttp.password or seen_by_requests.auth:
        return False
    if not host or host != other_host:
        return False
    port = seen_by_aiohttp.explicit_port
    if port != seen_by_requests.port:
        return False
    if host in LOOPBACK_HOSTS and host in hosts:
        return port is None or (port >= 1024 and port not in _SERVICE_PORTS)
    if scheme != "https" or port not in (None, 443) or _is_ip(host):
        return False
    return any(_matches(host, pattern) for pattern in hosts)


def _matches(host: str, pattern: str) -> bool:
    if pattern.startswith("*."):
        return host.endswith(pattern[1:]) and host != pattern[2:]
    return host == pattern


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def too_broad(pattern: str) -> bool:
    """A wildcard broader than one registrable domain (``*.net``, ``*.co.uk``, ``*``)."""
    if pattern in {"*", "*."}:
        return True
    if not pattern.startswith("*."):
        return False
    labels = pattern[2:].split(".")
    # A registrable domain needs a name under its public suffix: at least two labels, three
    # where the suffix itself is two (co.uk, gov.uk, org.uk, ac.uk, com.au, ...).
    second_level = {"co", "gov", "org", "ac", "com", "net", "nhs", "police", "sch", "ltd", "plc"}
    if len(labels) < 2:
        return True
    return len(labels) == 2 and labels[0] in second_level
