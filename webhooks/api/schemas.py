"""The API's request and response bodies as pydantic models: they check what comes in, shape what goes out, and are
the schemas of the OpenAPI document (webhooks/api/openapi.py), so the document cannot drift from the code."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Id = Field(min_length=1, max_length=200)
Date = Field(default=None, pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$", description="YYYY-MM-DD")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- errors ---------------------------------------------------------------------------------------------------
class ErrorDetail(Out):
    code: str = Field(description="A stable word: unauthorized, forbidden, not_found, invalid_request, ...")
    message: str = Field(description="One line for people")


class ErrorBody(Out):
    error: ErrorDetail


# --- queries --------------------------------------------------------------------------------------------------
class Page(Strict):
    limit: int = Field(50, ge=1, le=500)
    offset: int = Field(0, ge=0, le=1_000_000)


class TenantQuery(Strict):
    tenant: str | None = Field(None, max_length=200, description="Admin keys: one tenant only")


class ConnectionsQuery(TenantQuery):
    status: Literal["ACTIVE", "EXPIRED", "ERROR", "DISABLED", "ACCOUNT_INACTIVE"] | None = None


class RunsQuery(Page, TenantQuery):
    connection_id: str | None = Field(None, max_length=40)
    kind: str | None = Field(None, max_length=40, description="ENTITIES, PERFORMANCE, REPORT, CHANGES, ENTITY ...")
    status: str | None = Field(None, max_length=40, description="QUEUED, RUNNING, SUCCESS, PARTIAL, FAILED ...")
    trigger: str | None = Field(None, max_length=40, description="api, dashboard, beat, cli, webhook ...")


class ChangesQuery(Page, TenantQuery):
    connection_id: str | None = Field(None, max_length=40)
    change_set_id: str | None = Field(None, max_length=80)
    status: str | None = Field(None, max_length=40)
    object_id: str | None = Field(None, max_length=40)


class RowsQuery(Page, TenantQuery):
    limit: int = Field(100, ge=1, le=1000)
    connection_id: str | None = Field(None, max_length=40)
    since: str | None = Date
    until: str | None = Date


# --- connections ----------------------------------------------------------------------------------------------
class ConnectionOut(Out):
    id: str
    tenant_id: str
    ad_account_id: str
    meta_user_id: str | None
    status: str
    currency: str | None
    timezone_name: str | None
    token_expires_at: str | None
    last_synced_at: str | None
    last_error: str | None


class ConnectionCreated(ConnectionOut):
    created: bool


class ConnectionList(Out):
    items: list[ConnectionOut]


class TokenFields(Strict):
    token: str = Field(min_length=1, max_length=4096, description="A Meta user access token; stored encrypted")
    user_id: str | None = Field(None, pattern=r"^[0-9]{1,32}$", description="The Meta user owning the token")
    expires_at: datetime | None = Field(None, description="The token's expiry (ISO 8601 with offset)")


class NewConnection(TokenFields):
    tenant_id: str | None = Field(None, max_length=200, description="Admin keys only; a tenant key adds to its own")
    ad_account_id: str = Field(pattern=r"^(act_)?[0-9]{1,32}$")


class Discover(Strict):
    tenant_id: str | None = Field(None, max_length=200, description="Admin keys only")
    token: str = Field(min_length=1, max_length=4096)
    business_id: str | None = Field(None, pattern=r"^[0-9]{1,32}$")
    add: list[str] | None = Field(None, max_length=500, description="Ad account ids to add as connections")
    add_all: bool = False
    expires_at: datetime | None = None


class DiscoveredAccountOut(Out):
    ad_account_id: str
    name: str | None
    currency: str | None
    account_status: int | None
    status: str
    business: str | None
    source: str


class DiscoveryOut(Out):
    tenant_id: str
    meta_user_id: str | None
    accounts: list[DiscoveredAccountOut]
    added: list[ConnectionCreated]


# --- runs -----------------------------------------------------------------------------------------------------
class EntitySync(Strict):
    full: bool = Field(False, description="Every object, not only what changed since the last sync")


class Dates(Strict):
    date_preset: str | None = Field(None, max_length=40, description="A Meta date preset, e.g. last_7d")
    since: str | None = Date
    until: str | None = Date


class ReportPull(Dates):
    report: str = Field(min_length=1, max_length=64)


class NoBody(Strict):
    pass


class Enqueued(Out):
    kind: str
    connection_id: str
    task_id: str
    run_id: str
    task: str


class LiveState(Out):
    for_seconds: int | None = Field(description="Since the run was queued or started")
    heartbeat_age_seconds: int | None = Field(description="Seconds since the running task last beat")


class RunOut(Out):
    id: str
    connection_id: str
    tenant_id: str | None
    ad_account_id: str | None
    kind: str
    trigger: str | None
    requested_by: str | None
    full: bool
    status: str
    started_at: str | None
    finished_at: str | None
    duration_ms: int | None
    counts: dict[str, Any]
    api_calls: int
    error_count: int
    errors: list[str]
    target: dict[str, Any]
    live: LiveState | None


class RunList(Out):
    items: list[RunOut]
    next_offset: int | None


# --- health ---------------------------------------------------------------------------------------------------
class FreshnessOut(Out):
    connection_id: str
    tenant_id: str
    ad_account_id: str
    status: str
    last_error: str | None
    entities_synced_at: str | None
    entities_age_seconds: int | None
    performance_synced_at: str | None
    performance_age_seconds: int | None
    latest_runs: dict[str, str] = Field(description="The latest run's status by kind")


class FreshnessList(Out):
    items: list[FreshnessOut]


class UserBudget(Out):
    meta_user_id: str | None
    connections: list[str]
    capacity_per_hour: int
    tokens_left: float
    used_share: float


class PausedAccount(Out):
    ad_account_id: str
    seconds_left: float


class RateBudget(Out):
    users: list[UserBudget]
    paused_accounts: list[PausedAccount]


# --- reports --------------------------------------------------------------------------------------------------
class ReportOut(Out):
    name: str
    level: str
    breakdowns: list[str]
    fields: list[str]
    action_breakdowns: list[str]
    attribution_windows: list[str]
    time_increment: int
    tenants: list[str]
    connections: list[str]
    schedule_minutes: int
    lookback_days: int | None
    preset: bool


class ReportList(Out):
    items: list[ReportOut]


class NewReport(Strict):
    name: str = Field(min_length=1, max_length=64)
    level: Literal["account", "campaign", "adset", "ad"]
    breakdowns: list[str] = Field(default_factory=list, max_length=20)
    fields: list[str] = Field(default_factory=list, max_length=100)
    action_breakdowns: list[str] = Field(default_factory=lambda: ["action_type"], max_length=10)
    attribution_windows: list[str] = Field(default_factory=lambda: ["7d_click", "1d_view"], max_length=10)
    time_increment: int = Field(1, ge=1, le=90)
    schedule_minutes: int = Field(1440, ge=0, le=525_600)
    lookback_days: int | None = Field(None, ge=1, le=1095)
    tenants: list[str] = Field(default_factory=list, max_length=100, description="Admin keys; a tenant key: its own")
    connections: list[str] = Field(default_factory=list, max_length=500)


class BreakdownRowOut(Out):
    id: str
    connection_id: str
    tenant_id: str
    ad_account_id: str | None
    report: str
    entity_type: str
    entity_id: str
    name: str | None
    date: str
    date_stop: str | None
    breakdowns: dict[str, str]
    currency: str | None
    currency_exponent: int | None
    impressions: int
    clicks: int
    spend: int = Field(description="Minor units of the currency (divide by 10 ** currency_exponent)")
    purchases: int
    leads: int
    revenue: int = Field(description="Minor units of the currency")
    reach: int | None
    windows: dict[str, Any]
    fetched_at: str | None


class RowList(Out):
    items: list[BreakdownRowOut]
    next_offset: int | None


# --- changes --------------------------------------------------------------------------------------------------
Scalar = str | int | float | bool | None


class ChangeValues(Strict):
    status: Literal["ACTIVE", "PAUSED", "ARCHIVED", "DELETED"] | None = None
    name: str | None = Field(None, max_length=400)
    daily_budget: str | int | None = Field(None, description='A decimal amount ("50.00") or minor units')
    lifetime_budget: str | int | None = None
    end_time: str | None = Field(None, max_length=40, description="ISO time with a UTC offset")
    bid_amount: str | int | None = None


class ChangeItem(Strict):
    level: Literal["campaign", "adset", "ad", "CAMPAIGN", "AD_SET", "AD"]
    id: str = Field(min_length=1, max_length=40, description="The object's Meta id")
    values: ChangeValues
    expected: ChangeValues | None = Field(None, description="What Meta must hold now (default: the stored value)")
    force: bool = False
    confirm_delete: bool = False


class NewChangeSet(Strict):
    changes: list[ChangeItem] = Field(min_length=1, max_length=500)
    dry_run: bool = Field(False, description="Show before -> after per field; save and send nothing")


class ChangeOut(Out):
    id: str | None
    change_set_id: str | None
    connection_id: str | None
    tenant_id: str
    ad_account_id: str | None
    source: str | None
    requested_by: str | None
    level: str | None
    object_id: str | None
    field: str | None
    requested_input: Scalar
    expected: Scalar
    before: Scalar
    after: Scalar
    currency: str | None
    status: str
    reason: str | None
    created_at: str | None
    applied_at: str | None


class ChangeSetOut(Out):
    change_set_id: str | None = Field(description="None for a dry run")
    connection_id: str
    dry_run: bool
    currency: str | None = None
    changes: list[ChangeOut]


class ChangeList(Out):
    items: list[ChangeOut]
    next_offset: int | None


class OpenApiDocument(BaseModel):
    model_config = ConfigDict(extra="allow")
    openapi: str
