"""Insights levels, the snapshot document of one row, and the writer that upserts them in batches."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Callable, Iterable

from bson import ObjectId
from pymongo import UpdateOne

from metasync.entities.mapping import MappingError
from metasync.store.documents import PerformanceSnapshot
from metasync.performance.metrics import currency_exponent, derived_rates, extract_conversions, to_count, to_minor

log = logging.getLogger(__name__)

BATCH_SIZE = 500
MAX_STORED_ERRORS = 20
ID_FIELDS = ("campaign_id", "campaign_name", "adset_id", "adset_name", "ad_id", "ad_name")
ROW_FIELDS = ("account_id", "account_currency", "date_start", "date_stop", "impressions", "clicks", "spend",
              "reach", "ctr", "cpc", "cpm", "actions", "action_values")


@dataclass(frozen=True)
class InsightsLevel:
    """One `level` of the account's insights edge and how its rows become snapshots."""

    level: str  # Meta's `level` parameter
    entity_type: str  # stored on the snapshot
    count_key: str  # key in results and SyncRun counts
    id_field: str
    name_field: str
    sync_max_days: int  # longer ranges go straight to an asynchronous report

    def fields_param(self) -> str:
        """This level's ids and names (and its parents'), then the metrics."""
        return ",".join(ID_FIELDS[:ID_FIELDS.index(self.name_field) + 1] + ROW_FIELDS)


# Campaign and ad-set rows are few; ad rows multiply with the number of ads, so they go asynchronous sooner.
CAMPAIGN_LEVEL = InsightsLevel("campaign", "CAMPAIGN", "campaigns", "campaign_id", "campaign_name", 31)
ADSET_LEVEL = InsightsLevel("adset", "ADSET", "ad_sets", "adset_id", "adset_name", 31)
AD_LEVEL = InsightsLevel("ad", "AD", "ads", "ad_id", "ad_name", 7)
LEVELS = (CAMPAIGN_LEVEL, ADSET_LEVEL, AD_LEVEL)


@dataclass(frozen=True)
class SnapshotContext:
    tenant_id: str
    connection_id: ObjectId
    ad_account_id: str
    currency: str | None
    timezone_name: str | None
    now: datetime


def _meta_id(value: Any, what: str) -> str | None:
    if value in (None, ""):
        return None
    if not str(value).isdigit():
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


@dataclass
class LevelResult:
    written: int = 0
    errors: int = 0
    messages: list[str] = field(default_factory=list)


class SnapshotWriter:
    """Maps the rows of one level and upserts them (unordered, in batches) on the snapshot's unique key.

    Nothing is looked up first: rows for objects the entity sync has not stored yet are written all the same.
    """

    def __init__(self, level: InsightsLevel, ctx: SnapshotContext, progress: Callable[[str, int], None] | None = None):
        self.level = level
        self.ctx = ctx
        self.progress = progress
        self.result = LevelResult()
        self._pending: list[dict[str, Any]] = []

    def add_many(self, rows: Iterable[dict[str, Any]]) -> None:
        for row in rows:
            self.add(row)

    def add(self, row: dict[str, Any]) -> None:
        try:
            if not isinstance(row, dict):
                raise MappingError(f"expected an object, got {type(row).__name__}")
            doc = map_insights_row(row, self.level, self.ctx)
        except MappingError as exc:
            self.note_error(f"{self.level.entity_type} row skipped: {exc}")
            return
        self._pending.append(doc)
        if len(self._pending) >= BATCH_SIZE:
            self.flush()

    def note_error(self, message: str) -> None:
        self.result.errors += 1
        if len(self.result.messages) < MAX_STORED_ERRORS:
            self.result.messages.append(message)
        log.warning("%s", message, extra={"event": "insights_error", "tenant_id": self.ctx.tenant_id,
                                          "ad_account_id": self.ctx.ad_account_id})

    def flush(self) -> None:
        if not self._pending:
            return
        docs, self._pending = self._pending, []
        ops = [UpdateOne({"_id": snapshot_id(doc)}, {"$set": doc, "$setOnInsert": {"first_fetched_at": self.ctx.now}},
                         upsert=True) for doc in docs]
        PerformanceSnapshot._get_collection().bulk_write(ops, ordered=False)
        self.result.written += len(docs)
        if self.progress:
            self.progress(self.level.count_key, self.result.written)
