"""The case queries and the Hub's first decisions, run as services on a real database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime

import pytest
from cryptography.fernet import Fernet

from bot_app.cases import services
from bot_app.cases.messages import HubCards, hub_card_key
from bot_app.cases.status_views import status_view
from bot_app.cases.views import CaseSettings, CaseViews
from bot_app.core.transactions import Transactions
from bot_app.notification.services import CaseOpened, SendNotification, send_notification
from safeguarding import milestones, panel
from safeguarding.calendar import CountingConvention, WorkingDayCalendar
from safeguarding.case import Stage
from safeguarding.clocks import STATUTORY_CLOCKS
from safeguarding.errors import InvalidInput
from safeguarding.notification import (
    AbuseOrNeglect,
    AgeBand,
    ChildContext,
    HarmType,
    LearningReason,
    Notification,
    Outcome,
    SensitiveDetails,
)
from safeguarding.policy import Forbidden
from safeguarding.reference import CaseReference
from safeguarding.roles import Person, Role
from storage import db
from storage.details import FernetCipher
from storage.uow import UnitOfWork

NOW = datetime(2026, 11, 26, 10, tzinfo=UTC)
TODAY = date(2026, 11, 26)
LATER = datetime(2026, 12, 3, 9, tzinfo=UTC)
REFERENCE = CaseReference("NL", 2026, 1)
PRACTITIONER = Person(
    "prac-1", "Pat Practitioner", agency="Health", roles=frozenset({Role.PRACTITIONER})
)
STRANGER = Person("prac-2", "Sam Stranger", agency="Police", roles=frozenset({Role.PRACTITIONER}))
HUB_OFFICER = Person("hub-1", "Hana Hub", roles=frozenset({Role.HUB_OFFICER}))
VIEWS = CaseViews(
    CaseSettings(
        reference_prefix="NL",
        calendar=WorkingDayCalendar(),
        clocks=STATUTORY_CLOCKS,
        convention=CountingConvention.EXCLUDE_START,
        hub_contact="hub@example.org",
    )
)


class HubOfficers:
    async def people_with(
        self, uow: UnitOfWork, role: Role, agency: str | None = None
    ) -> list[Person]:
        return [HUB_OFFICER] if role is Role.HUB_OFFICER else []


HUB_CARDS = HubCards(VIEWS, HubOfficers())
HUB_COPY = f"{hub_card_key(str(REFERENCE))}:person:hub-1"


@pytest.fixture
async def tx(migrated_database_url: str) -> AsyncIterator[Transactions]:
    engine = db.create_engine(migrated_database_url)
    try:
        transactions = Transactions(
            db.session_factory(engine), cipher=FernetCipher([Fernet.generate_key()])
        )
        command = SendNotification(
            notifier=PRACTITIONER,
            token="token-1",
            notification=Notification(
                agency="Health",
                notifier_role="Health visitor",
                lead_consulted=True,
                incident_on=date(2026, 11, 20),
                aware_on=date(2026, 11, 23),
                outcome=Outcome.DIED,
                abuse_or_neglect=AbuseOrNeglect.SUSPECTED,
                harm_types=frozenset({HarmType.NEGLECT}),
                learning_reason=LearningReason.NONE,
                child=ChildContext(age_band=AgeBand.UNDER_1),
            ),
            details=SensitiveDetails(initials="A.B.", summary="Found unresponsive at home."),
        )
        opened = await transactions.run(
            lambda uow: send_notification(
                command, uow, now=NOW, today=TODAY, reference_prefix="NL", hub_cards=HUB_CARDS
            )
        )
        assert isinstance(opened, CaseOpened)
        yield transactions
    finally:
        await engine.dispose()


async def _access_log(tx: Transactions) -> list[tuple[str, str]]:
    async with tx.unit() as uow:
        return [(r.person_id, r.what) for r in await uow.access_log.for_case(str(REFERENCE))]


async def test_the_hub_sees_details_in_status_in_a_personal_chat_and_it_is_logged(
    tx: Transactions,
) -> None:
    command = services.ShowStatus(HUB_OFFICER, REFERENCE, in_personal_chat=True)
    result = await tx.run(lambda uow: services.show_status(command, uow, now=NOW))

    view = status_view(VIEWS, result.case, TODAY, result.details)
    assert view.details is not None
    assert ("Initials", "A.B.") in view.details
    assert view.next_step == "The Hub notifies the Panel and records it here."
    assert await _access_log(tx) == [("hub-1", "status")]


async def test_status_in_a_channel_shows_no_details_and_logs_no_reading(
    tx: Transactions,
) -> None:
    command = services.ShowStatus(HUB_OFFICER, REFERENCE, in_personal_chat=False)
    result = await tx.run(lambda uow: services.show_status(command, uow, now=NOW))

    assert result.details is None
    assert await _access_log(tx) == []


async def test_the_notifier_sees_no_details_and_a_stranger_is_refused(tx: Transactions) -> None:
    mine = services.ShowStatus(PRACTITIONER, REFERENCE, in_personal_chat=True)
    assert (await tx.run(lambda uow: services.show_status(mine, uow, now=NOW))).details is None

    theirs = services.ShowStatus(STRANGER, REFERENCE, in_personal_chat=True)
    with pytest.raises(Forbidden, match="You don't have access to case NL-2026-0001"):
        await tx.run(lambda uow: services.show_status(theirs, uow, now=NOW))


async def test_a_practitioner_lists_only_the_cases_they_notified(tx: Transactions) -> None:
    assert [
        str(c.reference) for c in await tx.read(lambda uow: services.open_cases(PRACTITIONER, uow))
    ] == ["NL-2026-0001"]
    assert await tx.read(lambda uow: services.open_cases(STRANGER, uow)) == []


async def test_details_opened_from_a_channel_go_to_the_personal_chat(tx: Transactions) -> None:
    command = services.OpenDetails(
        HUB_OFFICER, REFERENCE, in_personal_chat=False, activity_id="act-1"
    )
    result = await tx.run(lambda uow: services.open_details(command, uow, now=NOW))

    assert result.sent_privately
    async with tx.unit() as uow:
        queued = await uow.outbox.get("details:NL-2026-0001:hub-1:act-1")
    assert queued is not None
    assert await _access_log(tx) == [("hub-1", "details")]


async def test_recording_a_late_panel_notification_moves_the_case_and_updates_the_card(
    tx: Transactions,
) -> None:
    command = services.RecordPanelNotified(
        HUB_OFFICER, REFERENCE, notified_on=date(2026, 12, 3), notified_time="8.30am"
    )

    async def record(uow: UnitOfWork) -> object:
        return await services.record_panel_notified(
            command, uow, now=LATER, today=LATER.date(), views=VIEWS, hub_cards=HUB_CARDS
        )

    await tx.run(record)
    async with tx.unit() as uow:
        case = await uow.cases.get(REFERENCE)
        update = await uow.outbox.get(f"{HUB_COPY}:update:{len(case.events)}")
    second = await tx.run(record)  # a second record is refused, and the attempt audited

    assert isinstance(second, services.Refused)
    assert "already recorded" in second.message
    assert "Nothing was changed" in second.message
    assert case.stage is Stage.PANEL_NOTIFIED
    note = VIEWS.card_view(case, LATER.date()).note
    assert note is not None
    assert "at 08:30 by Hana Hub - late (due" in note, "the time as typed, read and kept"
    assert update is not None, "every copy of the Hub card is updated in place"
    async with tx.unit() as uow:
        after = await uow.cases.get(REFERENCE)
    assert [e.kind for e in after.events].count(milestones.PANEL_NOTIFIED) == 1
    assert after.events[-1].kind == panel.REFUSED
    assert after.stage is Stage.PANEL_NOTIFIED


async def test_a_panel_notification_later_today_than_now_is_refused_with_the_reason(
    tx: Transactions,
) -> None:
    command = services.RecordPanelNotified(
        HUB_OFFICER, REFERENCE, notified_on=LATER.date(), notified_time="9.40 pm"
    )

    async def record(uow: UnitOfWork) -> object:
        return await services.record_panel_notified(
            command, uow, now=LATER, today=LATER.date(), views=VIEWS, hub_cards=HUB_CARDS
        )

    with pytest.raises(InvalidInput, match="can't be in the future: 21:40 today"):
        await tx.run(record)
    async with tx.unit() as uow:
        assert (await uow.cases.get(REFERENCE)).stage is not Stage.PANEL_NOTIFIED


async def test_a_panel_notification_in_the_future_is_refused_and_audited(
    tx: Transactions,
) -> None:
    command = services.RecordPanelNotified(
        HUB_OFFICER, REFERENCE, notified_on=date(2026, 11, 27), notified_time=""
    )
    refused = await tx.run(
        lambda uow: services.record_panel_notified(
            command, uow, now=NOW, today=TODAY, views=VIEWS, hub_cards=HUB_CARDS
        )
    )
    assert isinstance(refused, services.Refused)
    assert "in the future" in refused.message
    async with tx.unit() as uow:
        case = await uow.cases.get(REFERENCE)
    assert case.stage is Stage.NOTIFIED
    assert case.events[-1].kind == panel.REFUSED


async def test_a_repeated_send_is_traced_to_its_case(tx: Transactions) -> None:
    assert await tx.read(lambda uow: services.notification_sent_as("token-1", uow)) == (
        "NL-2026-0001"
    )
    assert await tx.read(lambda uow: services.notification_sent_as("other", uow)) is None
