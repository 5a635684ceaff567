"""Every table the service owns: importing this module registers all row classes.

Alembic compares the migrations with ``metadata`` from here, so a row class in a module
that is not imported here would be invisible to that check. Add each new rows module.
"""

from __future__ import annotations

from storage import models

metadata = models.Base.metadata
