"""``INSERT ... ON CONFLICT`` statements that SQLAlchemy compiles once, not at every call.

SQLAlchemy 2.0's dialect-specific ``insert(...).on_conflict_do_nothing()`` and
``on_conflict_do_update()`` have no cache key (``inherit_cache = False`` on both dialects'
``Insert``), so every execution compiles the statement again - about a millisecond of CPU -
and the outbox, the dialog state and the conversation references each run one in every
turn. PostgreSQL and SQLite (3.24 and later; ``RETURNING`` since 3.35) write these
statements the same way, so each shape is written here once, as text with parameters typed
by their columns (dates, JSON and the rest bound exactly as the ORM binds them), and
SQLAlchemy caches it like any other statement.

A shape is the table, the columns given and the conflict target: callers pass the values as
the statement's parameters.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Table, TextClause, bindparam, text
from sqlalchemy.sql.selectable import TextualSelect


def _quoted(name: str) -> str:
    return f'"{name}"'


def _insert(table: Table, columns: Sequence[str], conflict: Sequence[str]) -> str:
    return (
        f"INSERT INTO {_quoted(table.name)} ({', '.join(map(_quoted, columns))}) "
        f"VALUES ({', '.join(f':{column}' for column in columns)}) "
        f"ON CONFLICT ({', '.join(map(_quoted, conflict))})"
    )


def _typed(table: Table, sql: str, columns: Sequence[str]) -> TextClause:
    return text(sql).bindparams(
        *(bindparam(column, type_=table.c[column].type) for column in columns)
    )


@functools.cache
def insert_or_ignore(
    model: type[Any], columns: tuple[str, ...], conflict: tuple[str, ...], returning: str
) -> TextualSelect:
    """Insert a row of ``model`` unless one with the same ``conflict`` columns exists; the
    statement returns the new row's ``returning`` column, or no row when it existed."""
    table = cast(Table, model.__table__)
    sql = f"{_insert(table, columns, conflict)} DO NOTHING RETURNING {_quoted(returning)}"
    return _typed(table, sql, columns).columns(table.c[returning])


@functools.cache
def insert_or_update(
    model: type[Any], columns: tuple[str, ...], conflict: tuple[str, ...], update: tuple[str, ...]
) -> TextClause:
    """Insert a row of ``model``, or give the existing one with the same ``conflict``
    columns the new values of the ``update`` columns."""
    table = cast(Table, model.__table__)
    assignments = ", ".join(f"{_quoted(c)} = excluded.{_quoted(c)}" for c in update)
    sql = f"{_insert(table, columns, conflict)} DO UPDATE SET {assignments}"
    return _typed(table, sql, columns)
