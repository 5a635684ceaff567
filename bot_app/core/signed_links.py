"""The checks every signed download link goes through before a document is built.

The evidence bundle and the rapid review document are served by plain HTTP GETs, so the
person is whoever the link was signed for - and only while they still hold a role that may
have it. Both downloads share this gate; what they build and how they refuse differs.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from aiohttp import web

from bot_app.security import InvalidExportToken, read_export_token
from safeguarding.errors import InvalidInput
from safeguarding.policy import Action, can
from safeguarding.reference import CaseReference
from safeguarding.roles import Person

log = logging.getLogger(__name__)

Refuse = Callable[[int, str], web.Response]


class Directory(Protocol):
    """Who a link's holder is now: the partnership's directory (``bot_app/admin/identity.py``
    implements it). Declared here so the shared gate depends on no feature."""

    async def resolve(self, object_id: str, name: str) -> Person: ...


@dataclass(frozen=True)
class Admitted:
    reference: CaseReference
    person: Person


async def admit_download(
    request: web.Request,
    *,
    what: str,
    signing_key: bytes,
    scope: str,
    now: datetime,
    directory: Directory,
    action: Action,
    refuse: Refuse,
    expired: Callable[[CaseReference, InvalidExportToken], str],
    role_lost: str,
) -> Admitted | web.Response:
    """The case and person a link is good for, or the refusal to answer with."""
    try:
        reference = CaseReference.parse(request.match_info["reference"])
    except InvalidInput:
        return refuse(404, "There is no such case.")
    try:
        person_id = read_export_token(
            signing_key, request.query.get("token", ""), reference=str(reference) + scope, now=now
        )
    except InvalidExportToken as refused:
        log.warning("refused a %s download for %s: %s", what, reference, refused)
        return refuse(403, expired(reference, refused))
    person = await directory.resolve(person_id, "")
    if not can(person, action):
        log.warning("refused a %s download for %s: %s lacks the role", what, reference, person_id)
        return refuse(403, role_lost)
    return Admitted(reference=reference, person=person)
