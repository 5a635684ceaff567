"""Pacing proactive messages under Teams' published rate limits.

Teams throttles bots with HTTP 429 (Microsoft Learn, "Optimize your bot with rate limiting in
Teams", https://learn.microsoft.com/en-us/microsoftteams/platform/bots/how-to/rate-limit):

* per bot per conversation (a channel, a group chat or one person's chat), sending:
  7 messages per 1 s, 8 per 2 s, 60 per 30 s and 1,800 per 3,600 s;
* globally, 50 requests per second per app per tenant.

The outbox sender asks :meth:`RateLimiter.delay` before each send and records each send, so a
burst of reminders (a Monday morning after a bank holiday) is spread out instead of bouncing
off 429s; a 429 that still happens blocks that conversation for its ``Retry-After``. The
limiter takes the time as an argument, never reads a clock, so the sender's tests advance time
instead of sleeping.

The state is this worker's only: workers do not share it, so with several workers the 429
handling in the sender remains the backstop (Teams' limits are enforced at Teams anyway).
"""

from __future__ import annotations

import bisect
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final


@dataclass(frozen=True)
class Window:
    limit: int
    seconds: float


PER_CONVERSATION: Final = (Window(7, 1), Window(8, 2), Window(60, 30), Window(1800, 3600))
PER_TENANT: Final = (Window(50, 1),)


class SlidingWindows:
    """Send times of one conversation (or tenant), checked against several windows at once."""

    def __init__(self, windows: Sequence[Window]) -> None:
        self._windows = tuple(windows)
        self._horizon = max(w.seconds for w in self._windows)
        self._times: deque[float] = deque()

    def wait(self, now: float) -> float:
        """Seconds until one more send fits in every window (0 when it fits now)."""
        self._prune(now)
        times = list(self._times)
        longest = 0.0
        for window in self._windows:
            start = bisect.bisect_right(times, now - window.seconds)
            inside = len(times) - start
            if inside >= window.limit:
                # The send that frees a slot is the one `limit` places from the newest.
                freeing = times[len(times) - window.limit]
                longest = max(longest, freeing + window.seconds - now)
        return longest

    def record(self, now: float) -> None:
        self._prune(now)
        if self._times and now < self._times[-1]:
            bisect.insort(self._times, now)  # a late report of an earlier send
        else:
            self._times.append(now)

    @property
    def idle(self) -> bool:
        return not self._times

    def _prune(self, now: float) -> None:
        while self._times and self._times[0] <= now - self._horizon:
            self._times.popleft()


class RateLimiter:
    """Per-conversation and per-tenant pacing, plus the blocks a 429 imposes."""

    def __init__(
        self,
        *,
        per_conversation: Sequence[Window] = PER_CONVERSATION,
        per_tenant: Sequence[Window] = PER_TENANT,
    ) -> None:
        self._per_conversation = tuple(per_conversation)
        self._per_tenant = tuple(per_tenant)
        self._conversations: dict[str, SlidingWindows] = {}
        self._tenants: dict[str, SlidingWindows] = {}
        self._blocked: dict[str, float] = {}

    def delay(self, conversation: str, tenant: str, now: datetime) -> float:
        """Seconds to wait before sending to ``conversation`` (0: send now)."""
        at = now.timestamp()
        windows = [self._conversations.get(conversation), self._tenants.get(tenant)]
        waits = [w.wait(at) for w in windows if w is not None]
        return max(0.0, self._blocked.get(conversation, at) - at, *waits)

    def record(self, conversation: str, tenant: str, now: datetime) -> None:
        at = now.timestamp()
        self._conversation(conversation).record(at)
        self._tenant(tenant).record(at)

    def block(self, conversation: str, until: datetime) -> None:
        """Teams answered 429: nothing more to this conversation before ``until``."""
        at = until.timestamp()
        self._blocked[conversation] = max(at, self._blocked.get(conversation, at))

    def sweep(self, now: datetime) -> None:
        """Forget conversations and tenants with no recent sends (bounded memory)."""
        at = now.timestamp()
        for table in (self._conversations, self._tenants):
            for key in [k for k, windows in table.items() if windows.wait(at) == 0]:
                if table[key].idle:
                    del table[key]
        for key in [k for k, until in self._blocked.items() if until <= at]:
            del self._blocked[key]

    @property
    def tracked(self) -> int:
        """How many conversations, tenants and pauses are held in memory."""
        return len(self._conversations) + len(self._tenants) + len(self._blocked)

    def _conversation(self, conversation: str) -> SlidingWindows:
        found = self._conversations.get(conversation)
        if found is None:
            found = self._conversations[conversation] = SlidingWindows(self._per_conversation)
        return found

    def _tenant(self, tenant: str) -> SlidingWindows:
        found = self._tenants.get(tenant)
        if found is None:
            found = self._tenants[tenant] = SlidingWindows(self._per_tenant)
        return found
