"""Evidence links and bundles without Teams or HTTP: the services on a real SQLite database."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from bot_app.core.transactions import Transactions
from bot_app.evidence import services
from bot_app.evidence.views import export_view
from bot_app.security import read_export_token
from safeguarding.calendar import CountingConvention, WorkingDayCalendar
from safeguarding.case import Actor, Case
from safeguarding.clocks import STATUTORY_CLOCKS
from safeguarding.errors import NotFound
from safeguarding.reference import CaseReference
from safeguarding.roles import Person, Role

NOW = datetime(2026, 11, 26, 10, tzinfo=UTC)
REFERENCE = CaseReference("NL", 2026, 1)
HUB = Person("hub-1", "Priya Shah", roles=frozenset({Role.HUB_OFFICER}))
SETTINGS = services.EvidenceSettings(
    partnership="North Lincolnshire",
    calendar=WorkingDayCalendar(),
    clocks=STATUTORY_CLOCKS,
    convention=CountingConvention.EXCLUDE_START,
    signing_key=b"k" * 32,
    public_base_url="https://bot.example/",
)


@pytest.fixture
async def tx(transactions: Transactions) -> Transactions:
    """One case, opened two days ago, on a fresh database."""
    case = Case.open(
        reference=REFERENCE,
        aware_on=date(2026, 11, 24),
        incident_on=None,
        actor=Actor(id=HUB.object_id, name=HUB.name),
        at=NOW - timedelta(days=2),
    )
    await transactions.run(lambda uow: uow.cases.add(case))
    return transactions


async def test_the_links_work_for_the_person_who_asked_for_fifteen_minutes(
    tx: Transactions,
) -> None:
    command = services.IssueLinks(reference=REFERENCE, by=HUB)
    links = await tx.read(
        lambda uow: services.issue_links(command, uow, now=NOW, settings=SETTINGS)
    )

    token = links.json_url.partition("token=")[2]
    assert links.html_url.startswith("https://bot.example/evidence/NL-2026-0001.html?token=")
    assert (
        read_export_token(
            SETTINGS.signing_key, token, reference=str(REFERENCE), now=NOW + timedelta(minutes=14)
        )
        == HUB.object_id
    )
    assert export_view(links, SETTINGS.calendar.timezone).expires == "10:15 on 26 November 2026"


async def test_no_links_are_issued_for_a_case_that_does_not_exist(tx: Transactions) -> None:
    command = services.IssueLinks(reference=CaseReference("NL", 2026, 99), by=HUB)

    with pytest.raises(NotFound, match="I can't find case NL-2026-0099"):
        await tx.read(lambda uow: services.issue_links(command, uow, now=NOW, settings=SETTINGS))


async def test_a_download_is_itself_in_the_next_bundles_access_log(tx: Transactions) -> None:
    command = services.DownloadBundle(reference=REFERENCE, by=HUB, printable=True)

    async def download() -> services.Bundle | None:
        return await tx.run(
            lambda uow: services.download_bundle(command, uow, now=NOW, settings=SETTINGS)
        )

    first = await download()
    second = await download()

    assert isinstance(first, services.Bundle)
    assert isinstance(second, services.Bundle)
    assert first.content["access_log"] == []
    assert [a["what"] for a in second.content["access_log"]] == [
        "downloaded the evidence bundle (printable)"
    ]
    assert second.content["trail"]["intact"]
