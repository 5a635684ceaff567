"""The dashboard's session: a signed, short-lived cookie naming one directory person.

Nothing is stored server-side: the cookie carries the person's Entra object id, how they
signed in and when it expires, signed with HMAC-SHA256 under a key derived from the export
signing key (a context of its own, so a session can never pass for a download link or the
other way round). Roles are *not* in the cookie: every request resolves the person in the
directory again, so a revoked role stops working at once, as it does in chat.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final, Literal

COOKIE_NAME: Final = "cspr_tab"
_CONTEXT: Final = b"cspr-dashboard-session/1."

Via = Literal["teams", "development"]


@dataclass(frozen=True)
class Session:
    person_id: str
    via: Via
    expires_at: datetime


class InvalidSession(Exception):
    """No cookie, a forged or altered one, or one past its time."""


def session_key(signing_key: bytes) -> bytes:
    """The session key, derived from the export signing key for this purpose only."""
    return hmac.new(signing_key, b"cspr dashboard session key", hashlib.sha256).digest()


def sign_session(
    key: bytes, person_id: str, *, via: Via, now: datetime, lifetime: timedelta
) -> str:
    claims = {"p": person_id, "v": via, "e": int((now + lifetime).timestamp())}
    payload = _b64(json.dumps(claims, separators=(",", ":"), sort_keys=True).encode("utf-8"))
    return f"{payload}.{_b64(_mac(key, payload))}"


def read_session(key: bytes, cookie: str | None, *, now: datetime) -> Session:
    if not cookie:
        raise InvalidSession("no session")
    payload, _, signature = cookie.partition(".")
    try:
        genuine = hmac.compare_digest(_unb64(signature), _mac(key, payload))
        claims = json.loads(_unb64(payload)) if genuine else None
    except (ValueError, binascii.Error, UnicodeEncodeError):
        genuine, claims = False, None
    if not genuine or not isinstance(claims, dict):
        raise InvalidSession("not genuine")
    expires, person, via = claims.get("e"), claims.get("p"), claims.get("v")
    if not isinstance(expires, int) or now.timestamp() >= expires:
        raise InvalidSession("expired")
    if not isinstance(person, str) or not person or via not in ("teams", "development"):
        raise InvalidSession("malformed")
    return Session(person, via, datetime.fromtimestamp(expires, tz=now.tzinfo))


def _mac(key: bytes, payload: str) -> bytes:
    return hmac.new(key, _CONTEXT + payload.encode("ascii"), hashlib.sha256).digest()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text.encode("ascii") + b"=" * (-len(text) % 4))
