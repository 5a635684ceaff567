"""Sending a notification, run as a service on a real database: no Teams involved."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime

import pytest
from cryptography.fernet import Fernet

from bot_app.cases.messages import HubCards, hub_card_key
from bot_app.cases.views import CaseSettings, CaseViews
from bot_app.core.transactions import Transactions
from bot_app.notification import messages
from bot_app.notification.services import (
    AlreadySent,
    CaseOpened,
    SendNotification,
    send_notification,
)
from safeguarding.calendar import CountingConvention, WorkingDayCalendar
from safeguarding.clocks import STATUTORY_CLOCKS
from safeguarding.notification import (
    AbuseOrNeglect,
    AgeBand,
    ChildContext,
    HarmType,
    LearningReason,
    Notification,
    Outcome,
    Route,
    SensitiveDetails,
)
from safeguarding.roles import Person, Role
from storage import db
from storage.details import FernetCipher
from storage.uow import UnitOfWork

NOW = datetime(2026, 11, 26, 10, tzinfo=UTC)
TODAY = date(2026, 11, 26)
PRACTITIONER = Person(
    "prac-1", "Pat Practitioner", agency="Health", roles=frozenset({Role.PRACTITIONER})
)
HUB_OFFICER = Person("hub-1", "Hana Hub", roles=frozenset({Role.HUB_OFFICER}))
DEATH_WITH_NEGLECT = Notification(
    agency="Health",
    notifier_role="Health visitor",
    lead_consulted=False,
    incident_on=date(2026, 11, 20),
    aware_on=date(2026, 11, 23),
    outcome=Outcome.DIED,
    abuse_or_neglect=AbuseOrNeglect.SUSPECTED,
    harm_types=frozenset({HarmType.NEGLECT}),
    learning_reason=LearningReason.NONE,
    child=ChildContext(age_band=AgeBand.UNDER_1),
)
DETAILS = SensitiveDetails(initials="A.B.", summary="Found unresponsive at home.")
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
    """The directory, with one Hub officer (no Hub channel is registered in these tests)."""

    async def people_with(
        self, uow: UnitOfWork, role: Role, agency: str | None = None
    ) -> list[Person]:
        return [HUB_OFFICER] if role is Role.HUB_OFFICER else []


@pytest.fixture
async def tx(migrated_database_url: str) -> AsyncIterator[Transactions]:
    engine = db.create_engine(migrated_database_url)
    try:
        yield Transactions(db.session_factory(engine), cipher=FernetCipher([Fernet.generate_key()]))
    finally:
        await engine.dispose()


async def _send(tx: Transactions, token: str = "token-1") -> CaseOpened | AlreadySent:
    command = SendNotification(
        notifier=PRACTITIONER, token=token, notification=DEATH_WITH_NEGLECT, details=DETAILS
    )
    return await tx.run(
        lambda uow: send_notification(
            command,
            uow,
            now=NOW,
            today=TODAY,
            reference_prefix="NL",
            hub_cards=HubCards(VIEWS, HubOfficers()),
        )
    )


async def test_sending_opens_a_serious_case_and_queues_its_card_for_the_hub(
    tx: Transactions,
) -> None:
    result = await _send(tx)

    assert isinstance(result, CaseOpened)
    assert str(result.case.reference) == "NL-2026-0001"
    assert result.route is Route.SERIOUS
    async with tx.unit() as uow:
        case = await uow.cases.get(result.case.reference)
        queued = await uow.outbox.get(f"{hub_card_key('NL-2026-0001')}:person:hub-1")
        details = await uow.details.get("NL-2026-0001")
    assert queued is not None, "with no Hub channel, each Hub officer gets the card"
    assert "notification.lead_not_consulted" in [e.kind for e in case.events]
    assert details == {"initials": "A.B.", "full_name": "", "summary": DETAILS.summary}


async def test_sending_twice_creates_one_case_and_names_it(tx: Transactions) -> None:
    first = await _send(tx)
    second = await _send(tx)

    assert isinstance(first, CaseOpened)
    assert second == AlreadySent("NL-2026-0001", NOW), "with when it was sent"
    third = await _send(tx, token="token-2")
    assert isinstance(third, CaseOpened)
    assert str(third.case.reference) == "NL-2026-0002", "no number was used up by the repeat"


async def test_the_confirmation_tells_the_practitioner_the_panel_deadline(
    tx: Transactions,
) -> None:
    result = await _send(tx)
    assert isinstance(result, CaseOpened)

    view = messages.confirmation(VIEWS, result.case, result.route, result.reasons)

    assert view.reference == "NL-2026-0001"
    assert view.contact == "hub@example.org"
    assert any("Panel" in title for title, _ in view.deadlines)
    assert view.next_steps[-1] == "Type **status NL-2026-0001** at any time to see where it is."


async def test_two_sends_at_the_same_moment_still_create_one_case(tx: Transactions) -> None:
    results = await asyncio.gather(_send(tx), _send(tx))

    opened = [r for r in results if isinstance(r, CaseOpened)]
    assert len(opened) == 1
    assert AlreadySent("NL-2026-0001", NOW) in results
    after = await _send(tx, token="token-2")
    assert isinstance(after, CaseOpened)
    assert str(after.case.reference) == "NL-2026-0002", "the losing attempt was rolled back"
