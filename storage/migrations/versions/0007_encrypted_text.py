"""Free text sealed at rest, a keyed trail: what the database itself can do about old rows.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26

No column changes: sealed values are Fernet tokens, stored in the same ``Text`` and ``JSON``
columns (``storage/sealed.py``, ``storage/outbox.py``), and the keyed trail uses the same
chain columns. A migration has no keys, so it cannot encrypt or seal; what it can do is drop
what is no longer needed: the activity of every outbox message already delivered or given up
(an update needs only the Teams activity id, which stays). What remains in the clear from
older versions is sealed by the key holder, once, after upgrading::

    python -m bot_app.keys rotate                  # reasons, rationales, queued messages
    python -m bot_app.admin.trail reseal --all --legacy   # the trail, under TRAIL_KEYS

Until then, old rows are read as they are, and ``verify`` reports old entries as not sealed
with the trail key.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_FINISHED = ("sent", "superseded", "parked", "failed")


def upgrade() -> None:
    outbox = sa.table("outbox", sa.column("status", sa.String()), sa.column("activity", sa.JSON()))
    op.execute(sa.update(outbox).where(outbox.c.status.in_(_FINISHED)).values(activity={}))


def downgrade() -> None:
    pass  # what was erased stays erased; the earlier versions read the rows that remain
