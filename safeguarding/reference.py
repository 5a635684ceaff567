"""Case references: the only identifier that ever appears in a Teams channel.

Channel posts carry a case reference, the stage and a deadline, never a child's name
(domain.md, "Information governance"), so the reference has to be short, readable aloud in a
meeting, and typed back by people without a lookup table: ``NL-2026-0001`` is the partnership's
prefix, the year the case was opened and a number counted per prefix and year.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from safeguarding.errors import InvalidInput

# A partnership chooses its own prefix (settings.reference_prefix); short upper-case letters
# and digits keep it unambiguous when read out and safe in any channel or file name.
_PREFIX = re.compile(r"[A-Z0-9]{2,8}")
# People type references back into chat: accept any case, stray spaces, and the en or em dash
# that Word and Outlook substitute for a hyphen when a reference is pasted from a document.
_TYPED = re.compile(r"([A-Za-z0-9]{2,8})\s*[-\u2013\u2014]\s*(\d{4})\s*[-\u2013\u2014]\s*(\d+)")

EARLIEST_YEAR, LATEST_YEAR = 2000, 9999
_EXAMPLE_PREFIX = "NL"


def validate_prefix(prefix: str) -> str:
    """The prefix as given, or ``InvalidInput`` explaining what a prefix may contain."""
    if not _PREFIX.fullmatch(prefix):
        raise InvalidInput(
            f"'{prefix}' cannot be used as a case reference prefix: use 2 to 8 capital letters "
            "or digits, for example NL."
        )
    return prefix


@dataclass(frozen=True, order=True)
class CaseReference:
    """A case's public identifier, such as ``NL-2026-0001``.

    Ordering is by prefix, then year, then number, which is also the order cases were opened
    within a partnership; that is what a list of cases should look like.
    """

    prefix: str
    year: int
    number: int

    def __post_init__(self) -> None:
        validate_prefix(self.prefix)
        if not EARLIEST_YEAR <= self.year <= LATEST_YEAR:
            raise InvalidInput(
                f"{self.year} is not a year a case reference can have "
                f"({EARLIEST_YEAR}-{LATEST_YEAR})."
            )
        if self.number < 1:
            raise InvalidInput("Case reference numbers start at 1.")

    def __str__(self) -> str:
        # Four digits keep references the same width in lists; a busy year simply grows a digit.
        return f"{self.prefix}-{self.year}-{self.number:04d}"

    @classmethod
    def parse(cls, text: str, *, prefix: str | None = None) -> CaseReference:
        """Read a reference a person typed, such as ``nl-2026-0001`` or ``NL-2026-1``.

        With ``prefix``, a reference belonging to another partnership is refused, so that a
        reference copied from a neighbouring area's email does not silently match nothing.
        """
        example = f"{prefix or _EXAMPLE_PREFIX}-2026-0001"
        match = _TYPED.fullmatch(text.strip())
        if match is None:
            raise InvalidInput(
                "That is not a case reference. A case reference looks like "
                f"{example}: the partnership's letters, the year, then the case number."
            )
        found_prefix, year, number = (
            match.group(1).upper(),
            int(match.group(2)),
            int(match.group(3)),
        )
        if prefix is not None and found_prefix != prefix:
            raise InvalidInput(
                "That is not one of this partnership's case references: ours start "
                f"with {prefix}-, for example {example}."
            )
        return cls(prefix=found_prefix, year=year, number=number)
