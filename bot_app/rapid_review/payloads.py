"""What each of the rapid review's buttons sends, checked at the edge before a handler runs.

The cards (``cards/rapid_review.py``, ``cards/vote.py``) put the case and round in each
button's data and the form's inputs beside them; free text arrives trimmed, a ticked list as
one comma-separated value, a date picker's value as a date or ``None``.
"""

from __future__ import annotations

from bot_app.core.payloads import CardPayload, FormText, PickedDate, Reference, WholeNumber


class StartRapidReview(CardPayload):
    reference: Reference
    agencies: FormText = ""  # the ticked agencies, comma-separated


class RoundData(CardPayload):
    """A button on a card about one round of the vote (refresh, confirm)."""

    reference: Reference
    round: WholeNumber


class CastVote(CardPayload):
    reference: Reference
    round: WholeNumber
    choice: FormText = ""
    # The ticked criteria, comma-separated, one input per group on the card.
    criteria: FormText = ""
    criteria_regard: FormText = ""
    criteria_national: FormText = ""
    rationale: FormText = ""

    def ticked(self) -> tuple[str, ...]:
        joined = ",".join((self.criteria, self.criteria_regard, self.criteria_national))
        return tuple(c.strip() for c in joined.split(",") if c.strip())


class OpenVote(CardPayload):
    """The Hub opens the vote; ``anyway`` once warned that reports are missing."""

    reference: Reference
    anyway: FormText = ""


class CloseVote(CardPayload):
    """The Hub closes the vote, with the reason; ``refer`` below the quorum."""

    reference: Reference
    reason: FormText = ""
    refer: FormText = ""


class ChallengeRecommendation(CardPayload):
    reference: Reference
    round: WholeNumber
    reason: FormText = ""
    outcome: FormText = ""  # "dispute", or "return" to the CSPR Group


class RecordSent(CardPayload):
    reference: Reference
    sent_on: PickedDate = None


class RecordPanelDecision(CardPayload):
    reference: Reference
    decided_on: PickedDate = None
    decision: FormText = ""
    note: FormText = ""
