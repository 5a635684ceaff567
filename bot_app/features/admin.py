"""Administration in chat: the directory, trail verification, legal holds and retention.

    whois <name or email>                                    Hub officers and administrators
    grant <email> <role> [for <member email>] <reason>       administrators
    revoke <email> <role> <reason>                           administrators
    verify <reference> | verify all                          administrators
    hold <reference> <reason> · release <reference> [reason] administrators
    retention · retention run                                administrators

All of them work in a personal chat only: their answers repeat what was typed (a name, a
reference, a reason) and list people and holds, none of which belongs in a channel.

The router checks the role before any of these run; these handlers add the case-specific and
directory-specific rules (the person exists, the role is held, a deputy has a member). Who
acts is always ``turn.actor`` - never a field of a card's payload.
"""

from __future__ import annotations

import logging
from typing import Any

from botbuilder.core import InvokeResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot_app.directory import grant_role, revoke_role, role_names_from
from bot_app.invoke import card_response
from bot_app.replies import send_card, send_text
from bot_app.retention import (
    DONE_LABELS,
    place_hold,
    release_hold,
    retention_report,
    run_retention,
)
from bot_app.routing import Router, Turn
from bot_app.trail import describe, verify_all, verify_case
from cards.admin import (
    MAX_REASON_CHARS,
    VERB_RETENTION_RUN,
    VERB_REVOKE,
    DecisionView,
    PersonView,
    RetentionView,
    RoleView,
    WhoisView,
    retention_card,
    whois_card,
)
from cards.base import Card
from safeguarding.calendar import WorkingDayCalendar
from safeguarding.case import Actor
from safeguarding.errors import InvalidInput, NotFound
from safeguarding.policy import Action, can
from safeguarding.reference import CaseReference
from safeguarding.retention import Outcome, RetentionDecision, RetentionPolicy
from safeguarding.roles import Person, Role, parse_role, role_label
from storage.people import DirectoryEntry, GrantSource, PeopleRepository
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)

_OUTCOMES = {
    Outcome.ANONYMISE: "Anonymise",
    Outcome.DELETE: "Delete",
    Outcome.HELD: "On legal hold",
    Outcome.NOT_DUE: "Not yet due",
    Outcome.ALREADY_ANONYMISED: "Already anonymised",
}


class RevokePayload(BaseModel):
    """The ``directory.revoke`` button. Unknown fields (an ``as``, say) are ignored."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    object_id: str = Field(min_length=1, max_length=128)
    role: str = Field(min_length=1, max_length=64)
    reason: str = Field(default="", max_length=MAX_REASON_CHARS)


def actor_of(person: Person) -> Actor:
    """The trail's author for something a person did in chat."""
    return Actor(id=person.object_id, name=person.name or person.object_id)


class Admin:
    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        calendar: WorkingDayCalendar,
        retention: RetentionPolicy,
        reference_prefix: str,
    ) -> None:
        self._sessions = sessions
        self._calendar = calendar
        self._retention = retention
        self._prefix = reference_prefix

    def register(self, router: Router) -> None:
        commands = [
            ("whois", self.whois, "whois <name or email>", Action.VIEW_DIRECTORY,
             "Who someone is in the directory, and their roles."),
            ("grant", self.grant, "grant <email> <role> <reason>", Action.MANAGE_DIRECTORY,
             "Give someone a role (csprg_deputy: add 'for <member email>')."),
            ("revoke", self.revoke, "revoke <email> <role> <reason>", Action.MANAGE_DIRECTORY,
             "Take a role from someone."),
            ("verify", self.verify, "verify <reference>", Action.VERIFY_TRAIL,
             "Check a case's evidence trail for tampering (or verify all)."),
            ("hold", self.hold, "hold <reference> <reason>", Action.MANAGE_LEGAL_HOLD,
             "Place a legal hold: retention will not touch the case."),
            ("release", self.release, "release <reference> [reason]", Action.MANAGE_LEGAL_HOLD,
             "Release a legal hold."),
            ("retention", self.retention, "retention [run]", Action.RUN_RETENTION,
             "What the retention policy would do today; 'retention run' does it."),
        ]  # fmt: skip
        for name, handler, usage, action, description in commands:
            router.add_command(
                [name],
                handler,
                usage=usage,
                description=description,
                action=action,
                personal_only=True,
            )
        router.add_verb(VERB_REVOKE, self.revoke_button, action=Action.MANAGE_DIRECTORY)
        router.add_verb(VERB_RETENTION_RUN, self.retention_button, action=Action.RUN_RETENTION)

    # -- the directory -------------------------------------------------------------------

    async def whois(self, turn: Turn, args: str) -> None:
        if not args:
            raise InvalidInput("Who are you looking for? For example: whois sam.hughes@example.org")
        await send_card(turn.context, await self._whois_card(turn.actor, args))

    async def _whois_card(self, viewer: Person, query: str, note: str | None = None) -> Card:
        async with self._sessions() as session:
            people = PeopleRepository(session)
            found = await people.search(query)
            names = role_names_from(await people.settings())
            members = {p.object_id: p.name for p in await people.holders(Role.CSPRG_MEMBER)}
        view = WhoisView(
            query=query,
            people=[_person_view(entry, names, members) for entry in found],
            can_manage=can(viewer, Action.MANAGE_DIRECTORY),
            note=note,
        )
        return whois_card(view)

    async def grant(self, turn: Turn, args: str) -> None:
        email, role, rest = _email_role_rest(args, "grant", turn.actor)
        deputy_for = None
        words = rest.split(maxsplit=2)
        if len(words) >= 2 and words[0].lower() == "for":
            deputy_for, rest = words[1], words[2] if len(words) > 2 else ""
        why = _reason(rest, f"grant {email} {role.value}")
        async with UnitOfWork(self._sessions) as uow:
            reply = await grant_role(
                uow.session,
                by=turn.actor,
                email=email,
                role=role,
                why=why,
                at=turn.now,
                deputy_for_email=deputy_for,
            )
            await uow.commit()
        log.info("role %s granted by %s", role.value, turn.actor.object_id)
        await send_text(turn.context, reply)

    async def revoke(self, turn: Turn, args: str) -> None:
        email, role, rest = _email_role_rest(args, "revoke", turn.actor)
        why = _reason(rest, f"revoke {email} {role.value}")
        await send_text(turn.context, await self._revoke(turn, email, role, why))

    async def _revoke(self, turn: Turn, email: str, role: Role, why: str) -> str:
        async with UnitOfWork(self._sessions) as uow:
            reply = await revoke_role(
                uow.session, by=turn.actor, email=email, role=role, why=why, at=turn.now
            )
            await uow.commit()
        log.info("role %s revoked by %s", role.value, turn.actor.object_id)
        return reply

    async def revoke_button(self, turn: Turn, data: dict[str, Any]) -> InvokeResponse:
        try:
            payload = RevokePayload.model_validate(data)
        except ValidationError as error:
            raise InvalidInput("That button sent something I couldn't read.") from error
        role = parse_role(payload.role)
        if role is None:
            raise InvalidInput(f"'{payload.role}' is not a role. Nothing was changed.")
        why = _reason(payload.reason, "the button")
        async with self._sessions() as session:
            entry = await PeopleRepository(session).person(payload.object_id)
        if entry is None or not entry.active:
            raise NotFound("That person is no longer in the directory. Nothing was changed.")
        reply = await self._revoke(turn, entry.email, role, why)
        return card_response(await self._whois_card(turn.actor, entry.email, note=reply))

    # -- the trail -------------------------------------------------------------------------

    async def verify(self, turn: Turn, args: str) -> None:
        async with UnitOfWork(self._sessions) as uow:
            if args.strip().lower() == "all":
                reports = await verify_all(uow.session)
                tampered = [r for r in reports if not r.intact]
                lines = [f"Checked {len(reports)} trail(s): {len(tampered)} tampered with."]
                lines += [describe(report) for report in tampered]
                reply = "\n\n".join(lines)
            else:
                reference = self._reference(args, "verify")
                reply = describe(await verify_case(uow.session, str(reference)))
        await send_text(turn.context, reply)

    # -- legal holds and retention ---------------------------------------------------------

    async def hold(self, turn: Turn, args: str) -> None:
        reference_text, _, reason = args.partition(" ")
        reference = self._reference(reference_text, "hold")
        why = _reason(reason, f"hold {reference}")
        async with UnitOfWork(self._sessions) as uow:
            reply = await place_hold(
                uow, reference, reason=why, by=actor_of(turn.actor), at=turn.now
            )
            await uow.commit()
        log.info("legal hold placed on %s by %s", reference, turn.actor.object_id)
        await send_text(turn.context, reply)

    async def release(self, turn: Turn, args: str) -> None:
        reference_text, _, reason = args.partition(" ")
        reference = self._reference(reference_text, "release")
        async with UnitOfWork(self._sessions) as uow:
            reply = await release_hold(
                uow, reference, reason=reason.strip() or None, by=actor_of(turn.actor), at=turn.now
            )
            await uow.commit()
        log.info("legal hold on %s released by %s", reference, turn.actor.object_id)
        await send_text(turn.context, reply)

    async def retention(self, turn: Turn, args: str) -> None:
        word = args.strip().lower()
        if word == "run":
            done = await self._run(turn)
            await send_text(turn.context, done)
            return
        if word:
            raise InvalidInput("Type **retention** to see what would happen, or **retention run**.")
        await send_card(turn.context, await self._retention_card(turn))

    async def retention_button(self, turn: Turn, _data: dict[str, Any]) -> InvokeResponse:
        done = await self._run(turn)
        return card_response(await self._retention_card(turn, done=done))

    async def _run(self, turn: Turn) -> str:
        outcomes = await run_retention(
            self._sessions,
            self._retention,
            calendar=self._calendar,
            by=actor_of(turn.actor),
            now=lambda: turn.now,
        )
        if not outcomes:
            return "No closed case is due under the retention policy; nothing was changed."
        lines = [
            f"- {o.decision.reference}: "
            + (
                f"could not be processed ({o.error})"
                if o.error
                else DONE_LABELS[o.decision.outcome]
            )
            for o in outcomes
        ]
        return "Retention policy applied:\n" + "\n".join(lines)

    async def _retention_card(self, turn: Turn, done: str | None = None) -> Card:
        async with UnitOfWork(self._sessions) as uow:
            decisions = await retention_report(
                uow.session, self._retention, calendar=self._calendar, now=turn.now
            )
        return retention_card(_retention_view(decisions, self._retention, turn.actor, done))

    def _reference(self, text: str, command: str) -> CaseReference:
        if not text.strip():
            raise InvalidInput(f"Which case? For example: {command} {self._prefix}-2026-0001")
        return CaseReference.parse(text, prefix=self._prefix)


def _retention_view(
    decisions: list[RetentionDecision], policy: RetentionPolicy, viewer: Person, done: str | None
) -> RetentionView:
    return RetentionView(
        policy=policy.describe(),
        decisions=[
            DecisionView(d.reference, _OUTCOMES[d.outcome], d.explanation) for d in decisions
        ],
        due=sum(1 for d in decisions if d.outcome.acts),
        can_run=can(viewer, Action.RUN_RETENTION),
        done=done,
    )


def _person_view(
    entry: DirectoryEntry, names: dict[Role, str], members: dict[str, str]
) -> PersonView:
    roles = []
    for grant in entry.grants:
        notes = []
        if grant.deputy_for:
            notes.append(f"deputy for {members.get(grant.deputy_for, 'a former member')}")
        notes.append(
            "from the directory file" if grant.source is GrantSource.FILE else "granted in chat"
        )
        roles.append(RoleView(grant.role.value, role_label(grant.role, names), "; ".join(notes)))
    return PersonView(
        object_id=entry.object_id,
        name=entry.name,
        email=entry.email,
        agency=entry.agency,
        roles=roles,
    )


def _email_role_rest(args: str, command: str, actor: Person) -> tuple[str, Role, str]:
    words = args.split(maxsplit=2)
    example = f"{command} sam.hughes@example.org hub_officer <reason>"
    if len(words) < 2 or "@" not in words[0]:
        raise InvalidInput(f"Say whose role and which, for example: {example}")
    role = parse_role(words[1], actor.role_names)
    if role is None:
        known = ", ".join(r.value for r in Role)
        raise InvalidInput(f"'{words[1]}' is not a role. The roles are: {known}.")
    return words[0], role, words[2] if len(words) > 2 else ""


def _reason(text: str, example: str) -> str:
    reason = " ".join(text.split())
    if not reason:
        raise InvalidInput(
            f"Please say why - it is recorded in the audit. For example: {example} "
            "covering the Hub while Jo is on leave. Nothing was changed."
        )
    if len(reason) > MAX_REASON_CHARS:
        raise InvalidInput(f"Please keep the reason under {MAX_REASON_CHARS} characters.")
    return reason
