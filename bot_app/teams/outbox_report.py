"""What the outbox sender is told (its limits, where to open chats) and what it reports."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


@dataclass(frozen=True)
class SenderConfig:
    max_attempts: int = 10
    backoff_seconds: float = 2.0
    backoff_max_seconds: float = 900.0
    lease_seconds: float = 300.0
    batch_size: int = 50
    concurrency: int = 8
    jitter: float = 0.2  # up to 20% added to each backoff, so retries do not stampede
    wait_for_original_seconds: float = 5.0  # an update whose original is not sent yet


@dataclass(frozen=True)
class Endpoint:
    """Where to open personal chats when a person never wrote to the bot: configured, or
    (for anything left blank) taken from the latest conversation the bot has seen."""

    service_url: str = ""
    tenant_id: str = ""
    bot_id: str = ""


class Outcome(StrEnum):
    SENT = "sent"
    RETRIED = "retried"
    PACED = "paced"
    PARKED = "parked"
    FAILED = "failed"
    SUPERSEDED = "superseded"
    LOST_CLAIM = "lost_claim"


@dataclass
class SendReport:
    """What one pass did, by outcome."""

    claimed: int = 0
    counts: dict[Outcome, int] = field(default_factory=dict)

    def add(self, outcome: Outcome) -> None:
        self.counts[outcome] = self.counts.get(outcome, 0) + 1

    def __getitem__(self, outcome: Outcome) -> int:
        return self.counts.get(outcome, 0)


@dataclass(frozen=True)
class Result:
    outcome: Outcome
    pause_until: datetime | None = None  # the rest of this conversation waits (pacing, 429)


DEFAULT_CONFIG = SenderConfig()
NO_ENDPOINT = Endpoint()
