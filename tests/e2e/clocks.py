"""A real, advancing clock for races: a fixed test clock once hid a lost vote.

Two people pressing at "the same instant" through HTTP are a few milliseconds apart, and a
retried action carries a time earlier than the entry that beat it. Only a clock that moves
between requests, as the real one does, shows what the service makes of that.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta


@dataclass
class AdvancingClock:
    """Real elapsed time on top of a chosen start; ``jump_to`` moves the start forward."""

    start: datetime
    _origin: float = field(default_factory=time.monotonic)

    def __call__(self) -> datetime:
        return self.start + timedelta(seconds=time.monotonic() - self._origin)

    @property
    def now(self) -> datetime:
        return self()

    def jump_to(self, moment: datetime) -> None:
        assert moment >= self(), "time only moves forward"
        self.start, self._origin = moment, time.monotonic()
