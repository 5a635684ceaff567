"""Notification submissions already turned into cases.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26

Written by hand.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A notification's dialog token, claimed when its case is created: a second Send of the
    # same notification finds the first case instead of creating another.
    op.create_table(
        "submissions",
        sa.Column("token", sa.String(64), nullable=False),
        sa.Column("reference", sa.String(32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("token", name=op.f("pk_submissions")),
    )


def downgrade() -> None:
    op.drop_table("submissions")
