"""``reminders <reference>`` and the "On it" / "Done" buttons on a reminder card.

The schedule is for anyone who may see the case (``Action.VIEW_CASE``); acknowledging needs
``Action.ACKNOWLEDGE_REMINDER`` and access to the reminder's case (the router checks both).
Whoever presses gets the card redrawn with their name; the posted copies are updated through
the outbox.
"""

from __future__ import annotations

from bot_app.core.access import ReminderSubject
from bot_app.core.answers import CardAnswer, Reply, ShowCard, card
from bot_app.core.payloads import CardPayload, CaseArgs, WholeNumber
from bot_app.core.people import People
from bot_app.core.routing import Router
from bot_app.core.transactions import Transactions
from bot_app.core.turn import Turn
from bot_app.reminders import services
from bot_app.reminders.views import ReminderViews
from cards.reminder import VERB_DONE, VERB_ON_IT, schedule_card
from safeguarding.policy import Action
from storage.reminders import Acknowledgement


class OnIt(CardPayload):
    """ "On it": someone has taken the reminder on."""

    reminder: WholeNumber

    def subject(self) -> ReminderSubject:
        return ReminderSubject(self.reminder)  # only those who may see its case acknowledge it


class Done(CardPayload):
    """ "Done": the step is done (the clock itself stops when the step is recorded)."""

    reminder: WholeNumber

    def subject(self) -> ReminderSubject:
        return ReminderSubject(self.reminder)


class ReminderHandlers:
    def __init__(self, *, tx: Transactions, views: ReminderViews, people: People) -> None:
        self._tx = tx
        self._views = views
        self._people = people

    def register(self, router: Router) -> None:
        router.add_command(
            ["reminders"],
            self.show,
            args=CaseArgs,
            usage="reminders <reference>",
            description="The reminders a case has had and will get: when, and where they go.",
            action=Action.VIEW_CASE,
        )
        router.add_verb(VERB_ON_IT, self.on_it, payload=OnIt, action=Action.ACKNOWLEDGE_REMINDER)
        router.add_verb(VERB_DONE, self.done, payload=Done, action=Action.ACKNOWLEDGE_REMINDER)

    async def show(self, turn: Turn, args: CaseArgs) -> Reply:
        command = services.ShowSchedule(reference=args.reference, by=turn.actor)
        schedule = await self._tx.read(
            lambda uow: services.schedule_of(
                command, uow, now=turn.now, views=self._views, people=self._people
            )
        )
        return card(schedule_card(schedule))

    async def on_it(self, turn: Turn, payload: OnIt) -> CardAnswer:
        return await self._acknowledge(turn, payload.reminder, Acknowledgement.ON_IT)

    async def done(self, turn: Turn, payload: Done) -> CardAnswer:
        return await self._acknowledge(turn, payload.reminder, Acknowledgement.DONE)

    async def _acknowledge(
        self, turn: Turn, reminder_id: int, state: Acknowledgement
    ) -> CardAnswer:
        command = services.Acknowledge(reminder_id=reminder_id, state=state, by=turn.actor)
        done = await self._tx.run(
            lambda uow: services.acknowledge(command, uow, now=turn.now, views=self._views)
        )
        return ShowCard(done.card)
