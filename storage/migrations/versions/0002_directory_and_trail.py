"""The directory, encrypted details, access and retention logs, and the trail's hash chain.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26

Written by hand. Existing events are chained in place: the fingerprint is
computed here with its own copy of the canonical form (``safeguarding/trail.py``, format 1),
because a migration must keep meaning the same thing after the application code moves on.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_GENESIS = "0" * 64


def upgrade() -> None:
    _chain_existing_events()
    _create_directory()

    # One case's details (the child's identifiers, the summary) as a Fernet token.
    op.create_table(
        "case_details",
        sa.Column("reference", sa.String(32), nullable=False),
        sa.Column("ciphertext", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("reference", name="pk_case_details"),
    )

    # Who viewed which case's details, and when.
    op.create_table(
        "access_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(32), nullable=False),
        sa.Column("person_id", sa.String(128), nullable=False),
        sa.Column("what", sa.String(256), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_access_log"),
    )
    op.create_index("ix_access_log_reference", "access_log", ["reference"])

    # What the retention policy did; for a deleted case, its tombstone.
    op.create_table(
        "retention_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(32), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.String(128), nullable=False),
        sa.Column("actor_name", sa.String(256), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("events", sa.Integer(), nullable=False),
        sa.Column("head_hash", sa.String(64), nullable=False),
        sa.Column("policy", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_retention_log"),
    )


def _create_directory() -> None:
    op.create_table(
        "people",
        sa.Column("object_id", sa.String(128), nullable=False),
        sa.Column("name", sa.String(256), nullable=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("agency", sa.String(256), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("object_id", name="pk_people"),
    )
    op.create_index("ix_people_email", "people", ["email"])
    op.create_table(
        "role_grants",
        sa.Column("object_id", sa.String(128), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("deputy_for", sa.String(128), nullable=True),
        sa.Column("source", sa.String(8), nullable=False),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("granted_by", sa.String(256), nullable=False),
        sa.PrimaryKeyConstraint("object_id", "role", name="pk_role_grants"),
        sa.ForeignKeyConstraint(
            ["object_id"],
            ["people.object_id"],
            name="fk_role_grants_object_id_people",
            ondelete="CASCADE",
        ),
    )
    op.create_table(
        "directory_audit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.String(128), nullable=False),
        sa.Column("actor_name", sa.String(256), nullable=False),
        sa.Column("change", sa.String(32), nullable=False),
        sa.Column("subject", sa.String(320), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("why", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_directory_audit"),
    )
    op.create_table(
        "directory_settings",
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("value", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_directory_settings"),
    )


def _chain_existing_events() -> None:
    """Add the chain columns, fingerprint every stored event, then make them required."""
    with op.batch_alter_table("case_events") as batch:
        batch.add_column(sa.Column("why_digest", sa.String(64), nullable=True))
        batch.add_column(sa.Column("prev_hash", sa.String(64), nullable=True))
        batch.add_column(sa.Column("hash", sa.String(64), nullable=True))

    events = sa.table(
        "case_events",
        sa.column("id", sa.Integer()),
        sa.column("case_id", sa.Integer()),
        sa.column("seq", sa.Integer()),
        sa.column("at", sa.DateTime(timezone=True)),
        sa.column("actor_id", sa.String()),
        sa.column("actor_name", sa.String()),
        sa.column("kind", sa.String()),
        sa.column("what", sa.Text()),
        sa.column("why", sa.Text()),
        sa.column("data", sa.JSON()),
        sa.column("why_digest", sa.String()),
        sa.column("prev_hash", sa.String()),
        sa.column("hash", sa.String()),
    )
    connection = op.get_bind()
    rows = connection.execute(sa.select(events).order_by(events.c.case_id, events.c.seq)).mappings()
    prev_by_case: dict[int, str] = {}
    for row in list(rows):
        prev = prev_by_case.get(row["case_id"], _GENESIS)
        digest = None if row["why"] is None else _sha256(row["why"].encode("utf-8"))
        fingerprint = _fingerprint(row, prev, digest)
        connection.execute(
            sa.update(events)
            .where(events.c.id == row["id"])
            .values(why_digest=digest, prev_hash=prev, hash=fingerprint)
        )
        prev_by_case[row["case_id"]] = fingerprint

    with op.batch_alter_table("case_events") as batch:
        batch.alter_column("prev_hash", existing_type=sa.String(64), nullable=False)
        batch.alter_column("hash", existing_type=sa.String(64), nullable=False)


def _fingerprint(row: Any, prev: str, why_digest: str | None) -> str:
    """Format 1 of the canonical event (safeguarding/trail.py at the time of writing)."""
    at: datetime = row["at"]
    if at.tzinfo is None:  # SQLite hands back the stored UTC value without its offset
        at = at.replace(tzinfo=UTC)
    document = {
        "v": 1,
        "seq": row["seq"],
        "at": at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "actor": {"id": row["actor_id"], "name": row["actor_name"]},
        "kind": row["kind"],
        "what": row["what"],
        "why": why_digest,
        "data": row["data"],
        "prev": prev,
    }
    canonical = json.dumps(
        document, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )
    return _sha256(canonical.encode("utf-8"))


def _sha256(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def downgrade() -> None:
    op.drop_table("retention_log")
    op.drop_index("ix_access_log_reference", table_name="access_log")
    op.drop_table("access_log")
    op.drop_table("case_details")
    op.drop_table("directory_settings")
    op.drop_table("directory_audit")
    op.drop_table("role_grants")
    op.drop_index("ix_people_email", table_name="people")
    op.drop_table("people")
    with op.batch_alter_table("case_events") as batch:
        batch.drop_column("hash")
        batch.drop_column("prev_hash")
        batch.drop_column("why_digest")
