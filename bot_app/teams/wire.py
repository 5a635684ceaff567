"""Activities to and from JSON without msrest's serialiser, where the shape is the usual one.

msrest (de)serialises an activity by walking every value against its type map and validating
as it goes: for a card attachment that means every element of the card, about 3 ms of CPU per
message sent and 2 ms per activity received - the largest single cost of a turn under load
(bench/RESULTS.md). The schema's models already say everything needed: each class's
``_attribute_map`` names the JSON key and type of every attribute.

* :func:`to_wire` turns an outgoing model into the JSON text msrest would send: models by
  their attribute maps, dates in ISO 8601, card content (plain JSON already) passed through.
* :func:`from_wire` builds an incoming ``Activity`` from the usual shapes (strings, numbers,
  nested accounts, lists of attachments and entities, ISO 8601 timestamps). Anything else - a
  field of the wrong type, a date it cannot read - falls back to msrest's own deserialiser, so
  odd input is accepted or refused exactly as the SDK would.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from enum import Enum
from typing import Any, TypeVar

import botbuilder.schema as schema
from botbuilder.schema import Activity
from msrest.serialization import Model

M = TypeVar("M", bound=Model)

# The schema's model classes by the names their attribute maps use ("ChannelAccount").
_MODELS: dict[str, type[Model]] = {
    name: cls
    for name, cls in vars(schema).items()
    if isinstance(cls, type) and issubclass(cls, Model)
}
_SCALARS: dict[str, type | tuple[type, ...]] = {
    "str": str,
    "bool": bool,
    "int": int,
    "float": (int, float),
}


class _Unusual(Exception):
    """A value the fast path does not read; msrest reads it instead."""


# -- out -------------------------------------------------------------------------------------


def to_wire(model: Model) -> str:
    """The JSON body for ``model``, as msrest would write it."""
    return json.dumps(_model_out(model), default=_default, separators=(",", ":"))


def _model_out(model: Model) -> dict[str, Any]:
    return {
        spec["key"]: value
        for attribute, spec in type(model)._attribute_map.items()
        if (value := getattr(model, attribute, None)) is not None
    }


def _default(value: object) -> object:
    """What ``json`` cannot write by itself, met anywhere in the body."""
    if isinstance(value, Model):
        return _model_out(value)
    if isinstance(value, datetime):
        # msrest's form: UTC, the fraction without trailing zeros but at least milliseconds.
        moment = value.astimezone(UTC) if value.tzinfo else value
        fraction = str(moment.microsecond).rjust(6, "0").rstrip("0").ljust(3, "0")
        return f"{moment:%Y-%m-%dT%H:%M:%S}.{fraction}Z"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


# -- in --------------------------------------------------------------------------------------


def from_wire(body: dict[str, Any]) -> Activity:
    """An ``Activity`` from a parsed JSON body; msrest's reading where the fast one declines.

    Raises what msrest raises for a body it cannot read.
    """
    try:
        return _model_in(Activity, body)
    except _Unusual:
        return Activity().deserialize(body)


def _model_in(cls: type[M], data: object) -> M:
    if not isinstance(data, dict):
        raise _Unusual
    values = {
        attribute: _value_in(spec["type"], data[spec["key"]])
        for attribute, spec in cls._attribute_map.items()
        if data.get(spec["key"]) is not None
    }
    return cls(**values)


def _value_in(kind: str, value: object) -> Any:
    if kind == "object":
        return value
    scalar = _SCALARS.get(kind)
    if scalar is not None:
        if not isinstance(value, scalar) or (kind != "bool" and isinstance(value, bool)):
            raise _Unusual
        return value
    if kind == "iso-8601":
        return _moment(value)
    if kind.startswith("[") and kind.endswith("]"):
        if not isinstance(value, list):
            raise _Unusual
        return [_value_in(kind[1:-1], item) for item in value]
    if kind.startswith("{") and kind.endswith("}"):
        if not isinstance(value, dict):
            raise _Unusual
        return {key: _value_in(kind[1:-1], item) for key, item in value.items()}
    model = _MODELS.get(kind)
    if model is None:
        raise _Unusual
    return _model_in(model, value)


def _moment(value: object) -> datetime:
    if not isinstance(value, str):
        raise _Unusual
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise _Unusual from None
    if moment.tzinfo is None:
        raise _Unusual  # msrest reads a time without an offset its own way
    return moment
