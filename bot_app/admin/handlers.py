"""Administration in chat: the directory, trail verification, legal holds and retention.

    whois <name or email>                                    Hub officers and administrators
    grant <email> <role> [for <member email>] <reason>       administrators
    revoke <email> <role> <reason>                           administrators
    verify <reference> | verify all                          administrators
    hold <reference> <reason> · release <reference> [reason] administrators
    retention · retention run                                administrators

All of them work in a personal chat only: their answers repeat what was typed (a name, a
reference, a reason) and list people and holds, none of which belongs in a channel.

The router checks the role before any of these run; the services add the case-specific and
directory-specific rules (the person exists, the role is held, a deputy has a member). Who
acts is always ``turn.actor`` - never a field of a card's payload.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Self, TypeVar

from pydantic import ConfigDict, Field

from bot_app.admin import services, views
from bot_app.admin.retention import run_retention
from bot_app.core.answers import CardAnswer, Reply, ShowCard, card, text
from bot_app.core.payloads import Args, CardPayload, NoData
from bot_app.core.routing import Router
from bot_app.core.transactions import Transactions
from bot_app.core.turn import Turn
from cards.admin import (
    MAX_REASON_CHARS,
    VERB_RETENTION_RUN,
    VERB_REVOKE,
    retention_card,
    whois_card,
)
from cards.base import Card
from safeguarding.calendar import WorkingDayCalendar
from safeguarding.errors import InvalidInput
from safeguarding.policy import Action
from safeguarding.reference import CaseReference
from safeguarding.retention import RetentionPolicy
from safeguarding.roles import Person, Role, parse_role

log = logging.getLogger(__name__)

A = TypeVar("A", bound=Args)


# -- what the commands' words and the buttons carry -----------------------------------------


class WhoisArgs(Args):
    query: str

    @classmethod
    def parse(cls, text: str, *, prefix: str, usage: str) -> Self:
        if not text.strip():
            raise InvalidInput("Who are you looking for? For example: whois sam.hughes@example.org")
        return cls(query=text.strip())


class RoleArgs(Args):
    """``<command> <email> <role> <reason>``. The role stays a word here: it is read with the
    partnership's names for roles, which come with the person acting."""

    email: str
    role_word: str
    rest: str

    @classmethod
    def parse(cls, text: str, *, prefix: str, usage: str) -> Self:
        words = text.split(maxsplit=2)
        example = f"{usage.split()[0]} sam.hughes@example.org hub_officer «reason»"
        if len(words) < 2 or "@" not in words[0]:
            raise InvalidInput(f"Say whose role and which, for example: {example}")
        return cls(email=words[0], role_word=words[1], rest=words[2] if len(words) > 2 else "")


class GrantArgs(RoleArgs):
    """``grant <email> <role> [for <member email>] <reason>``: a deputy names their member."""

    deputy_for: str | None = None

    @classmethod
    def parse(cls, text: str, *, prefix: str, usage: str) -> Self:
        base = RoleArgs.parse(text, prefix=prefix, usage=usage)
        deputy_for, rest = None, base.rest
        words = rest.split(maxsplit=2)
        if len(words) >= 2 and words[0].lower() == "for":
            deputy_for, rest = words[1], words[2] if len(words) > 2 else ""
        return cls(email=base.email, role_word=base.role_word, rest=rest, deputy_for=deputy_for)


def _reference(text: str, *, prefix: str, command: str) -> CaseReference:
    if not text.strip():
        raise InvalidInput(f"Which case? For example: {command} {prefix}-2026-0001")
    return CaseReference.parse(text, prefix=prefix)


class VerifyArgs(Args):
    """``verify <reference>`` or ``verify all`` (then ``reference`` is None)."""

    reference: CaseReference | None

    @classmethod
    def parse(cls, text: str, *, prefix: str, usage: str) -> Self:
        if text.strip().lower() == "all":
            return cls(reference=None)
        return cls(reference=_reference(text, prefix=prefix, command="verify"))


class HoldArgs(Args):
    reference: CaseReference
    reason: str

    @classmethod
    def parse(cls, text: str, *, prefix: str, usage: str) -> Self:
        reference_text, _, reason = text.strip().partition(" ")
        reference = _reference(reference_text, prefix=prefix, command="hold")
        return cls(reference=reference, reason=_reason(reason, f"hold {reference}"))


class ReleaseArgs(Args):
    reference: CaseReference
    reason: str | None

    @classmethod
    def parse(cls, text: str, *, prefix: str, usage: str) -> Self:
        reference_text, _, reason = text.strip().partition(" ")
        reference = _reference(reference_text, prefix=prefix, command="release")
        return cls(reference=reference, reason=reason.strip() or None)


class RetentionArgs(Args):
    """``retention`` shows what would happen; ``retention run`` does it."""

    run: bool

    @classmethod
    def parse(cls, text: str, *, prefix: str, usage: str) -> Self:
        word = text.strip().lower()
        if word not in ("", "run"):
            raise InvalidInput("Type **retention** to see what would happen, or **retention run**.")
        return cls(run=word == "run")


class RevokeListed(CardPayload):
    """The whois card's revoke button. Unknown fields (an ``as``, say) are ignored."""

    model_config = ConfigDict(str_strip_whitespace=True)

    object_id: str = Field(min_length=1, max_length=128)
    role: str = Field(min_length=1, max_length=64)
    reason: str = Field(default="", max_length=MAX_REASON_CHARS)


# -- the handlers ---------------------------------------------------------------------------


class AdminHandlers:
    def __init__(
        self, *, tx: Transactions, calendar: WorkingDayCalendar, retention: RetentionPolicy
    ) -> None:
        self._tx = tx
        self._calendar = calendar
        self._retention = retention

    def register(self, router: Router) -> None:
        def personal(
            name: str,
            handler: Callable[[Turn, A], Awaitable[Reply]],
            args: type[A],
            usage: str,
            action: Action,
            description: str,
        ) -> None:
            router.add_command(
                [name],
                handler,
                args=args,
                usage=usage,
                description=description,
                action=action,
                personal_only=True,
            )

        personal(
            "whois",
            self.whois,
            WhoisArgs,
            "whois <name or email>",
            Action.VIEW_DIRECTORY,
            "Who someone is in the directory, and their roles.",
        )
        personal(
            "grant",
            self.grant,
            GrantArgs,
            "grant <email> <role> <reason>",
            Action.MANAGE_DIRECTORY,
            "Give someone a role (csprg_deputy: add 'for <member email>').",
        )
        personal(
            "revoke",
            self.revoke,
            RoleArgs,
            "revoke <email> <role> <reason>",
            Action.MANAGE_DIRECTORY,
            "Take a role from someone.",
        )
        personal(
            "verify",
            self.verify,
            VerifyArgs,
            "verify <reference>",
            Action.VERIFY_TRAIL,
            "Check a case's evidence trail for tampering (or verify all).",
        )
        personal(
            "hold",
            self.hold,
            HoldArgs,
            "hold <reference> <reason>",
            Action.MANAGE_LEGAL_HOLD,
            "Place a legal hold: retention will not touch the case.",
        )
        personal(
            "release",
            self.release,
            ReleaseArgs,
            "release <reference> [reason]",
            Action.MANAGE_LEGAL_HOLD,
            "Release a legal hold.",
        )
        personal("retention", self.retention, RetentionArgs, "retention [run]",
                 Action.RUN_RETENTION,
                 "What the retention policy would do today; 'retention run' does it.")  # fmt: skip
        router.add_verb(
            VERB_REVOKE, self.revoke_button, payload=RevokeListed, action=Action.MANAGE_DIRECTORY
        )
        router.add_verb(
            VERB_RETENTION_RUN, self.retention_button, payload=NoData, action=Action.RUN_RETENTION
        )

    # -- the directory ---------------------------------------------------------------------

    async def whois(self, turn: Turn, args: WhoisArgs) -> Reply:
        return card(await self._whois_card(turn.actor, args.query))

    async def _whois_card(self, viewer: Person, query: str, note: str | None = None) -> Card:
        command = services.FindPeople(query=query)
        found = await self._tx.read(lambda uow: services.find_people(command, uow))
        return whois_card(views.whois_view(found, viewer, note=note))

    async def grant(self, turn: Turn, args: GrantArgs) -> Reply:
        role = _role(args.role_word, turn.actor)
        command = services.GrantRole(
            by=turn.actor,
            email=args.email,
            role=role,
            why=_reason(args.rest, f"grant {args.email} {role.value}"),
            deputy_for_email=args.deputy_for,
        )
        done = await self._tx.run(lambda uow: services.grant_role(command, uow, now=turn.now))
        log.info("role %s granted by %s", role.value, turn.actor.object_id)
        return text(done.message)

    async def revoke(self, turn: Turn, args: RoleArgs) -> Reply:
        role = _role(args.role_word, turn.actor)
        command = services.RevokeRole(
            by=turn.actor,
            email=args.email,
            role=role,
            why=_reason(args.rest, f"revoke {args.email} {role.value}"),
        )
        done = await self._tx.run(lambda uow: services.revoke_role(command, uow, now=turn.now))
        log.info("role %s revoked by %s", role.value, turn.actor.object_id)
        return text(done.message)

    async def revoke_button(self, turn: Turn, payload: RevokeListed) -> CardAnswer:
        role = parse_role(payload.role)
        if role is None:
            raise InvalidInput(f"'{payload.role}' is not a role. Nothing was changed.")
        command = services.RevokeListedRole(
            by=turn.actor,
            object_id=payload.object_id,
            role=role,
            why=_reason(payload.reason, "the button"),
        )
        done = await self._tx.run(
            lambda uow: services.revoke_listed_role(command, uow, now=turn.now)
        )
        log.info("role %s revoked by %s", role.value, turn.actor.object_id)
        return ShowCard(await self._whois_card(turn.actor, done.email, note=done.message))

    # -- the trail -------------------------------------------------------------------------

    async def verify(self, turn: Turn, args: VerifyArgs) -> Reply:
        command = services.VerifyTrails(reference=args.reference)
        reports = await self._tx.read(lambda uow: services.verify_trails(command, uow))
        return text(views.verification_text(reports, every_case=args.reference is None))

    # -- legal holds and retention ---------------------------------------------------------

    async def hold(self, turn: Turn, args: HoldArgs) -> Reply:
        command = services.PlaceHold(by=turn.actor, reference=args.reference, why=args.reason)
        done = await self._tx.run(lambda uow: services.place_hold(command, uow, now=turn.now))
        log.info("legal hold placed on %s by %s", args.reference, turn.actor.object_id)
        return text(done.message)

    async def release(self, turn: Turn, args: ReleaseArgs) -> Reply:
        command = services.ReleaseHold(by=turn.actor, reference=args.reference, why=args.reason)
        done = await self._tx.run(lambda uow: services.release_hold(command, uow, now=turn.now))
        log.info("legal hold on %s released by %s", args.reference, turn.actor.object_id)
        return text(done.message)

    async def retention(self, turn: Turn, args: RetentionArgs) -> Reply:
        if args.run:
            return text(await self._run(turn))
        return card(await self._retention_card(turn))

    async def retention_button(self, turn: Turn, _payload: NoData) -> CardAnswer:
        done = await self._run(turn)
        return ShowCard(await self._retention_card(turn, done=done))

    async def _run(self, turn: Turn) -> str:
        """Each due case in a transaction of its own: one failure doesn't stop the rest."""
        outcomes = await run_retention(
            self._tx,
            self._retention,
            calendar=self._calendar,
            by=services.author(turn.actor),
            now=turn.now,
        )
        return views.retention_done_text(outcomes)

    async def _retention_card(self, turn: Turn, done: str | None = None) -> Card:
        decisions = await self._tx.read(
            lambda uow: services.retention_decisions(
                uow, now=turn.now, policy=self._retention, calendar=self._calendar
            )
        )
        return retention_card(views.retention_view(decisions, self._retention, turn.actor, done))


def _role(word: str, actor: Person) -> Role:
    """The role typed, by its key or by the partnership's name for it."""
    role = parse_role(word, actor.role_names)
    if role is None:
        known = ", ".join(r.value for r in Role)
        raise InvalidInput(f"'{word}' is not a role. The roles are: {known}.")
    return role


def _reason(text: str, example: str) -> str:
    """The reason for the audit: required, on one line, and not an essay."""
    reason = " ".join(text.split())
    if not reason:
        raise InvalidInput(
            f"Please say why - it is recorded in the audit. For example: {example} "
            "covering the Hub while Jo is on leave. Nothing was changed."
        )
    if len(reason) > MAX_REASON_CHARS:
        raise InvalidInput(f"Please keep the reason under {MAX_REASON_CHARS} characters.")
    return reason
