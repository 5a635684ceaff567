"""Who is told of a reminder, under which outbox keys.

A reminder goes to the channel responsible for its clock (an agency's, else the Hub's) and,
personally, to the case's named owner (the case fact ``owner_object_id``) or, for an agency
clock, the agency's safeguarding leads. With no channel at all the Hub officers get it
personally. Escalations go to the channel only. Keys make every message idempotent: the
same reminder is never queued twice, whichever worker derives it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from bot_app.core.people import People
from bot_app.core.posting import card_activity, post_to_hub, post_to_people, update_message
from cards.base import Card
from safeguarding.case import Case
from safeguarding.reminders import ChannelPurpose, PlannedReminder, ReminderKey, ReminderKind
from safeguarding.roles import Person, Role
from storage.channels import RegisteredChannel
from storage.outbox import OutgoingMessage
from storage.reminders import Acknowledgement
from storage.uow import UnitOfWork


def reminder_message_key(key: ReminderKey) -> str:
    """The outbox key of a reminder's channel post; personal copies add ``:person:<id>``."""
    return f"reminder:{key}"


def digest_message_key(day: date) -> str:
    return f"digest:{day.isoformat()}"


def acknowledgement_key(original_key: str, state: Acknowledgement) -> str:
    """The in-place edit of one posted copy after "On it" or "Done"."""
    return f"{original_key}:ack:{state.value}"


@dataclass(frozen=True)
class Recipients:
    channel: RegisteredChannel | None
    people: tuple[Person, ...]

    @property
    def nobody(self) -> bool:
        return self.channel is None and not self.people

    def describe(self) -> str:
        """Where a planned reminder would go now, as the schedule card says it."""
        parts = []
        if self.channel is not None:
            parts.append(f"the {self.channel.label} channel")
        if self.people:
            count = len(self.people)
            parts.append(f"{count} {'person' if count == 1 else 'people'} personally")
        return " and ".join(parts) or "nobody yet: no channel is registered"


async def recipients(
    uow: UnitOfWork, case: Case, reminder: PlannedReminder, *, people: People
) -> Recipients:
    """The channel responsible (an agency's falls back to the Hub's) and the people who get
    it personally: the named owner, or an agency's leads; the Hub officers when no channel at
    all is registered."""
    channel = await uow.channels.resolve(reminder.purpose, reminder.agency)
    found: list[Person] = []
    if reminder.kind is not ReminderKind.ESCALATION:
        if reminder.clock.subject and reminder.purpose is ChannelPurpose.AGENCY:
            found += await people.people_with(uow, Role.AGENCY_LEAD, reminder.clock.subject)
        owner = case.facts.get("owner_object_id")
        if isinstance(owner, str) and owner and not found:
            found.append(Person(object_id=owner, name=""))
    if channel is None:
        found += await people.people_with(uow, Role.HUB_OFFICER)
    unique = {person.object_id: person for person in found}
    return Recipients(channel=channel, people=tuple(unique.values()))


async def post_reminder(
    uow: UnitOfWork,
    to: Recipients,
    card: Card,
    *,
    key: ReminderKey,
    summary: str,
    now: datetime,
) -> None:
    """Queue a reminder's card for its channel and, personally, for its people."""
    base_key = reminder_message_key(key)
    if to.channel is not None:
        await uow.outbox.enqueue(
            OutgoingMessage(
                key=base_key,
                target=to.channel.target,
                activity=card_activity(card, summary=summary),
                summary=summary,
                case_reference=key.case_reference,
            ),
            now=now,
        )
    if to.people:
        await post_to_people(
            uow, list(to.people), card, base_key, key.case_reference, now=now, summary=summary
        )


async def update_posted_copies(
    uow: UnitOfWork,
    outbox_key: str,
    card: Card,
    state: Acknowledgement,
    *,
    case_reference: str,
    summary: str,
    now: datetime,
) -> None:
    """Redraw every posted copy of a reminder (channel and personal) so everyone sees who
    acknowledged it."""
    for original in await uow.outbox.copies_of(outbox_key):
        await update_message(
            uow,
            original,
            card,
            acknowledgement_key(original, state),
            now=now,
            case_reference=case_reference,
            summary=summary,
        )


async def post_digest(
    uow: UnitOfWork, card: Card, day: date, *, people: People, now: datetime
) -> list[str]:
    """The weekly summary to the Hub (its channel, else each officer); the keys queued."""
    return await post_to_hub(
        uow,
        card,
        digest_message_key(day),
        None,
        people=people,
        now=now,
        summary=f"Weekly summary for {day.isoformat()}",
    )
