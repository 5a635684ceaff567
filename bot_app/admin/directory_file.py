"""The directory file the partnership maintains: who's who, and who may do what.

    agencies:                       # every organisation people work for
      - {name: Humberside Police, kind: police}
    partners:                       # the three safeguarding partners
      - {name: Humberside Police, kind: police}
    role_names:                     # optional: the partnership's own words for roles
      hub_officer: Multi Agency Innovation Hub officer
    people:
      - object_id: 0b8f...          # the Entra object id (a GUID)
        name: Sam Hughes
        email: sam.hughes@example.org
        agency: Humberside Police
        roles: [csprg_member]
      - object_id: 5c1e...
        name: Jo Patel
        email: jo.patel@example.org
        agency: Humberside Police
        roles: [csprg_deputy]
        deputy_for: sam.hughes@example.org   # the core member (email or object id)

A file with any mistake is refused as a whole, with every problem listed against its line, so
an import never half-applies: duplicate people, unknown roles or agencies, a deputy for
someone who is not a CSPR Group core member.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from safeguarding.roles import Role

DEMO_DIRECTORY = Path(__file__).parent.parent / "demo_directory.yaml"

_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_KNOWN = "known roles: " + ", ".join(role.value for role in Role)

AgencyKind = Literal[
    "council", "health", "police", "education", "early_years", "voluntary", "probation", "other"
]
PartnerKind = Literal["council", "icb", "police"]


class DirectoryFileError(Exception):
    """The file was refused; ``problems`` lists each one with its line. Nothing was imported."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        listed = "\n  - ".join(problems)
        super().__init__(f"The directory file {source} was not imported:\n  - {listed}")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)


class Agency(_Strict):
    name: str = Field(min_length=1, max_length=256)
    kind: AgencyKind


class Partner(_Strict):
    name: str = Field(min_length=1, max_length=256)
    kind: PartnerKind


class PersonEntry(_Strict):
    object_id: str
    name: str = Field(min_length=1, max_length=256)
    email: str = Field(max_length=320)
    agency: str = ""
    roles: list[str] = Field(default_factory=list)
    deputy_for: str | None = None

    @field_validator("object_id")
    @classmethod
    def _guid(cls, value: str) -> str:
        if not _GUID.match(value):
            raise ValueError(
                "an Entra object id is a GUID, like 0b8f3c1e-6a3c-4a53-9a4f-0c2d1b9e7a10"
            )
        return value.lower()

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        if not _EMAIL.match(value):
            raise ValueError(f"'{value}' is not an email address")
        return value.lower()


class DirectoryDocument(_Strict):
    agencies: list[Agency] = Field(default_factory=list)
    partners: list[Partner] = Field(default_factory=list)
    role_names: dict[str, str] = Field(default_factory=dict)
    people: list[PersonEntry]


@dataclass(frozen=True)
class DirectoryPerson:
    """A validated person: roles resolved, a deputy's member resolved to an object id."""

    object_id: str
    name: str
    email: str
    agency: str
    roles: frozenset[Role]
    deputy_for: str | None


@dataclass(frozen=True)
class DirectoryFile:
    """A directory file that passed every check, ready to import."""

    source: str
    digest: str  # SHA-256 of the file's bytes: an unchanged file need not be re-imported
    agencies: tuple[Agency, ...]
    partners: tuple[Partner, ...]
    role_names: dict[Role, str]
    people: tuple[DirectoryPerson, ...]


def load_directory_file(path: Path) -> DirectoryFile:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DirectoryFileError(str(path), [f"cannot read the file: {exc.strerror}"]) from exc
    return parse_directory(raw, source=str(path))


def parse_directory(raw: bytes | str, *, source: str = "<directory>") -> DirectoryFile:
    """Validate a directory document; ``DirectoryFileError`` lists every problem by line."""
    data = raw.encode("utf-8") if isinstance(raw, str) else raw
    try:
        root = _compose(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise DirectoryFileError(source, ["the file is not UTF-8 text"]) from exc
    except yaml.YAMLError as exc:
        raise DirectoryFileError(source, [_yaml_problem(exc)]) from exc
    if root is None:
        raise DirectoryFileError(source, ["the file is empty: it needs at least 'people:'"])
    problems = [f"line {line}: {message}" for line, message in _duplicate_keys(root)]
    loader = yaml.SafeLoader("")
    try:
        content = loader.construct_document(root)
    except yaml.YAMLError as exc:
        raise DirectoryFileError(source, [_yaml_problem(exc)]) from exc
    finally:
        loader.dispose()
    try:
        document = DirectoryDocument.model_validate(content)
    except ValidationError as exc:
        problems += [_pydantic_problem(root, error) for error in exc.errors()]
        raise DirectoryFileError(source, problems) from exc
    people, more = _check_meaning(document, root)
    problems += more
    if problems:
        raise DirectoryFileError(source, problems)
    return DirectoryFile(
        source=source,
        digest=hashlib.sha256(data).hexdigest(),
        agencies=tuple(document.agencies),
        partners=tuple(document.partners),
        role_names={Role(key): value for key, value in document.role_names.items()},
        people=people,
    )


def _compose(text: str) -> yaml.Node | None:
    """The document's node tree, by libyaml where it is installed (a tenth of the time: the
    file is read at every start), and by PyYAML's own parser when the text is not valid, so
    that the problem is worded the same on every machine."""
    fast = getattr(yaml, "CSafeLoader", None)
    if fast is not None:
        try:
            return yaml.compose(text, Loader=fast)
        except yaml.YAMLError:
            pass
    return yaml.compose(text, Loader=yaml.SafeLoader)


def _check_meaning(
    document: DirectoryDocument, root: yaml.Node
) -> tuple[tuple[DirectoryPerson, ...], list[str]]:
    """The checks a schema cannot express: uniqueness, references between entries."""
    problems: list[tuple[int, str]] = []

    def problem(path: tuple[str | int, ...], message: str) -> None:
        problems.append((_line_of(root, path), message))

    for key in document.role_names:
        if _role(key) is None:
            problem(("role_names", key), f"role_names: unknown role '{key}' ({_KNOWN})")
    agencies = _unique(document.agencies, "agencies", "name", problem)
    _unique(document.partners, "partners", "name", problem)
    _unique(document.people, "people", "object_id", problem)
    _unique(document.people, "people", "email", problem)
    by_key = {p.email: p for p in document.people} | {p.object_id: p for p in document.people}
    people: list[DirectoryPerson] = []
    for i, entry in enumerate(document.people):
        roles: set[Role] = set()
        for j, text in enumerate(entry.roles):
            role = _role(text)
            if role is None:
                problem(
                    ("people", i, "roles", j), f"{entry.name}: unknown role '{text}' ({_KNOWN})"
                )
            else:
                roles.add(role)
        if entry.agency and entry.agency.lower() not in agencies:
            problem(
                ("people", i, "agency"),
                f"{entry.name}: agency '{entry.agency}' is not in the agencies list",
            )
        deputy_problem = _deputy_problem(entry, roles, by_key)
        if deputy_problem is not None:
            problem(("people", i, "deputy_for"), f"{entry.name}: {deputy_problem}")
        people.append(
            DirectoryPerson(
                object_id=entry.object_id,
                name=entry.name,
                email=entry.email,
                agency=entry.agency,
                roles=frozenset(roles),
                deputy_for=(
                    by_key[entry.deputy_for.lower()].object_id
                    if deputy_problem is None and entry.deputy_for
                    else None
                ),
            )
        )
    return tuple(people), [f"line {line}: {message}" for line, message in sorted(problems)]


def _deputy_problem(
    entry: PersonEntry, roles: set[Role], people: dict[str, PersonEntry]
) -> str | None:
    """What is wrong with a person's ``deputy_for``, if anything."""
    if Role.CSPRG_DEPUTY not in roles:
        return "deputy_for is only for a csprg_deputy" if entry.deputy_for else None
    if not entry.deputy_for:
        return "a csprg_deputy needs deputy_for (the core member's email)"
    member = people.get(entry.deputy_for.lower())
    if member is None:
        return f"deputy_for '{entry.deputy_for}' is not anyone in this file"
    if member.object_id == entry.object_id:
        return "a deputy cannot deputise for themselves"
    if Role.CSPRG_MEMBER not in {_role(r) for r in member.roles}:
        return f"deputy_for names {member.name}, who is not a CSPR Group core member (csprg_member)"
    return None


def _role(text: str) -> Role | None:
    wanted = text.strip().lower()
    return next((role for role in Role if role.value == wanted), None)


def _unique(
    items: Iterable[BaseModel],
    section: str,
    field: str,
    problem: Callable[[tuple[str | int, ...], str], None],
) -> set[str]:
    """Report every repeat of a value that must be unique, naming where it was first used."""
    first: dict[str, int] = {}
    for i, item in enumerate(items):
        value = str(getattr(item, field)).lower()
        if value in first:
            problem(
                (section, i, field),
                f"{field.replace('_', ' ')} '{value}' is already used by entry {first[value] + 1} "
                f"of {section}",
            )
        else:
            first[value] = i
    return set(first)


def _line_of(root: yaml.Node, path: Iterable[str | int]) -> int:
    """The 1-based line of the node at ``path`` (or of its nearest existing parent)."""
    node = root
    for part in path:
        child: yaml.Node | None = None
        if isinstance(node, yaml.MappingNode):
            child = next((v for k, v in node.value if k.value == part), None)
            if child is None:  # a key that is the problem itself, like an unknown field
                child = next((k for k, _ in node.value if k.value == part), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            child = node.value[part] if 0 <= part < len(node.value) else None
        if child is None:
            break
        node = child
    return node.start_mark.line + 1


def _duplicate_keys(node: yaml.Node) -> list[tuple[int, str]]:
    """YAML silently keeps the last of two equal keys; in a directory that hides a mistake."""
    found: list[tuple[int, str]] = []
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = defaultdict(int)
        for key, value in node.value:
            line = key.start_mark.line + 1
            if isinstance(key, yaml.ScalarNode) and key.value in seen:
                found.append(
                    (line, f"'{key.value}' appears twice (first on line {seen[key.value]})")
                )
            elif isinstance(key, yaml.ScalarNode):
                seen[key.value] = line
            found += _duplicate_keys(value)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            found += _duplicate_keys(item)
    return found


def _pydantic_problem(root: yaml.Node, error: Any) -> str:
    location = list(error["loc"])
    where = " ".join(f"#{part + 1}" if isinstance(part, int) else str(part) for part in location)
    message = str(error["msg"]).removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        message = "is not a field the directory file knows"
    elif error["type"] == "missing":
        message = "is required"
    return f"line {_line_of(root, location)}: {where or 'the file'}: {message}"


def _yaml_problem(error: yaml.YAMLError) -> str:
    mark = getattr(error, "problem_mark", None)
    problem = getattr(error, "problem", None) or str(error)
    where = f"line {mark.line + 1}: " if mark is not None else ""
    return f"{where}the file is not valid YAML ({problem})"
