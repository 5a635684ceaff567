"""Every table the service owns: importing this module registers all row classes.

Alembic compares the migrations with ``metadata`` from here, so a row class in a module
that is not imported here would be invisible to that check. Add each new rows module.
"""

from __future__ import annotations

import storage.access_log  # issue 4: who viewed which case
import storage.channels  # issue 5: registered channels
import storage.conversations  # issue 5: conversation references
import storage.details  # issue 4: encrypted case details
import storage.disputes  # issue 7: dispute timers sent
import storage.outbox  # issue 5: the outbox
import storage.people  # issue 4: the directory and its audit
import storage.rapid_review  # issue 6: agency reports and CSPR Group ballots
import storage.reminders  # issue 5: reminders sent
import storage.retention  # noqa: F401 - issue 4: the retention log
from storage import models, submissions  # noqa: F401 - imported for their tables

metadata = models.Base.metadata
