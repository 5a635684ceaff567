"""Checks on a built Teams app package, beyond what a JSON-schema validator does.

The v1.29 schema is draft-04, so a Python validator ignores its ``const`` on
``manifestVersion``; nor can a schema look inside the icons or know which commands the bot
answers. Each check returns a list of problems (empty = fine), so ``make package`` can print
them all at once.
"""

from __future__ import annotations

import json
import re
import zipfile
from collections.abc import Collection, Iterable, Mapping
from pathlib import Path
from typing import Any

from manifest.icons import COLOR_SIZE, OUTLINE_SIZE, PngError, decode_png

MANIFEST_VERSION = "1.29"
MAX_COMMANDS_PER_LIST = 12
MAX_COMMAND_TITLE = 32  # Teams truncates longer titles in the command menu
SCOPES = ("personal", "team", "groupChat")
GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")

# ../shared/schemas beside the repository (the steering repo's copy of Microsoft's schema).
REPO = Path(__file__).resolve().parent.parent
SCHEMA_PATH = REPO.parent / "shared" / "schemas" / "MicrosoftTeams.schema.v1.29.json"


def read_package(package: Path) -> tuple[dict[str, Any], dict[str, bytes]]:
    """The manifest and every other file in the zip (by name)."""
    with zipfile.ZipFile(package) as zf:
        files = {name: zf.read(name) for name in zf.namelist()}
    if "manifest.json" not in files:
        raise ValueError(f"{package} has no manifest.json at its root")
    manifest: dict[str, Any] = json.loads(files.pop("manifest.json"))
    return manifest, files


def schema_problems(manifest: Mapping[str, Any], schema_path: Path) -> list[str]:
    """Every violation of Microsoft's JSON schema (the schema file must exist)."""
    import jsonschema  # a test dependency: only needed where the schema is checked

    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    validator_class = jsonschema.validators.validator_for(schema)
    validator = validator_class(schema)
    return [
        f"schema: {'/'.join(str(p) for p in error.absolute_path) or '(root)'}: {error.message}"
        for error in sorted(validator.iter_errors(manifest), key=lambda e: list(e.absolute_path))
    ]


def manifest_problems(manifest: Mapping[str, Any]) -> list[str]:
    """What the schema cannot say: the version, ids, scopes and command lists."""
    problems: list[str] = []
    if manifest.get("manifestVersion") != MANIFEST_VERSION:
        problems.append(
            f"manifestVersion is {manifest.get('manifestVersion')!r}, expected {MANIFEST_VERSION!r}"
        )
    if not GUID.match(str(manifest.get("id", ""))):
        problems.append(f"id {manifest.get('id')!r} is not a GUID")
    developer = manifest.get("developer", {})
    name = str(developer.get("name", ""))
    if name != name.strip() or not name:
        problems.append(f"developer.name {name!r} is empty or has stray spaces")
    bots = manifest.get("bots") or []
    if len(bots) != 1:
        return [*problems, f"expected exactly one bot, found {len(bots)}"]
    bot = bots[0]
    if not GUID.match(str(bot.get("botId", ""))):
        problems.append(f"botId {bot.get('botId')!r} is not a GUID")
    missing = [scope for scope in SCOPES if scope not in bot.get("scopes", [])]
    if missing:
        problems.append(f"the bot is not installable in {', '.join(missing)}")
    listed_scopes: list[str] = []
    for index, command_list in enumerate(bot.get("commandLists", [])):
        scopes = command_list.get("scopes", [])
        listed_scopes.extend(scopes)
        commands = command_list.get("commands", [])
        where = f"commandLists[{index}] ({', '.join(scopes)})"
        if len(commands) > MAX_COMMANDS_PER_LIST:
            problems.append(f"{where} has {len(commands)} commands; Teams shows at most 12")
        titles = [str(c.get("title", "")) for c in commands]
        for title in sorted({t for t in titles if titles.count(t) > 1}):
            problems.append(f"{where} lists {title!r} twice")
        for command in commands:
            title = str(command.get("title", ""))
            if not title or len(title) > MAX_COMMAND_TITLE or title != title.strip().lower():
                problems.append(f"{where}: command title {title!r} is not one lower-case word")
            if not str(command.get("description", "")).strip():
                problems.append(f"{where}: command {title!r} has no description")
    for scope in SCOPES:
        if listed_scopes.count(scope) != 1:
            problems.append(f"scope {scope} is in {listed_scopes.count(scope)} command lists")
    return problems


def icon_problems(manifest: Mapping[str, Any], files: Mapping[str, bytes]) -> list[str]:
    """The colour icon is 192×192; the outline icon 32×32, white on transparent."""
    problems: list[str] = []
    icons = manifest.get("icons", {})
    for kind, size in (("color", COLOR_SIZE), ("outline", OUTLINE_SIZE)):
        name = icons.get(kind)
        if name not in files:
            problems.append(f"icons.{kind} {name!r} is not in the package")
            continue
        try:
            image = decode_png(files[name])
        except PngError as error:
            problems.append(f"icons.{kind} {name}: {error}")
            continue
        if (image.width, image.height) != (size, size):
            problems.append(
                f"icons.{kind} {name} is {image.width}×{image.height}, must be {size}×{size}"
            )
        if kind == "outline":
            coloured = [p for p in image.pixels if p[3] and p[:3] != (255, 255, 255)]
            if coloured:
                problems.append(
                    f"icons.outline {name} has {len(coloured)} visible pixels that are not white"
                )
            if all(p[3] for p in image.pixels):
                problems.append(f"icons.outline {name} has no transparent background")
            if not any(p[3] for p in image.pixels):
                problems.append(f"icons.outline {name} is entirely transparent")
    return problems


def listed_commands(manifest: Mapping[str, Any]) -> dict[str, set[str]]:
    """Command title -> the scopes whose lists show it."""
    listed: dict[str, set[str]] = {}
    for bot in manifest.get("bots", []):
        for command_list in bot.get("commandLists", []):
            for command in command_list.get("commands", []):
                listed.setdefault(command["title"], set()).update(command_list.get("scopes", []))
    return listed


def command_problems(
    manifest: Mapping[str, Any],
    answered: Iterable[str],
    personal_only: Collection[str] = (),
) -> list[str]:
    """Every listed command is a word the bot answers (``answered``: every registered name),
    and a command the bot answers only in personal chat is not offered anywhere else."""
    known = set(answered)
    problems: list[str] = []
    for title, scopes in sorted(listed_commands(manifest).items()):
        if title not in known:
            problems.append(f"the manifest lists {title!r}, which the bot does not answer")
        elif title in personal_only and scopes - {"personal"}:
            shared = ", ".join(sorted(scopes - {"personal"}))
            problems.append(f"{title!r} works only in personal chat but is listed for {shared}")
    return problems


def package_problems(
    package: Path,
    *,
    schema_path: Path | None = SCHEMA_PATH,
    answered: Iterable[str] | None = None,
    personal_only: Collection[str] = (),
) -> list[str]:
    """All the checks on one package. The schema is skipped when its file is absent, the
    command check when ``answered`` is None."""
    manifest, files = read_package(package)
    problems = manifest_problems(manifest) + icon_problems(manifest, files)
    if schema_path is not None and schema_path.is_file():
        problems += schema_problems(manifest, schema_path)
    if answered is not None:
        problems += command_problems(manifest, answered, personal_only)
    return problems
