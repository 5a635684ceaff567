"""Commands and card verbs, registered by the features and dispatched by the edge.

Each feature's ``handlers.py`` registers its chat commands (with an :class:`Args` model) and
Universal Action verbs (with a :class:`CardPayload` model) and the policy action that guards
each. The edge resolves who is acting and validates the payload, then asks the router to run
the handler: :meth:`Router.run_command` and :meth:`Router.run_verb` check the role and then
access to the case the payload names (``bot_app/core/access.py``) *before* the handler runs -
one rule for every command and verb, not one remembered per handler. The services check
again for anything else case-specific (a voting seat, an agency's request).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from bot_app.core.access import CaseAccess
from bot_app.core.answers import CardAnswer, Reply
from bot_app.core.payloads import Args, CardPayload
from bot_app.core.turn import Turn
from bot_app.observability import case_reference
from safeguarding.policy import Action, can, require
from safeguarding.roles import Person

A = TypeVar("A", bound=Args)
P = TypeVar("P", bound=CardPayload)

CommandHandler = Callable[[Turn, Any], Awaitable[Reply]]
VerbHandler = Callable[[Turn, Any], Awaitable[CardAnswer]]
# A card submit (Action.Submit) that arrived with no dialog waiting for it: a handler may
# recognise it (a double-pressed Send, say) and answer it; ``None`` means "not mine".
OrphanSubmitHandler = Callable[[Turn, dict[str, Any]], Awaitable[Reply | None]]


@dataclass(frozen=True)
class CommandSpec:
    names: tuple[str, ...]
    usage: str
    description: str
    action: Action
    handler: CommandHandler
    args: type[Args]
    personal_only: bool = False  # details must never be collected or shown in a channel


@dataclass(frozen=True)
class VerbSpec:
    verb: str
    action: Action
    handler: VerbHandler
    payload: type[CardPayload]


@dataclass
class Router:
    reference_prefix: str = "NL"
    # The case-access gate. Without one, a command or verb that names a case is refused
    # (fails closed) rather than run unchecked.
    access: CaseAccess | None = None
    _commands: dict[str, CommandSpec] = field(default_factory=dict)
    _ordered: list[CommandSpec] = field(default_factory=list)
    _verbs: dict[str, VerbSpec] = field(default_factory=dict)
    orphan_submit_handlers: list[OrphanSubmitHandler] = field(default_factory=list)

    def add_command(
        self,
        names: Iterable[str],
        handler: Callable[[Turn, A], Awaitable[Reply]],
        *,
        args: type[A],
        usage: str,
        description: str,
        action: Action,
        personal_only: bool = False,
    ) -> None:
        spec = CommandSpec(
            names=tuple(n.lower() for n in names),
            usage=usage,
            description=description,
            action=action,
            handler=handler,
            args=args,
            personal_only=personal_only,
        )
        for name in spec.names:
            if name in self._commands:
                raise ValueError(f"command {name!r} is registered twice")
            self._commands[name] = spec
        self._ordered.append(spec)

    def add_verb(
        self,
        verb: str,
        handler: Callable[[Turn, P], Awaitable[CardAnswer]],
        *,
        payload: type[P],
        action: Action,
    ) -> None:
        if verb in self._verbs:
            raise ValueError(f"card verb {verb!r} is registered twice")
        self._verbs[verb] = VerbSpec(verb=verb, action=action, handler=handler, payload=payload)

    def add_orphan_submit(self, handler: OrphanSubmitHandler) -> None:
        self.orphan_submit_handlers.append(handler)

    def command(self, name: str) -> CommandSpec | None:
        return self._commands.get(name.lower())

    def verb(self, verb: str) -> VerbSpec | None:
        return self._verbs.get(verb)

    @property
    def commands(self) -> list[CommandSpec]:
        return list(self._ordered)

    @property
    def verbs(self) -> list[VerbSpec]:
        return list(self._verbs.values())

    async def run_command(self, spec: CommandSpec, turn: Turn, args: Args) -> Reply:
        """The command's answer, once the role and access to the case it names are checked."""
        await self._admit(turn, spec.action, args, asked=spec.names[0])
        return await spec.handler(turn, args)

    async def run_verb(self, spec: VerbSpec, turn: Turn, payload: CardPayload) -> CardAnswer:
        """The verb's answer, once the role and access to the case it names are checked."""
        await self._admit(turn, spec.action, payload, asked=spec.verb)
        return await spec.handler(turn, payload)

    async def _admit(
        self, turn: Turn, action: Action, named: Args | CardPayload, *, asked: str
    ) -> None:
        require(turn.actor, action)
        subject = named.subject()
        if subject is None:
            return
        if self.access is None:
            raise RuntimeError(f"{asked!r} names a case but the router has no access gate")
        await self.access.check(turn.actor, subject, asked=asked)
        reference = getattr(subject, "reference", None)
        if reference is not None:
            case_reference.set(str(reference))  # every log line of the turn names its case

    def available_to(self, person: Person) -> list[CommandSpec]:
        """The commands this person may use, in registration order: what help shows them."""
        return [spec for spec in self._ordered if can(person, spec.action)]
