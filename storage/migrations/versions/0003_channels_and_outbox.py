"""Registered channels, conversation references, the outbox and reminders.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26

Written by hand, to match ``storage/channels.py``, ``storage/conversations.py``,
``storage/outbox.py`` and ``storage/reminders.py`` (``tests/integration/test_migrations.py``
compares them). Timestamps are ``timestamptz`` on PostgreSQL and stored as UTC.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # The latest reference per person (personal chat) and per team channel the bot has seen.
    op.create_table(
        "conversation_refs",
        sa.Column("key", sa.String(600), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("conversation_id", sa.String(512), nullable=False),
        sa.Column("service_url", sa.String(512), nullable=False),
        sa.Column("tenant_id", sa.String(64), nullable=False),
        sa.Column("bot_id", sa.String(256), nullable=False),
        sa.Column("object_id", sa.String(128), nullable=True),
        sa.Column("user_id", sa.String(256), nullable=True),
        sa.Column("team_id", sa.String(512), nullable=True),
        sa.Column("team_name", sa.String(256), nullable=True),
        sa.Column("channel_name", sa.String(256), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_conversation_refs"),
    )

    # Which channel serves which purpose (one per purpose, per agency for agencies).
    op.create_table(
        "registered_channels",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(16), nullable=False),
        sa.Column("agency", sa.String(128), nullable=False),
        sa.Column("agency_key", sa.String(128), nullable=False),
        sa.Column("channel_id", sa.String(512), nullable=False),
        sa.Column("team_id", sa.String(512), nullable=True),
        sa.Column("team_name", sa.String(256), nullable=True),
        sa.Column("channel_name", sa.String(256), nullable=True),
        sa.Column("service_url", sa.String(512), nullable=False),
        sa.Column("tenant_id", sa.String(64), nullable=False),
        sa.Column("bot_id", sa.String(256), nullable=False),
        sa.Column("registered_by", sa.String(128), nullable=False),
        sa.Column("registered_by_name", sa.String(256), nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_registered_channels"),
        sa.UniqueConstraint(
            "purpose", "agency_key", name="uq_registered_channels_purpose_agency_key"
        ),
    )

    # Every proactive message, persisted before it is sent; claimed with a lease.
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("operation", sa.String(8), nullable=False),
        sa.Column("case_reference", sa.String(32), nullable=True),
        sa.Column("summary", sa.String(300), nullable=False),
        sa.Column("is_alert", sa.Boolean(), nullable=False),
        sa.Column("conversation_id", sa.String(512), nullable=True),
        sa.Column("service_url", sa.String(512), nullable=True),
        sa.Column("tenant_id", sa.String(64), nullable=True),
        sa.Column("bot_id", sa.String(256), nullable=True),
        sa.Column("object_id", sa.String(128), nullable=True),
        sa.Column("original_key", sa.String(255), nullable=True),
        sa.Column("activity", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claim_token", sa.String(64), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("activity_id", sa.String(256), nullable=True),
        sa.Column("sent_conversation_id", sa.String(512), nullable=True),
        sa.Column("sent_service_url", sa.String(512), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_outbox"),
        sa.UniqueConstraint("key", name="uq_outbox_key"),
    )
    op.create_index("ix_outbox_status_next_attempt_at", "outbox", ["status", "next_attempt_at"])

    # Reminders acted on (sent or skipped), unique per (case, clock, kind, due date).
    op.create_table(
        "reminders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_reference", sa.String(32), nullable=False),
        sa.Column("clock_key", sa.String(160), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("send_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("late", sa.Boolean(), nullable=False),
        sa.Column("clock_title", sa.String(200), nullable=False),
        sa.Column("outbox_key", sa.String(255), nullable=True),
        sa.Column("acknowledged", sa.String(16), nullable=True),
        sa.Column("acknowledged_by", sa.String(128), nullable=True),
        sa.Column("acknowledged_by_name", sa.String(256), nullable=True),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_reminders"),
        sa.UniqueConstraint(
            "case_reference",
            "clock_key",
            "kind",
            "due_on",
            name="uq_reminders_case_reference_clock_key_kind_due_on",
        ),
    )


def downgrade() -> None:
    op.drop_table("reminders")
    op.drop_index("ix_outbox_status_next_attempt_at", table_name="outbox")
    op.drop_table("outbox")
    op.drop_table("registered_channels")
    op.drop_table("conversation_refs")
