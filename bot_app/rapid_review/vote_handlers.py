"""Translating the vote's buttons - the Hub's, the CSPR Group members' and the partners' -
into service calls.

Every answer is built after the service's unit of work has committed: the card that replaces
the pressed one, a refusal, or a short note. The voting pack carries the case summary and the
agency reports, so it goes to the member's personal chat, wherever the button was pressed.
"""

from __future__ import annotations

from functools import partial

from bot_app.core.answers import CardAnswer, ShowCard, Toast
from bot_app.core.payloads import CaseData
from bot_app.core.people import People
from bot_app.core.posting import post_to_actor
from bot_app.core.routing import Router
from bot_app.core.transactions import Transactions
from bot_app.core.turn import Turn
from bot_app.rapid_review import chase_services, partner_services, vote_services
from bot_app.rapid_review.handlers import card_answer
from bot_app.rapid_review.messages import RapidReviewMessages, pack_key
from bot_app.rapid_review.payloads import (
    CastVote,
    ChallengeRecommendation,
    CloseVote,
    OpenVote,
    RoundData,
)
from cards.rapid_review import (
    VERB_CHALLENGE,
    VERB_CHASE_VOTE,
    VERB_CLOSE_VOTE,
    VERB_CONFIRM,
    VERB_OPEN_VOTE,
)
from cards.vote import VERB_CAST, VERB_PACK, VERB_REFRESH, VERB_SHOW_TRACKER
from safeguarding.policy import Action, voting_seat
from storage.uow import UnitOfWork

PACK_SENT = (
    "I've sent the voting pack - the case summary and the agency reports - to you in a "
    "personal chat."
)


class VoteHandlers:
    def __init__(self, *, tx: Transactions, messages: RapidReviewMessages, people: People) -> None:
        self._tx = tx
        self._messages = messages
        self._people = people

    def register(self, router: Router) -> None:
        hub = Action.START_RAPID_REVIEW
        router.add_verb(VERB_OPEN_VOTE, self.open_vote, payload=OpenVote, action=hub)
        router.add_verb(VERB_SHOW_TRACKER, self.show_tracker, payload=CaseData, action=hub)
        router.add_verb(VERB_CHASE_VOTE, self.chase_vote, payload=CaseData, action=hub)
        router.add_verb(VERB_CLOSE_VOTE, self.close_vote, payload=CloseVote, action=hub)
        router.add_verb(VERB_CAST, self.cast_vote, payload=CastVote, action=Action.VOTE)
        router.add_verb(VERB_REFRESH, self.refresh_vote, payload=RoundData, action=Action.VIEW_CASE)
        router.add_verb(
            VERB_PACK, self.voting_pack, payload=RoundData, action=Action.OPEN_VOTING_PACK
        )
        router.add_verb(
            VERB_CONFIRM, self.confirm, payload=RoundData, action=Action.DECIDE_RECOMMENDATION
        )
        router.add_verb(
            VERB_CHALLENGE,
            self.challenge,
            payload=ChallengeRecommendation,
            action=Action.DECIDE_RECOMMENDATION,
        )

    # -- the vote ---------------------------------------------------------------------------

    async def open_vote(self, turn: Turn, payload: OpenVote) -> CardAnswer:
        command = vote_services.OpenVote(
            reference=payload.reference, actor=turn.actor, anyway=payload.anyway == "yes"
        )
        return card_answer(
            await self._tx.run(
                partial(
                    vote_services.open_vote,
                    command,
                    now=turn.now,
                    messages=self._messages,
                    people=self._people,
                )
            )
        )

    async def show_tracker(self, turn: Turn, payload: CaseData) -> CardAnswer:
        """ "Wait for the reports": the tracker again, nothing changed."""
        return ShowCard(
            await self._tx.read(
                partial(
                    vote_services.tracker, payload.reference, now=turn.now, messages=self._messages
                )
            )
        )

    async def cast_vote(self, turn: Turn, payload: CastVote) -> CardAnswer:
        command = vote_services.CastBallot(
            reference=payload.reference,
            round=payload.round,
            choice=payload.choice,
            criteria=payload.ticked(),
            rationale=payload.rationale,
            actor=turn.actor,
            teams_user_id=turn.teams_user_id,
        )
        return card_answer(
            await self._tx.run(
                partial(vote_services.cast_vote, command, now=turn.now, messages=self._messages)
            )
        )

    async def refresh_vote(self, turn: Turn, payload: RoundData) -> CardAnswer:
        """Teams asks for this person's view of the vote card (refresh.userIds)."""
        shown = await self._tx.read(
            partial(
                vote_services.vote_as_seen_by,
                payload.reference,
                payload.round,
                voting_seat(turn.actor),
                messages=self._messages,
            )
        )
        return ShowCard(shown)

    async def voting_pack(self, turn: Turn, payload: RoundData) -> CardAnswer:
        """ "Open the voting pack": always to the member's personal chat (it carries the case
        summary and the reports), logged in the access log in the same transaction."""
        command = vote_services.OpenPack(reference=payload.reference, actor=turn.actor)
        reference = str(payload.reference)

        async def send(uow: UnitOfWork) -> None:
            pack = await vote_services.voting_pack(
                command, uow, now=turn.now, messages=self._messages
            )
            await post_to_actor(
                uow,
                turn,
                pack,
                key=pack_key(reference, turn.actor.object_id),
                case_reference=reference,
            )

        await self._tx.run(send)
        return Toast(PACK_SENT)

    async def chase_vote(self, turn: Turn, payload: CaseData) -> CardAnswer:
        """The Hub chases the members who haven't voted (once a day)."""
        command = chase_services.ChaseVote(reference=payload.reference, actor=turn.actor)
        outcome = await self._tx.run(
            partial(chase_services.chase_vote, command, now=turn.now, messages=self._messages)
        )
        if isinstance(outcome, chase_services.Said):
            return Toast(outcome.text)
        return card_answer(outcome)

    async def close_vote(self, turn: Turn, payload: CloseVote) -> CardAnswer:
        """The Hub closes the vote with a reason (below the quorum: close and refer)."""
        command = vote_services.CloseVote(
            reference=payload.reference,
            actor=turn.actor,
            reason=payload.reason,
            refer=payload.refer == "yes",
        )
        return card_answer(
            await self._tx.run(
                partial(vote_services.close_vote, command, now=turn.now, messages=self._messages)
            )
        )

    # -- the partners -----------------------------------------------------------------------

    async def confirm(self, turn: Turn, payload: RoundData) -> CardAnswer:
        command = partner_services.Confirm(
            reference=payload.reference, round=payload.round, actor=turn.actor
        )
        return card_answer(
            await self._tx.run(
                partial(partner_services.confirm, command, now=turn.now, messages=self._messages)
            )
        )

    async def challenge(self, turn: Turn, payload: ChallengeRecommendation) -> CardAnswer:
        command = partner_services.Challenge(
            reference=payload.reference,
            round=payload.round,
            reason=payload.reason,
            refer=payload.outcome == "dispute",
            actor=turn.actor,
        )
        return card_answer(
            await self._tx.run(
                partial(partner_services.challenge, command, now=turn.now, messages=self._messages)
            )
        )
