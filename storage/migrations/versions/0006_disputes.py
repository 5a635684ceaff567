"""Differences of opinion: the timers already acted on.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26

Written by hand, to match ``storage/disputes.py`` (``tests/integration/test_migrations.py``
compares them). Disputes themselves are case events, so this is the only table they need.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "dispute_timers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_reference", sa.String(32), nullable=False),
        sa.Column("dispute_key", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("target_on", sa.Date(), nullable=False),
        sa.Column("send_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("late", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_dispute_timers"),
        sa.UniqueConstraint(
            "case_reference",
            "dispute_key",
            "kind",
            "target_on",
            name="uq_dispute_timers_case_reference_dispute_key_kind_target_on",
        ),
    )


def downgrade() -> None:
    op.drop_table("dispute_timers")
