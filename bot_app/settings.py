"""Service configuration, read from the environment (and ``.env``).

Defaults run the bot locally with no credentials: an SQLite file under ``var/`` and no
Bot Framework app id (Microsoft 365 Agents Playground mode). Secrets are ``SecretStr`` so
they never appear in logs, reprs or error messages.
"""

from __future__ import annotations

from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from safeguarding.calendar import CountingConvention, WorkingDayCalendar
from safeguarding.clocks import ClockId, ClockRule, clock_table

# Teams sends activities from these service URL hosts; answering anywhere else would let a
# forged activity make the bot call an arbitrary host (server-side request forgery).
TEAMS_SERVICE_HOSTS = ("smba.trafficmanager.net", "*.botframework.com")
LOCAL_SERVICE_HOSTS = ("localhost", "127.0.0.1", "::1")


class Settings(BaseSettings):
    """Every setting is documented in the README's configuration table."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", frozen=True)

    host: str = "127.0.0.1"
    port: int = Field(default=3978, ge=1, le=65535)
    database_url: str = "sqlite+aiosqlite:///var/cspr.db"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    microsoft_app_id: str = ""
    microsoft_app_password: SecretStr = SecretStr("")
    microsoft_app_type: Literal["MultiTenant", "SingleTenant", "UserAssignedMSI"] = "MultiTenant"
    microsoft_app_tenant_id: str = ""
    service_url_hosts: tuple[str, ...] = ()

    partnership_name: str = "North Lincolnshire Safeguarding Children Partnership"
    reference_prefix: str = Field(default="NL", pattern=r"^[A-Z0-9]{2,8}$")
    holiday_country: str = "UK"
    holiday_subdivision: str | None = "ENG"
    timezone: str = "Europe/London"
    counting_convention: CountingConvention = CountingConvention.EXCLUDE_START
    clock_lengths: dict[ClockId, int] = Field(default_factory=dict)

    @field_validator("service_url_hosts", mode="before")
    @classmethod
    def _split_hosts(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(h.strip().lower() for h in value.split(",") if h.strip())
        return value

    @property
    def auth_enabled(self) -> bool:
        """Without an app id there is no inbound token to check: local use only."""
        return bool(self.microsoft_app_id)

    def allowed_service_hosts(self) -> tuple[str, ...]:
        if self.service_url_hosts:
            return self.service_url_hosts
        if self.auth_enabled:
            return TEAMS_SERVICE_HOSTS
        return TEAMS_SERVICE_HOSTS + LOCAL_SERVICE_HOSTS

    def service_url_allowed(self, service_url: str) -> bool:
        host = (urlsplit(service_url).hostname or "").lower()
        for pattern in self.allowed_service_hosts():
            if pattern.startswith("*.") and host.endswith(pattern[1:]):
                return True
            if host == pattern:
                return True
        return False

    def calendar(self) -> WorkingDayCalendar:
        return WorkingDayCalendar(
            country=self.holiday_country,
            subdivision=self.holiday_subdivision,
            timezone=self.timezone,
        )

    def clocks(self) -> tuple[ClockRule, ...]:
        return clock_table(self.clock_lengths)
