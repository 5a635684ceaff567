"""Service configuration, read from the environment (and ``.env``).

Defaults run the bot locally with no credentials: an SQLite file under ``var/`` and no
Bot Framework app id (Microsoft 365 Agents Playground mode). Secrets are ``SecretStr`` so
they never appear in logs, reprs or error messages.
"""

from __future__ import annotations

from datetime import time
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from safeguarding.action_plans import FollowUpPolicy, PlanOwner
from safeguarding.calendar import CountingConvention, WorkingDayCalendar
from safeguarding.clocks import ClockId, ClockRule, clock_table
from safeguarding.disputes import DisputePolicy
from safeguarding.rapid_review import Majority, VoteRule
from safeguarding.reminders import ChannelPurpose, ReminderPolicy
from safeguarding.roles import Role

# Teams sends activities from these service URL hosts; answering anywhere else would let a
# forged activity make the bot call an arbitrary host (server-side request forgery).
TEAMS_SERVICE_HOSTS = ("smba.trafficmanager.net", "*.botframework.com")
LOCAL_SERVICE_HOSTS = ("localhost", "127.0.0.1", "::1")


class Settings(BaseSettings):
    """Every setting is documented in the README's configuration table."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", frozen=True)

    host: str = "127.0.0.1"
    # Without an app id nobody is authenticated: listening beyond this machine is refused at
    # start unless this is set, loudly, for a throwaway demo.
    allow_unauthenticated_network: bool = False
    port: int = Field(default=3978, ge=1, le=65535)
    database_url: str = "sqlite+aiosqlite:///var/cspr.db"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # One JSON object per log line, for a log platform; plain text reads better in a terminal.
    log_format: Literal["json", "text"] | None = None  # None: json with an app id, else text

    microsoft_app_id: str = ""
    microsoft_app_password: SecretStr = SecretStr("")
    microsoft_app_type: Literal["MultiTenant", "SingleTenant", "UserAssignedMSI"] = "MultiTenant"
    microsoft_app_tenant_id: str = ""
    service_url_hosts: Annotated[tuple[str, ...], NoDecode] = ()

    # -- the notification journey -------------------------------------------------------------
    # Initials only unless the partnership decides it needs full names (data minimisation).
    allow_child_names: bool = False
    hub_contact: str = "Questions? Contact the Multi Agency Innovation Hub by secure email."

    # -- security, the directory, the evidence trail (README, "Security") ---------------------
    # Entra tenants whose activities are accepted (channelData.tenant.id); required with an
    # app id, empty = any tenant (local mode only).
    allowed_tenant_ids: Annotated[tuple[str, ...], NoDecode] = ()
    # For tests and sovereign clouds only: where the channel's token signing keys are
    # published (OpenID metadata). Empty = Bot Framework's public cloud.
    to_bot_from_channel_openid_metadata_url: str = ""
    directory_file: Path | None = None  # empty = the demo directory (local mode only)
    unknown_people_roles: Annotated[tuple[Role, ...], NoDecode] = (Role.PRACTITIONER,)
    data_encryption_keys: SecretStr = SecretStr("")  # Fernet keys, comma-separated
    export_signing_key: SecretStr = SecretStr("")  # empty = derived from the first data key
    public_base_url: str = "http://localhost:3978"
    retention_years_after_closure: int = Field(default=7, ge=1, le=100)
    retention_action: Literal["anonymise", "delete"] = "anonymise"

    @field_validator("allowed_tenant_ids", "unknown_people_roles", mode="before")
    @classmethod
    def _split_list(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(item.strip().lower() for item in value.split(",") if item.strip())
        return value

    @field_validator("directory_file", mode="before")
    @classmethod
    def _no_empty_path(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    # -- reminders, channels and the outbox (README, "Reminders and channels") ----------------
    scheduler_enabled: bool = True  # the reminder scheduler and outbox sender in this worker
    scheduler_interval_seconds: float = Field(default=60, gt=0)
    reminder_time: time = time(9, 0)  # local time (TIMEZONE) on working days
    reminder_days_before: Annotated[tuple[int, ...], NoDecode] = (3, 1)
    reminder_on_due_day: bool = True
    reminder_while_overdue: bool = True
    reminder_escalate: bool = True  # unacknowledged overdue statutory clock -> the Hub
    reminder_channels: dict[ClockId, ChannelPurpose] = Field(default_factory=dict)
    digest_day: Literal["monday", "tuesday", "wednesday", "thursday", "friday"] = "monday"
    digest_time: time = time(9, 0)
    outbox_max_attempts: int = Field(default=10, ge=1)
    outbox_backoff_seconds: float = Field(default=2, gt=0)
    outbox_backoff_max_seconds: float = Field(default=900, gt=0)
    outbox_lease_seconds: float = Field(default=300, gt=0)
    outbox_send_timeout_seconds: float = Field(default=30, gt=0)
    outbox_poll_seconds: float = Field(default=2, gt=0)
    outbox_batch_size: int = Field(default=50, ge=1, le=1000)
    outbox_concurrency: int = Field(default=8, ge=1, le=64)
    teams_service_url: str = ""  # opens personal chats before anyone has written to the bot

    @field_validator(
        "reminder_days_before", "dispute_stage_days", "dispute_reminder_days_before", mode="before"
    )
    @classmethod
    def _split_days(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(int(item) for item in value.split(",") if item.strip())
        return value

    @model_validator(mode="after")
    def _lease_outlasts_a_send(self) -> Settings:
        # A claim must outlive the slowest send, or a second worker could take the row over
        # while the first is still waiting for Teams.
        if self.outbox_lease_seconds <= 2 * self.outbox_send_timeout_seconds:
            raise ValueError("OUTBOX_LEASE_SECONDS must be over twice OUTBOX_SEND_TIMEOUT_SECONDS")
        return self

    # -- the rapid review (README, "Rapid review") --------------------------------------------
    rapid_review_vote_working_days: int = Field(default=3, ge=1, le=15)  # how long a vote is open
    rapid_review_vote_quorum: int = Field(default=0, ge=0)  # votes needed; 0 = every core member
    rapid_review_vote_majority: Majority = Majority.OF_VOTES  # or of_seats
    rapid_review_partner_confirmations: int = Field(default=0, ge=0)  # 0 = every partner
    rapid_review_export_initials: bool = False  # the child's initials in the Panel document

    def vote_rule(self) -> VoteRule:
        return VoteRule(
            quorum=self.rapid_review_vote_quorum, majority=self.rapid_review_vote_majority
        )

    def reminder_policy(self) -> ReminderPolicy:
        return ReminderPolicy(
            days_before=self.reminder_days_before,
            on_due_day=self.reminder_on_due_day,
            while_overdue=self.reminder_while_overdue,
            escalate_unacknowledged=self.reminder_escalate,
            send_time=self.reminder_time,
            channels=self.reminder_channels,
        )

    # -- differences of opinion (README, "Differences of opinion") ----------------------------
    # Working days for each stage's target (1 liaison, 2 partners, 3 mediation): the seed
    # sets none; local escalation policies use 2-5.
    dispute_stage_days: Annotated[tuple[int, ...], NoDecode] = (5, 5, 5)
    dispute_reminder_days_before: Annotated[tuple[int, ...], NoDecode] = (2,)
    # When a stage's target passes unresolved: off = prompt the Hub; on = escalate at once.
    dispute_auto_escalate: bool = False

    def dispute_policy(self) -> DisputePolicy:
        stage_days = self.dispute_stage_days
        if len(stage_days) != 3:
            raise ValueError("DISPUTE_STAGE_DAYS needs three numbers, e.g. 5,5,5")
        return DisputePolicy(
            stage_days=(stage_days[0], stage_days[1], stage_days[2]),
            days_before=self.dispute_reminder_days_before,
            auto_escalate=self.dispute_auto_escalate,
            send_time=self.reminder_time,
        )

    # -- action plans (README, "Action plans") ---------------------------------------------
    # Who oversees a plan unless set on the case: the CSPR Group or SPLIG (the procedure).
    action_plan_owner: PlanOwner = PlanOwner.CSPRG
    action_follow_up_before_working_days: int = Field(default=5, ge=0, le=60)  # 0: none
    action_follow_up_on_due_day: bool = True
    action_follow_up_overdue_every_days: int = Field(default=7, ge=0, le=90)  # 0: once only

    def follow_up_policy(self) -> FollowUpPolicy:
        return FollowUpPolicy(
            before_working_days=self.action_follow_up_before_working_days,
            on_due_day=self.action_follow_up_on_due_day,
            overdue_every_days=self.action_follow_up_overdue_every_days,
            send_time=self.reminder_time,
        )

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
    def json_logs(self) -> bool:
        return self.log_format == "json" or (self.log_format is None and self.auth_enabled)

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

    def calendar(self) -> WorkingDayCalendar:
        return WorkingDayCalendar(
            country=self.holiday_country,
            subdivision=self.holiday_subdivision,
            timezone=self.timezone,
        )

    def clocks(self) -> tuple[ClockRule, ...]:
        return clock_table(self.clock_lengths)

    # -- the evidence trail's keys ---
    # HMAC keys of the evidence trail and its checkpoints, comma-separated, each at least 32
    # bytes: the first seals, every one verifies (bot_app/keys.py). Required with an app id;
    # empty in local mode = derived from the data keys.
    trail_keys: SecretStr = SecretStr("")

    # -- case governance: "criteria not met" ---
    # How many of the partners' representatives (CSPR Group core members, a deputy in their
    # seat) must confirm the Hub's proposal to close a case as not meeting the criteria; 0 =
    # every core member in the directory.
    closure_confirmations: int = Field(default=0, ge=0)

    # -- the case dashboard (the Teams tab, README "Case dashboard") ---
    # Where Entra publishes the keys that sign Teams single sign-on tokens (OpenID
    # configuration). Empty = Entra's public cloud; tests and sovereign clouds set their own.
    tab_openid_metadata_url: str = ""
    # How long a dashboard session lasts before the tab signs the person in again.
    tab_session_minutes: int = Field(default=30, ge=5, le=480)
