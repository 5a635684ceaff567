"""Case references: what people see in channels and type back into chat."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from safeguarding.errors import InvalidInput
from safeguarding.reference import CaseReference, validate_prefix


def test_a_reference_reads_as_prefix_year_and_four_digit_number() -> None:
    assert str(CaseReference("NL", 2026, 1)) == "NL-2026-0001"


def test_a_busy_year_grows_a_fifth_digit_rather_than_wrapping() -> None:
    assert str(CaseReference("NL", 2026, 12345)) == "NL-2026-12345"


@pytest.mark.parametrize(
    "typed",
    ["NL-2026-0001", "nl-2026-0001", "  NL-2026-0001  ", "NL-2026-1", "nl – 2026 – 0001"],
)
def test_a_typed_reference_is_read_whatever_the_case_spacing_or_dash(typed: str) -> None:
    assert CaseReference.parse(typed) == CaseReference("NL", 2026, 1)


@pytest.mark.parametrize("typed", ["", "NL2026 0001", "NL-26-0001", "2026-0001", "N-2026-0001"])
def test_an_unreadable_reference_is_refused_showing_the_expected_form(typed: str) -> None:
    with pytest.raises(InvalidInput, match="looks like NL-2026-0001"):
        CaseReference.parse(typed)


def test_the_example_in_a_refusal_uses_the_partnerships_own_prefix() -> None:
    with pytest.raises(InvalidInput, match="looks like ABC-2026-0001"):
        CaseReference.parse("nonsense", prefix="ABC")


def test_another_partnerships_reference_is_refused_when_the_prefix_is_given() -> None:
    with pytest.raises(InvalidInput, match="ours start with NL-"):
        CaseReference.parse("LC-2026-0001", prefix="NL")


@pytest.mark.parametrize("prefix", ["N", "nl", "TOOLONGPX", "N-L", ""])
def test_a_prefix_must_be_two_to_eight_capital_letters_or_digits(prefix: str) -> None:
    with pytest.raises(InvalidInput, match="2 to 8 capital letters or digits"):
        validate_prefix(prefix)
    with pytest.raises(InvalidInput):
        CaseReference(prefix, 2026, 1)


@pytest.mark.parametrize("prefix", ["NL", "NELC", "LSCP2", "ABCDEFGH"])
def test_partnership_prefixes_of_two_to_eight_characters_are_accepted(prefix: str) -> None:
    assert validate_prefix(prefix) == prefix


def test_numbers_start_at_one() -> None:
    with pytest.raises(InvalidInput, match="start at 1"):
        CaseReference("NL", 2026, 0)
    with pytest.raises(InvalidInput, match="start at 1"):
        CaseReference.parse("NL-2026-0000")


def test_an_implausible_year_is_refused() -> None:
    with pytest.raises(InvalidInput, match="not a year"):
        CaseReference("NL", 1999, 1)


def test_references_sort_in_the_order_cases_were_opened() -> None:
    refs = [
        CaseReference("NL", 2027, 1),
        CaseReference("NL", 2026, 10),
        CaseReference("NL", 2026, 9),
    ]
    assert [str(r) for r in sorted(refs)] == ["NL-2026-0009", "NL-2026-0010", "NL-2027-0001"]


@given(
    prefix=st.from_regex(r"[A-Z0-9]{2,8}", fullmatch=True),
    year=st.integers(2000, 9999),
    number=st.integers(1, 10**7),
)
def test_every_reference_reads_back_as_itself(prefix: str, year: int, number: int) -> None:
    reference = CaseReference(prefix, year, number)
    assert CaseReference.parse(str(reference)) == reference
    assert CaseReference.parse(str(reference).lower(), prefix=prefix) == reference
