"""Insights levels, the snapshot document of one row, and the writer that upserts them in batches."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from bson import ObjectId

from metasync.entities.mapping import MappingError
from metasync.graph.ids import is_meta_id
from metasync.performance.metrics import currency_exponent, derived_rates, extract_conversions, to_count, to_minor
from metasync.store.documents import PerformanceSnapshot
from metasync.store.writer import BatchWriter

ID_FIELDS = ("account_id", "account_name", "campaign_id", "campaign_name", "adset_id", "adset_name", "ad_id", "ad_name")
ROW_FIELDS = (
    "account_currency",
    "date_start",
    "date_stop",
    "impressions",
    "clicks",
    "spend",
    "reach",
    "ctr",
    "cpc",
    "cpm",
    "actions",
    "action_values",
)


@dataclass(frozen=True)
class InsightsLevel:
    """One `level` of the account's insights edge and how its rows become snapshots."""

    level: str  # Meta's `level` parameter
    entity_type: str  # stored on the snapshot
    count_key: str  # key in results and SyncRun counts
    id_field: str
    name_field: str
    sync_max_days: int  # longer ranges go straight to an asynchronous report

    def id_fields(self) -> tuple[str, ...]:
        """This level's ids and names, and its parents'."""
        return ID_FIELDS[: ID_FIELDS.index(self.name_field) + 1]

    def fields_param(self) -> str:
        """This level's ids and names (and its parents'), then the metrics."""
        return ",".join(self.id_fields() + ROW_FIELDS)

    def query_params(self) -> dict[str, Any]:
        """Parameters beyond level, fields and dates (a report's breakdowns); one row per day by default."""
        return {"time_increment": 1}


# Account, campaign and ad-set rows are few; ad rows multiply with the number of ads, so they go asynchronous sooner.
ACCOUNT_LEVEL = InsightsLevel("account", "ACCOUNT", "accounts", "account_id", "account_name", 31)
CAMPAIGN_LEVEL = InsightsLevel("campaign", "CAMPAIGN", "campaigns", "campaign_id", "campaign_name", 31)
ADSET_LEVEL = InsightsLevel("adset", "ADSET", "ad_sets", "adset_id", "adset_name", 31)
AD_LEVEL = InsightsLevel("ad", "AD", "ads", "ad_id", "ad_name", 7)
LEVELS = (ACCOUNT_LEVEL, CAMPAIGN_LEVEL, ADSET_LEVEL, AD_LEVEL)


@dataclass(frozen=True)
class SnapshotContext:
    tenant_id: str
    connection_id: ObjectId
    ad_account_id: str
    currency: str | None
    timezone_name: str | None
    now: datetime

    @classmethod
    def of(cls, connection, now: datetime) -> SnapshotContext:
        """The context of `connection`'s rows fetched at `now`."""
        return cls(
            tenant_id=connection.tenant_id,
            connection_id=connection.id,
            ad_account_id=connection.ad_account_id,
            currency=connection.currency,
            timezone_name=connection.timezone_name,
            now=now,
        )


def _meta_id(value: Any, what: str) -> str | None:
    if value in (None, ""):
        return None
    if not is_meta_id(value):
        raise MappingError(f"{what} is not a Meta id: {str(value)[:40]!r}")
    return str(value)


def map_insights_row(row: dict[str, Any], level: InsightsLevel, ctx: SnapshotContext) -> dict[str, Any]:
    """The snapshot of one (object, day) row. `campaign_id` / `ad_set_id` name the row's campaign and ad set
    (for a campaign or ad-set row, its own id), so one query finds every level of a campaign."""
    entity_id = _meta_id(row.get(level.id_field), level.id_field)
    if entity_id is None:
        raise MappingError(f"row without {level.id_field}")
    try:
        day = date.fromisoformat(str(row.get("date_start")))
    except ValueError:
        raise MappingError(f"row without a valid date_start: {str(row.get('date_start'))[:40]!r}") from None
    currency = row.get("account_currency") or ctx.currency
    exponent = currency_exponent(currency)
    impressions, clicks = to_count(row.get("impressions"), "impressions"), to_count(row.get("clicks"), "clicks")
    spend = to_minor(row.get("spend"), exponent, "spend")
    conversions = extract_conversions(row.get("actions"), row.get("action_values"), exponent)
    return {
        "tenant_id": ctx.tenant_id,
        "connection": ctx.connection_id,
        "ad_account_id": ctx.ad_account_id,
        "entity_type": level.entity_type,
        "entity_id": entity_id,
        "name": row.get(level.name_field),
        "campaign_id": _meta_id(row.get("campaign_id"), "campaign_id"),
        "ad_set_id": _meta_id(row.get("adset_id"), "adset_id"),
        "date": day.isoformat(),
        "timezone_name": ctx.timezone_name,
        "currency": currency,
        "currency_exponent": exponent,
        "impressions": impressions,
        "clicks": clicks,
        "reach": to_count(row.get("reach"), "reach"),
        "spend": spend,
        "purchases": conversions.purchases,
        "leads": conversions.leads,
        "conversions": conversions.purchases + conversions.leads,
        "revenue": conversions.revenue_minor,
        "purchase_action_type": conversions.purchase_type,
        "lead_action_type": conversions.lead_type,
        **derived_rates(impressions, clicks, spend, exponent),
        "actions": [a for a in row.get("actions") or [] if isinstance(a, dict)],
        "action_values": [a for a in row.get("action_values") or [] if isinstance(a, dict)],
        "raw": {k: v for k, v in row.items() if k not in ("actions", "action_values")},
        "fetched_at": ctx.now,
    }


def snapshot_id(doc: dict[str, Any]) -> str:
    """The document id: the unique key (tenant, entity type, entity id, date) as one string."""
    return f"{doc['tenant_id']}:{doc['entity_type']}:{doc['entity_id']}:{doc['date']}"


class SnapshotWriter(BatchWriter):
    """Maps the rows of one level and upserts them on the snapshot's unique key.

    Nothing is looked up first: rows for objects the entity sync has not stored yet are written all the same.
    """

    error_event = "insights_error"

    def __init__(self, level: InsightsLevel, ctx: SnapshotContext, progress: Callable[[str, int], None] | None = None):
        super().__init__(
            PerformanceSnapshot._get_collection(),
            ctx.now,
            "first_fetched_at",
            level.count_key,
            {"tenant_id": ctx.tenant_id, "ad_account_id": ctx.ad_account_id},
            progress,
        )
        self.level = level
        self.ctx = ctx

    def map(self, row: Any) -> dict[str, Any]:
        if not isinstance(row, dict):
            raise MappingError(f"expected an object, got {type(row).__name__}")
        doc = map_insights_row(row, self.level, self.ctx)
        return {"_id": snapshot_id(doc), **doc}

    def describe_error(self, row: Any, exc: Exception) -> str:
        return f"{self.level.entity_type} row skipped: {exc}"
