"""The directory file: the demo works out of the box, and every mistake is refused by line."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot_app.admin.directory_file import (
    DEMO_DIRECTORY,
    DirectoryFileError,
    load_directory_file,
    parse_directory,
)
from safeguarding.roles import Role

PLAYGROUND = Path(__file__).resolve().parents[2] / ".m365agentsplayground.yml"

HEADER = """\
agencies:
  - {name: Humberside Police, kind: police}
  - {name: North Lincolnshire Council, kind: council}
people:
"""
SAM = """\
  - object_id: 0b8f3c1e-6a3c-4a53-9a4f-0c2d1b9e7a10
    name: Sam Hughes
    email: sam.hughes@example.org
    agency: Humberside Police
    roles: [csprg_member]
"""


def problems_in(text: str) -> list[str]:
    with pytest.raises(DirectoryFileError) as refused:
        parse_directory(text, source="people.yaml")
    assert "people.yaml was not imported" in str(refused.value)
    return refused.value.problems


def test_the_demo_directory_is_valid_and_has_someone_in_every_role() -> None:
    demo = load_directory_file(DEMO_DIRECTORY)

    held = {role for person in demo.people for role in person.roles}
    assert held == set(Role)
    jo = next(p for p in demo.people if p.name == "Jo Patel")
    sam = next(p for p in demo.people if p.name == "Sam Hughes")
    assert jo.deputy_for == sam.object_id
    assert {p.kind for p in demo.partners} == {"council", "icb", "police"}


def test_the_playground_users_are_demo_people_covering_the_main_roles() -> None:
    playground = yaml.safe_load(PLAYGROUND.read_text(encoding="utf-8"))
    demo = {p.object_id: p for p in load_directory_file(DEMO_DIRECTORY).people}

    users = [playground["currentUser"], *playground["users"]]
    assert len(playground["users"]) == 5, "the Playground requires exactly five other users"
    assert playground["tenantId"]
    assert 1 <= len(playground["team"]["channels"]) <= 1, (
        "the Playground allows one channel besides General, and exits at start otherwise"
    )
    assert set(playground) == {
        "version",
        "tenantId",
        "bot",
        "currentUser",
        "users",
        "personalChat",
        "groupChat",
        "team",
    }, "the Playground refuses any other top-level key"
    assert len(playground["bot"]["name"]) <= 42
    roles = set()
    for user in users:
        person = demo[user["aadObjectId"]]
        assert (person.name, person.email) == (user["name"], user["email"])
        roles |= person.roles
    assert {
        Role.HUB_OFFICER,
        Role.PRACTITIONER,
        Role.CSPRG_MEMBER,
        Role.PARTNER,
        Role.ADMIN,
    } <= roles
    assert demo[playground["currentUser"]["aadObjectId"]].roles == {Role.HUB_OFFICER}


def test_a_valid_file_is_read_with_lower_case_ids_and_emails() -> None:
    directory = parse_directory(
        HEADER + SAM.replace("sam.hughes@", "Sam.Hughes@").replace("0b8f", "0B8F")
    )

    (sam,) = directory.people
    assert sam.email == "sam.hughes@example.org"
    assert sam.object_id.startswith("0b8f")
    assert sam.roles == {Role.CSPRG_MEMBER}
    assert len(directory.digest) == 64


def test_the_same_object_id_twice_is_refused_naming_both_places() -> None:
    twice = SAM + SAM.replace("sam.hughes@", "sam.h2@")

    assert problems_in(HEADER + twice) == [
        "line 10: object id '0b8f3c1e-6a3c-4a53-9a4f-0c2d1b9e7a10' is already used by entry 1 "
        "of people"
    ]


def test_the_same_email_twice_is_refused() -> None:
    twice = SAM + SAM.replace("0b8f3c1e", "1b8f3c1e")

    assert problems_in(HEADER + twice) == [
        "line 12: email 'sam.hughes@example.org' is already used by entry 1 of people"
    ]


def test_an_unknown_role_is_refused_with_the_list_of_roles() -> None:
    (problem,) = problems_in(HEADER + SAM.replace("[csprg_member]", "[csprg_member, chair]"))

    assert problem.startswith("line 9: Sam Hughes: unknown role 'chair'")
    assert "hub_officer" in problem


def test_an_unknown_agency_is_refused() -> None:
    assert problems_in(HEADER + SAM.replace("agency: Humberside Police", "agency: MI5")) == [
        "line 8: Sam Hughes: agency 'MI5' is not in the agencies list"
    ]


def test_a_deputy_for_someone_who_is_not_a_core_member_is_refused() -> None:
    deputy = """\
  - object_id: 2b8f3c1e-6a3c-4a53-9a4f-0c2d1b9e7a10
    name: Jo Patel
    email: jo.patel@example.org
    roles: [csprg_deputy]
    deputy_for: sam.hughes@example.org
"""
    not_a_member = SAM.replace("[csprg_member]", "[partner]")

    assert problems_in(HEADER + not_a_member + deputy) == [
        "line 14: Jo Patel: deputy_for names Sam Hughes, who is not a CSPR Group core member "
        "(csprg_member)"
    ]
    assert problems_in(HEADER + deputy.replace("    deputy_for: sam.hughes@example.org\n", "")) == [
        "line 5: Jo Patel: a csprg_deputy needs deputy_for (the core member's email)"
    ]
    assert parse_directory(HEADER + SAM + deputy).people[1].deputy_for == (
        "0b8f3c1e-6a3c-4a53-9a4f-0c2d1b9e7a10"
    )


def test_every_problem_is_listed_at_once() -> None:
    bad = SAM.replace("[csprg_member]", "[wizard]").replace("Humberside Police", "Nowhere")

    assert len(problems_in(HEADER + bad + bad.replace("sam.hughes@", "s2@"))) == 5


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("people: [1, 2", "line 1: the file is not valid YAML"),
        ("", "the file is empty"),
        ("agencies: []\n", "line 1: people: is required"),
        (HEADER + SAM + "    colour: red\n", "line 10: people #1 colour: is not a field"),
        (HEADER + SAM.replace("0b8f3c1e-", "not-a-guid-"), "line 5: people #1 object_id: an Entra"),
        (HEADER + SAM + "    name: Samuel\n", "line 10: 'name' appears twice (first on line 6)"),
        ("people: []\nrole_names: {chair: Chair}\n", "line 2: role_names: unknown role 'chair'"),
    ],
    ids=["yaml", "empty", "no-people", "extra-field", "bad-id", "duplicate-key", "role-name"],
)
def test_malformed_files_are_refused_with_the_line_to_fix(text: str, expected: str) -> None:
    assert any(problem.startswith(expected) for problem in problems_in(text)), problems_in(text)


def test_a_missing_file_is_refused_clearly(tmp_path: Path) -> None:
    with pytest.raises(DirectoryFileError) as refused:
        load_directory_file(tmp_path / "nope.yaml")

    assert "cannot read the file" in str(refused.value)
