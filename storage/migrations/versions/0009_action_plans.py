"""Action plans: each plan's and action's current state, and the follow-ups sent.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02

Written by hand, to match ``storage/action_plans.py`` (``tests/integration/test_migrations.py``
compares them). The plan's steps are case events; these tables are its current state for
reading across cases, and ``next_follow_up_at`` (indexed with the id) is what the follow-up
sweep pages through.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "action_plans",
        sa.Column("case_reference", sa.String(32), nullable=False),
        sa.Column("owner", sa.String(8), nullable=False),
        sa.Column("actions", sa.Integer(), nullable=False),
        sa.Column("signed_off_on", sa.Date(), nullable=True),
        sa.Column("signed_off_by", sa.String(256), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("case_reference", name="pk_action_plans"),
    )
    op.create_table(
        "action_plan_actions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_reference", sa.String(32), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("agency", sa.String(256), nullable=False),
        sa.Column("agency_key", sa.String(256), nullable=False),
        sa.Column("owner_id", sa.String(128), nullable=False),
        sa.Column("owner_name", sa.String(256), nullable=False),
        sa.Column("added_by_id", sa.String(128), nullable=False),
        sa.Column("added_by_name", sa.String(256), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("national", sa.Boolean(), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=True),
        sa.Column("closed_reason", sa.Text(), nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_follow_up_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_action_plan_actions"),
        sa.UniqueConstraint(
            "case_reference", "number", name="uq_action_plan_actions_case_reference_number"
        ),
    )
    op.create_index(
        "ix_action_plan_actions_next_follow_up_at_id",
        "action_plan_actions",
        ["next_follow_up_at", "id"],
    )
    op.create_index(
        "ix_action_plan_actions_owner_id_status", "action_plan_actions", ["owner_id", "status"]
    )
    op.create_index(
        "ix_action_plan_actions_agency_key_status",
        "action_plan_actions",
        ["agency_key", "status"],
    )
    op.create_index(
        "ix_action_plan_actions_status_due_on", "action_plan_actions", ["status", "due_on"]
    )
    op.create_table(
        "action_follow_ups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_reference", sa.String(32), nullable=False),
        sa.Column("action_number", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("on_date", sa.Date(), nullable=False),
        sa.Column("send_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("late", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_action_follow_ups"),
        sa.UniqueConstraint(
            "case_reference",
            "action_number",
            "kind",
            "on_date",
            name="uq_action_follow_ups_case_reference_action_number_kind_on_date",
        ),
    )


def downgrade() -> None:
    op.drop_table("action_follow_ups")
    op.drop_index("ix_action_plan_actions_status_due_on", table_name="action_plan_actions")
    op.drop_index("ix_action_plan_actions_agency_key_status", table_name="action_plan_actions")
    op.drop_index("ix_action_plan_actions_owner_id_status", table_name="action_plan_actions")
    op.drop_index("ix_action_plan_actions_next_follow_up_at_id", table_name="action_plan_actions")
    op.drop_table("action_plan_actions")
    op.drop_table("action_plans")
