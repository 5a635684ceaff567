"""Typed payloads: what a card button or a command's words must carry, checked once at the edge.

Every card verb registers a :class:`CardPayload` model and every command an :class:`Args`
model with the router. The edge validates what arrived before any handler runs, so a
malformed payload gets the same clear refusal for every verb (and is logged), and handlers
receive typed values - a :class:`CaseReference`, a ``date``, an ``int`` - never raw dicts.

A payload also says which case (or object of a case) it names - :meth:`CardPayload.subject`,
:meth:`Args.subject` - so the router checks access to it before the handler runs
(``bot_app/core/access.py``). By default any model with a ``reference`` names that case; a
payload that names a case some other way (a reminder's id) overrides ``subject``.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, ClassVar, Self

from pydantic import BaseModel, BeforeValidator, ConfigDict, PlainSerializer, ValidationError

from bot_app.core.access import CaseSubject, Subject
from safeguarding.errors import InvalidInput
from safeguarding.reference import CaseReference

MALFORMED = "That button sent something I couldn't read. Type **help** to see the current options."


def _reference(value: object) -> CaseReference:
    if isinstance(value, CaseReference):
        return value
    if not isinstance(value, str):
        raise InvalidInput("That button didn't say which case it is for.")
    return CaseReference.parse(value)


def _whole_number(value: object) -> int:
    # Card data round-trips through JSON and some clients send numbers as strings.
    if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).isdigit():
        raise ValueError("not a whole number")
    return int(value)


def _blank_is_none(value: object) -> object:
    return None if value in ("", None) else value


def _text(value: object) -> str:
    """A form input as text: "" when absent, toggles as "true"/"false", trimmed."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        return str(value)
    if not isinstance(value, str):
        raise ValueError("not text")
    return value.strip()


Reference = Annotated[CaseReference, BeforeValidator(_reference), PlainSerializer(str)]
WholeNumber = Annotated[int, BeforeValidator(_whole_number)]
PickedDate = Annotated[date | None, BeforeValidator(_blank_is_none)]
FormText = Annotated[str, BeforeValidator(_text)]


class CardPayload(BaseModel):
    """The data of one card verb. Unknown keys (``title``, the client's extras) are ignored."""

    model_config = ConfigDict(extra="ignore", frozen=True, arbitrary_types_allowed=True)

    @classmethod
    def read(cls, data: dict[str, Any]) -> Self:
        """The payload, or ``InvalidInput`` with :data:`MALFORMED` (the fields go to the log)."""
        try:
            return cls.model_validate(data)
        except ValidationError as error:
            fields = ", ".join(".".join(map(str, e["loc"])) or "?" for e in error.errors())
            raise MalformedPayload(fields) from None

    def subject(self) -> Subject | None:
        """The case (or object of a case) this button is about; ``None`` if it names none."""
        return _case_named(self)


class MalformedPayload(InvalidInput):
    """A payload that does not fit its verb's model; ``fields`` names what was wrong."""

    def __init__(self, fields: str) -> None:
        super().__init__(MALFORMED)
        self.fields = fields


class NoData(CardPayload):
    """A verb whose button carries nothing the handler needs."""


class CaseData(CardPayload):
    """A button about one case."""

    reference: Reference


class Args(BaseModel):
    """A command's arguments, read from the words after the command.

    ``parse`` gets the text and the partnership's reference prefix; a subclass reads what it
    needs and raises ``InvalidInput`` with an example when the words don't fit.
    """

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)
    usage: ClassVar[str] = ""

    @classmethod
    def parse(cls, text: str, *, prefix: str, usage: str) -> Self:
        return cls()

    def subject(self) -> Subject | None:
        """The case this command is about; ``None`` if it names none."""
        return _case_named(self)


def _case_named(model: BaseModel) -> Subject | None:
    reference = getattr(model, "reference", None)
    return CaseSubject(reference) if isinstance(reference, CaseReference) else None


class NoArgs(Args):
    """A command that ignores what follows it (``help``, ``cases``)."""


class FreeText(Args):
    """A command whose handler reads its words itself (``grant``, ``register``)."""

    text: str

    @classmethod
    def parse(cls, text: str, *, prefix: str, usage: str) -> Self:
        return cls(text=text.strip())


class CaseArgs(Args):
    """``<command> <reference>``: a reference is required."""

    reference: CaseReference

    @classmethod
    def parse(cls, text: str, *, prefix: str, usage: str) -> Self:
        if not text.strip():
            example = usage.replace("<reference>", f"{prefix}-2026-0001")
            raise InvalidInput(f"Which case? For example: **{example}**")
        return cls(reference=CaseReference.parse(text, prefix=prefix))
