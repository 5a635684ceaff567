"""Rapid review: agency reports (encrypted) and the CSPR Group's ballots.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26

Written by hand, to match ``storage/rapid_review.py`` (``tests/integration/test_migrations.py``
compares them).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Each agency's latest report on a case: the narrative is a Fernet token, the rest is what
    # the tracker needs. One row per case and agency.
    op.create_table(
        "agency_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(32), nullable=False),
        sa.Column("agency", sa.String(128), nullable=False),
        sa.Column("agency_key", sa.String(128), nullable=False),
        sa.Column("ciphertext", sa.Text(), nullable=False),
        sa.Column("nil_return", sa.Boolean(), nullable=False),
        sa.Column("late", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(64), nullable=False),
        sa.Column("submitted_by", sa.String(128), nullable=False),
        sa.Column("submitted_by_name", sa.String(256), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agency_reports")),
        sa.UniqueConstraint(
            "reference", "agency_key", name=op.f("uq_agency_reports_reference_agency_key")
        ),
    )
    op.create_index(
        op.f("ix_agency_reports_reference"), "agency_reports", ["reference"], unique=False
    )
    # One ballot per case, round and seat: the unique key is what an upsert lands on.
    op.create_table(
        "rapid_review_votes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(32), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("seat", sa.String(128), nullable=False),
        sa.Column("voter_id", sa.String(128), nullable=False),
        sa.Column("voter_name", sa.String(256), nullable=False),
        sa.Column("teams_user_id", sa.String(256), nullable=False),
        sa.Column("choice", sa.String(32), nullable=False),
        sa.Column("criteria", sa.JSON(), nullable=False),
        sa.Column("rationale", sa.Text(), nullable=False),
        sa.Column("cast_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rapid_review_votes")),
        sa.UniqueConstraint(
            "reference", "round", "seat", name=op.f("uq_rapid_review_votes_reference_round_seat")
        ),
    )
    op.create_index(
        op.f("ix_rapid_review_votes_reference"), "rapid_review_votes", ["reference"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_rapid_review_votes_reference"), table_name="rapid_review_votes")
    op.drop_table("rapid_review_votes")
    op.drop_index(op.f("ix_agency_reports_reference"), table_name="agency_reports")
    op.drop_table("agency_reports")
