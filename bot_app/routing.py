"""Commands and card verbs, registered by feature modules and dispatched by the handler.

Each feature (notification, channels, reminders, directory administration…) registers its
chat commands and Universal Action verbs here, with the policy action that guards them. The
handler resolves who is acting, checks the policy *before* calling the feature, and the
feature checks again for anything case-specific. A feature never parses activities itself.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from botbuilder.core import InvokeResponse, TurnContext

from safeguarding.policy import Action, can
from safeguarding.roles import Person


@dataclass(frozen=True)
class Turn:
    """One inbound activity, translated: who acts, where, and when."""

    context: TurnContext
    actor: Person
    teams_user_id: str  # the "29:..." id, for refresh.userIds and mentions
    conversation_type: str  # "personal", "channel" or "groupChat"
    now: datetime
    today: date

    @property
    def is_personal(self) -> bool:
        return self.conversation_type == "personal"


TURN_KEY = "cspr.turn"


def current_turn(context: TurnContext) -> Turn:
    """The translated turn, for code that only has the TurnContext (dialogs)."""
    turn = context.turn_state.get(TURN_KEY)
    if not isinstance(turn, Turn):
        raise RuntimeError("no translated turn on this context")
    return turn


CommandHandler = Callable[[Turn, str], Awaitable[None]]
OrphanSubmitHandler = Callable[[Turn, dict[str, Any]], Awaitable[bool]]
VerbHandler = Callable[[Turn, dict[str, Any]], Awaitable[InvokeResponse]]


@dataclass(frozen=True)
class CommandSpec:
    names: tuple[str, ...]
    usage: str
    description: str
    action: Action
    handler: CommandHandler
    personal_only: bool = False  # details must never be collected or shown in a channel


@dataclass(frozen=True)
class VerbSpec:
    verb: str
    action: Action
    handler: VerbHandler


@dataclass
class Router:
    _commands: dict[str, CommandSpec] = field(default_factory=dict)
    _ordered: list[CommandSpec] = field(default_factory=list)
    _verbs: dict[str, VerbSpec] = field(default_factory=dict)
    # Card submits (Action.Submit) that arrive with no dialog waiting for them: each handler
    # may recognise one (a double-pressed Send, say) and answer it, returning True.
    orphan_submit_handlers: list[OrphanSubmitHandler] = field(default_factory=list)

    def add_command(
        self,
        names: Iterable[str],
        handler: CommandHandler,
        *,
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
            personal_only=personal_only,
        )
        for name in spec.names:
            if name in self._commands:
                raise ValueError(f"command {name!r} is registered twice")
            self._commands[name] = spec
        self._ordered.append(spec)

    def add_verb(self, verb: str, handler: VerbHandler, *, action: Action) -> None:
        if verb in self._verbs:
            raise ValueError(f"card verb {verb!r} is registered twice")
        self._verbs[verb] = VerbSpec(verb=verb, action=action, handler=handler)

    def command(self, name: str) -> CommandSpec | None:
        return self._commands.get(name.lower())

    def verb(self, verb: str) -> VerbSpec | None:
        return self._verbs.get(verb)

    def available_to(self, person: Person) -> list[CommandSpec]:
        """The commands this person may use, in registration order: what help shows them."""
        return [spec for spec in self._ordered if can(person, spec.action)]
