"""The review after the decision as services, on SQLite and PostgreSQL: owners come from the
directory, a stale card or a step out of order is refused and audited, a publication date
that breaks the 7-working-day rule is shown with a warning before anything is recorded, and
the partners' monitoring prompt goes out once per month."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime

import pytest
from cryptography.fernet import Fernet

from bot_app.cases.messages import HubCards
from bot_app.cases.services import Refused
from bot_app.core.transactions import Transactions
from bot_app.reviews import services
from bot_app.reviews.messages import ReviewMessages, deferral_key, monitoring_key
from bot_app.reviews.scheduled import PROMPTED, ReviewMonitoring
from bot_app.reviews.services import Acted, ReviewStep, Step
from bot_app.reviews.views import ReviewViews
from safeguarding import milestones as m
from safeguarding import panel
from safeguarding import reviews as rv
from safeguarding.case import Actor, Case, Stage
from safeguarding.reference import CaseReference
from safeguarding.reviews import Milestone
from safeguarding.roles import Person, Role
from storage import db
from storage.details import FernetCipher
from storage.uow import UnitOfWork
from tests.services.test_cases import VIEWS

REFERENCE = CaseReference("NL", 2026, 7)
HUB = Person("hub-1", "Hana Hub", roles=frozenset({Role.HUB_OFFICER}))
DECIDED_AT = datetime(2026, 12, 2, 11, tzinfo=UTC)
REVIEW_VIEWS = ReviewViews(VIEWS)


class HubOfficers:
    async def people_with(
        self, uow: UnitOfWork, role: Role, agency: str | None = None
    ) -> list[Person]:
        return [HUB] if role is Role.HUB_OFFICER else []


HUB_CARDS = HubCards(VIEWS, HubOfficers())


@pytest.fixture
async def tx(migrated_database_url: str) -> AsyncIterator[Transactions]:
    """A local CSPR the partners decided on Wednesday 2 December 2026; Olu is in the directory."""
    engine = db.create_engine(migrated_database_url)
    try:
        transactions = Transactions(
            db.session_factory(engine), cipher=FernetCipher([Fernet.generate_key()])
        )
        hub = Actor(HUB.object_id, HUB.name)
        case = Case.open(
            reference=REFERENCE,
            aware_on=date(2026, 11, 23),
            incident_on=date(2026, 11, 20),
            actor=hub,
            at=DECIDED_AT,
            facts={"route": "llr"},
        )
        for stage in (Stage.RAPID_REVIEW, Stage.RECOMMENDATION, Stage.PARTNERS_DECISION):
            case.move_to(stage, actor=hub, at=DECIDED_AT)
        case.record(
            m.REVIEW_STARTED,
            actor=hub,
            at=DECIDED_AT,
            what="Local CSPR started.",
            data={"decided_on": "2026-12-02", "kind": "local"},
        )
        case.move_to(Stage.LOCAL_REVIEW, actor=hub, at=DECIDED_AT)
        async with transactions.unit() as uow:
            await uow.cases.add(case)
            await uow.people.put_person(
                object_id="olu-1",
                name="Olu Reviewer",
                email="olu@example.org",
                agency="Independent",
                at=DECIDED_AT,
            )
            await uow.commit()
        yield transactions
    finally:
        await engine.dispose()


async def stored(tx: Transactions) -> Case:
    async with tx.unit() as uow:
        return await uow.cases.get(REFERENCE)


async def step(
    tx: Transactions, kind: Step, *, now: datetime, version: int | None = None, **form: object
) -> Acted | Refused:
    if version is None:
        version = rv.review_version(await stored(tx))
    command = ReviewStep(step=kind, person=HUB, reference=REFERENCE, version=version, **form)  # type: ignore[arg-type]
    return await tx.run(
        lambda uow: services.act(
            command,
            uow,
            now=now,
            today=now.date(),
            views=REVIEW_VIEWS,
            hub_cards=HUB_CARDS,
        )
    )


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 10, tzinfo=UTC)


async def test_an_owner_comes_from_the_directory_and_the_card_shows_the_receipt(
    tx: Transactions,
) -> None:
    now = at(date(2026, 12, 3))
    outsider = await step(
        tx, Step.PLAN, now=now, milestone=Milestone.COMMISSIONED, owner="nobody-9",
        day=date(2026, 12, 16),
    )  # fmt: skip
    assert isinstance(outsider, Refused)
    assert "not in it" in outsider.message
    case = await stored(tx)
    assert case.events[-1].kind == panel.REFUSED, "refused, and kept in the trail"
    assert rv.review_of(case).milestones[0].owner is None  # type: ignore[union-attr]

    planned = await step(
        tx, Step.PLAN, now=now, milestone=Milestone.COMMISSIONED, owner="olu-1",
        day=date(2026, 12, 16),
    )  # fmt: skip
    assert isinstance(planned, Acted)
    card = json.dumps(planned.card)
    assert "owner Olu Reviewer, target Wednesday 16 December 2026 - Hana Hub" in card
    state = rv.review_of(await stored(tx)).milestones[0]  # type: ignore[union-attr]
    assert state.owner == rv.Owner("olu-1", "Olu Reviewer")


async def test_a_stale_card_and_a_milestone_out_of_order_change_nothing(tx: Transactions) -> None:
    now = at(date(2026, 12, 10))
    first = rv.review_version(await stored(tx))
    done = await step(tx, Step.DONE, now=now, milestone=Milestone.COMMISSIONED, day=now.date())
    assert isinstance(done, Acted)
    stale = await step(
        tx, Step.DONE, now=now, version=first, milestone=Milestone.METHODOLOGY, day=now.date()
    )
    assert isinstance(stale, Refused)
    assert "out of date" in stale.message
    early = await step(tx, Step.DONE, now=now, milestone=Milestone.FINAL, day=now.date())
    assert isinstance(early, Refused)
    assert "'Final report agreed' can't be done before 'Draft report received'" in early.message
    review = rv.review_of(await stored(tx))
    assert review is not None
    assert [s.milestone for s in review.milestones if s.done_on] == [Milestone.COMMISSIONED]


async def _complete(tx: Transactions) -> None:
    for milestone, day in (
        (Milestone.COMMISSIONED, date(2026, 12, 10)),
        (Milestone.METHODOLOGY, date(2026, 12, 17)),
        (Milestone.PRACTITIONERS, date(2027, 1, 14)),
    ):
        assert isinstance(
            await step(tx, Step.DONE, now=at(day), milestone=milestone, day=day), Acted
        )
    family = await step(
        tx, Step.FAMILY, now=at(date(2027, 1, 20)), flag=True, day=date(2027, 1, 20),
        second_flag=True, text="Met the family; their views shaped chapter 3.",
    )  # fmt: skip
    assert isinstance(family, Acted)
    for milestone, day in (
        (Milestone.DRAFT, date(2027, 2, 15)),
        (Milestone.FINAL, date(2027, 3, 1)),
    ):
        assert isinstance(
            await step(tx, Step.DONE, now=at(day), milestone=milestone, day=day), Acted
        )


async def test_a_publication_date_breaking_the_copy_rule_is_warned_about_before_it_is_kept(
    tx: Transactions,
) -> None:
    await _complete(tx)
    now = at(date(2027, 3, 2))
    past = await step(tx, Step.PLAN_PUBLICATION, now=now, day=date(2027, 3, 1))
    assert isinstance(past, Refused)
    assert "in the past" in past.message

    before = len((await stored(tx)).events)
    warned = await step(tx, Step.PLAN_PUBLICATION, now=now, day=date(2027, 3, 8))
    assert isinstance(warned, Acted)
    card = json.dumps(warned.card)
    assert "breaks the 7-working-day rule" in card
    assert "Record this date anyway" in card
    assert len((await stored(tx)).events) == before, "nothing recorded until confirmed"

    kept = await step(tx, Step.PLAN_PUBLICATION, now=now, day=date(2027, 4, 1))
    assert isinstance(kept, Acted)
    assert "by Friday 19 March 2027" in kept.receipt
    review = rv.review_of(await stored(tx))
    assert review is not None
    assert review.publication is not None
    assert review.publication.copy_by == date(2027, 3, 19)
    assert not review.publication.breaks_rule


async def test_the_partners_monitoring_prompt_goes_once_a_month_to_the_hub(
    tx: Transactions,
) -> None:
    monitoring = ReviewMonitoring(tx=tx, views=REVIEW_VIEWS, messages=ReviewMessages(HubOfficers()))
    assert await monitoring.tick(at(date(2026, 12, 31))) == 0, "not a month yet"
    assert await monitoring.tick(datetime(2027, 1, 4, 7, tzinfo=UTC)) == 0, "before 9:00"
    assert await monitoring.tick(at(date(2027, 1, 4))) == 1
    assert await monitoring.tick(at(date(2027, 1, 5))) == 0, "once per period"
    assert await monitoring.tick(at(date(2027, 2, 2))) == 1
    async with tx.unit() as uow:
        first = await uow.outbox.get(f"{monitoring_key(str(REFERENCE), 1)}:person:hub-1")
    assert first is not None
    assert first.summary == f"Review monitoring: case {REFERENCE}"
    assert [e.data["period"] for e in (await stored(tx)).events if e.kind == PROMPTED] == [1, 2]


async def test_a_deferral_for_proceedings_and_a_joint_review_keep_one_timetable(
    tx: Transactions,
) -> None:
    await _complete(tx)
    now = at(date(2027, 3, 2))
    assert isinstance(await step(tx, Step.PLAN_PUBLICATION, now=now, day=date(2027, 4, 1)), Acted)
    unrecorded = await step(
        tx, Step.DEFER, now=now, choice="criminal", day=date(2027, 9, 1),
        other_day=date(2027, 6, 1), text="Trial listed for June.",
    )  # fmt: skip
    assert isinstance(unrecorded, Refused)
    assert "record it under parallel processes first" in unrecorded.message
    for process in ("criminal", "dhr"):
        recorded = await step(
            tx, Step.PROCESS, now=now, choice=process, agency="Humberside Police",
            text="DS Rowe", status="ongoing",
        )  # fmt: skip
        assert isinstance(recorded, Acted)
    deferred = await step(
        tx, Step.DEFER, now=now, choice="criminal", day=date(2027, 9, 1),
        other_day=date(2027, 6, 1), text="Trial listed for June.",
    )  # fmt: skip
    assert isinstance(deferred, Acted)
    assert "by Friday 20 August 2027" in deferred.receipt
    joint = await step(tx, Step.JOINT, now=now, choice="dhr")
    assert isinstance(joint, Acted)
    case = await stored(tx)
    review = rv.review_of(case)
    assert review is not None
    assert review.joint_with is rv.ProcessKind.DHR
    assert review.publication is not None
    assert review.publication.deferral is not None
    running = VIEWS.clocks(case, now.date())
    assert [c.rule.id.value for c in running if c.rule.id.value.endswith("_review")] == [
        "local_review"
    ], "one review clock"
    copy = next(c for c in running if c.rule.id.value == "report_copy")
    assert copy.deadline.due == date(2027, 8, 20), "the copy deadline follows the new date"

    # On the day set to look again at the deferral, the Hub is prompted, once.
    monitoring = ReviewMonitoring(tx=tx, views=REVIEW_VIEWS, messages=ReviewMessages(HubOfficers()))
    assert await monitoring.tick(at(date(2027, 5, 31))) == 0
    assert await monitoring.tick(at(date(2027, 6, 1))) == 1
    assert await monitoring.tick(at(date(2027, 6, 2))) == 0
    async with tx.unit() as uow:
        prompt = await uow.outbox.get(
            f"{deferral_key(str(REFERENCE), date(2027, 6, 1))}:person:hub-1"
        )
    assert prompt is not None


async def test_the_partners_record_their_response_once_the_panel_has_published(
    tx: Transactions,
) -> None:
    hub = Actor(HUB.object_id, HUB.name)
    async with tx.unit() as uow:
        case = await uow.cases.get(REFERENCE)
        case.move_to(Stage.NATIONAL_REVIEW, actor=hub, at=at(date(2026, 12, 16)))
        case.record(
            m.REVIEW_STARTED,
            actor=hub,
            at=at(date(2026, 12, 16)),
            what="National review commissioned.",
            data={"decided_on": "2026-12-16", "kind": "national"},
        )
        await uow.cases.save(case)
        await uow.commit()
    grace = Person("partner-1", "Grace Okafor", roles=frozenset({Role.PARTNER}))

    async def respond(now: datetime) -> Acted | Refused:
        command = ReviewStep(
            step=Step.RESPOND,
            person=grace,
            reference=REFERENCE,
            version=rv.review_version(await stored(tx)),
            day=now.date(),
            text="Findings 2 and 4 go to the action plan.",
        )
        return await tx.run(
            lambda uow: services.act(
                command, uow, now=now, today=now.date(), views=REVIEW_VIEWS, hub_cards=HUB_CARDS
            )
        )

    early = await respond(at(date(2027, 1, 5)))
    assert isinstance(early, Refused)
    assert "has not published" in early.message
    published = await step(tx, Step.PUBLISH, now=at(date(2027, 6, 1)), day=date(2027, 6, 1))
    assert isinstance(published, Acted)
    assert "until at least Saturday 1 June 2030" in published.receipt
    answered = await respond(at(date(2027, 6, 10)))
    assert isinstance(answered, Acted)
    assert "Grace Okafor, Thursday 10 June 2027" in json.dumps(answered.card)
    review = rv.review_of(await stored(tx))
    assert review is not None
    assert [(r.partner, r.responded_on) for r in review.responses] == [
        ("Grace Okafor", date(2027, 6, 10))
    ]
