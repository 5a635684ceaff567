"""Every table the service owns: importing this module registers all row classes.

Alembic compares the migrations with ``metadata`` from here, so a row class in a module
that is not imported here would be invisible to that check. Add each new rows module.
"""

from __future__ import annotations

import storage.access_log  # who viewed which case
import storage.action_plans  # action plans, their actions and follow-ups sent
import storage.channels  # registered channels
import storage.conversations  # conversation references
import storage.details  # encrypted case details
import storage.disputes  # dispute timers sent
import storage.outbox  # the outbox
import storage.people  # the directory and its audit
import storage.rapid_review  # agency reports and CSPR Group ballots
import storage.reminders  # reminders sent
import storage.retention  # noqa: F401 - the retention log
from storage import models, submissions  # noqa: F401 - imported for their tables

metadata = models.Base.metadata
