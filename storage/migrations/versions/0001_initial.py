"""Cases, their evidence trail, reference counters and the bot's dialog state.

Revision ID: 0001
Revises:
Create Date: 2026-01-01

Written by hand. Timestamps are ``timestamptz`` on PostgreSQL and stored as UTC (the models'
``UTCDateTime`` converts on the way in and out). Constraint names follow the naming convention
in ``storage.models`` so later migrations can refer to them on both databases.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # The current state of each case; `version` is the optimistic-concurrency counter.
    op.create_table(
        "cases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(32), nullable=False),
        sa.Column("prefix", sa.String(8), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("stage", sa.String(32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("aware_on", sa.Date(), nullable=False),
        sa.Column("incident_on", sa.Date(), nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("facts", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_cases"),
        sa.UniqueConstraint("reference", name="uq_cases_reference"),
    )

    # The evidence trail: append-only, one gapless sequence per case.
    op.create_table(
        "case_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.String(128), nullable=False),
        sa.Column("actor_name", sa.String(256), nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("what", sa.Text(), nullable=False),
        sa.Column("why", sa.Text(), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_case_events"),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
            name="fk_case_events_case_id_cases",
            ondelete="RESTRICT",
        ),
        sa.UniqueConstraint("case_id", "seq", name="uq_case_events_case_id_seq"),
    )

    # The last case number handed out per prefix and year.
    op.create_table(
        "reference_counters",
        sa.Column("prefix", sa.String(8), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("prefix", "year", name="pk_reference_counters"),
    )

    # botbuilder Storage items (dialog stacks), jsonpickled, with an e-tag per write.
    op.create_table(
        "bot_state",
        sa.Column("key", sa.String(1024), nullable=False),
        sa.Column("etag", sa.String(64), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_bot_state"),
    )


def downgrade() -> None:
    op.drop_table("bot_state")
    op.drop_table("reference_counters")
    op.drop_table("case_events")
    op.drop_table("cases")
