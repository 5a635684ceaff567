"""The reminder schedule: when each case next needs the reminder sweep's attention.

Revision ID: 0008
Revises: 0006
Create Date: 2026-12-02

Written by hand, to match ``ReminderScheduleRow`` in ``storage/reminders.py``
(``tests/integration/test_migrations.py`` compares them).

A trigger on ``cases`` marks a case's row "look again now" (``due_at`` at the epoch, with the
case's new version) whenever the case is inserted or updated, in the same transaction as the
change - whichever code path or worker made it. The sweep then only reads rows with
``due_at <= now`` through the index, instead of re-deriving every open case on every tick.
Existing cases start marked, so the first sweep after the upgrade plans them all.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SQLITE_EPOCH = "'1970-01-01 00:00:00.000000'"  # SQLAlchemy's SQLite DATETIME text format

_SQLITE_TRIGGER = """
CREATE TRIGGER reminder_schedule_after_case_{event} AFTER {event} ON cases
BEGIN
    INSERT INTO reminder_schedule (case_id, case_reference, case_version, due_at, plan_key)
    VALUES (NEW.id, NEW.reference, NEW.version, {epoch}, '')
    ON CONFLICT (case_id) DO UPDATE SET
        case_reference = excluded.case_reference,
        case_version = excluded.case_version,
        due_at = excluded.due_at;
END
"""

_POSTGRES_FUNCTION = """
CREATE FUNCTION reminder_schedule_case_changed() RETURNS trigger AS $$
BEGIN
    INSERT INTO reminder_schedule (case_id, case_reference, case_version, due_at, plan_key)
    VALUES (NEW.id, NEW.reference, NEW.version, 'epoch', '')
    ON CONFLICT (case_id) DO UPDATE SET
        case_reference = EXCLUDED.case_reference,
        case_version = EXCLUDED.case_version,
        due_at = EXCLUDED.due_at;
    RETURN NULL;
END
$$ LANGUAGE plpgsql
"""

_POSTGRES_TRIGGER = """
CREATE TRIGGER reminder_schedule_after_case_change AFTER INSERT OR UPDATE ON cases
FOR EACH ROW EXECUTE FUNCTION reminder_schedule_case_changed()
"""


def upgrade() -> None:
    op.create_table(
        "reminder_schedule",
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("case_reference", sa.String(32), nullable=False),
        sa.Column("case_version", sa.Integer(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("plan_key", sa.String(64), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
            name="fk_reminder_schedule_case_id_cases",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("case_id", name="pk_reminder_schedule"),
    )
    op.create_index(
        "ix_reminder_schedule_due_at_case_id", "reminder_schedule", ["due_at", "case_id"]
    )
    sqlite = op.get_bind().dialect.name == "sqlite"
    epoch = _SQLITE_EPOCH if sqlite else "'epoch'"
    op.execute(
        "INSERT INTO reminder_schedule (case_id, case_reference, case_version, due_at, plan_key) "
        f"SELECT id, reference, version, {epoch}, '' FROM cases WHERE stage <> 'closed'"
    )
    if sqlite:
        for event in ("INSERT", "UPDATE"):
            op.execute(_SQLITE_TRIGGER.format(event=event, epoch=_SQLITE_EPOCH))
    else:
        op.execute(_POSTGRES_FUNCTION)
        op.execute(_POSTGRES_TRIGGER)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for event in ("INSERT", "UPDATE"):
            op.execute(f"DROP TRIGGER reminder_schedule_after_case_{event}")
    else:
        op.execute("DROP TRIGGER reminder_schedule_after_case_change ON cases")
        op.execute("DROP FUNCTION reminder_schedule_case_changed()")
    op.drop_index("ix_reminder_schedule_due_at_case_id", table_name="reminder_schedule")
    op.drop_table("reminder_schedule")
