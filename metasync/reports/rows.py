"""One report row -> one breakdown document, through the daily snapshots' own mapping and KPI rules.

With action breakdowns Meta sends one `actions` entry per (action type, breakdown values): they partition the
type, so they are summed per type (exactly, as decimals) before the one-type-per-KPI rule picks purchases, leads
and revenue. Each attribution window Meta returned on the row gets the same KPIs from the same action types.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from metasync.entities.mapping import MappingError
from metasync.graph.insights_vocabulary import ATTRIBUTION_WINDOWS
from metasync.performance.metrics import action_values_by_type, to_count, to_decimal, to_minor
from metasync.performance.rows import SnapshotContext, SnapshotWriter, map_insights_row
from metasync.reports.spec import ReportLevel
from metasync.store.reports import BreakdownRow

# List fields whose entries are additive counts: stored summed per field in `counts`.
COUNTED_LISTS = frozenset(
    {
        "outbound_clicks",
        "unique_outbound_clicks",
        "video_play_actions",
        "video_p25_watched_actions",
        "video_p50_watched_actions",
        "video_p75_watched_actions",
        "video_p95_watched_actions",
        "video_p100_watched_actions",
        "video_thruplay_watched_actions",
        "video_30_sec_watched_actions",
        "conversions",
    }
)
SKIPPED_RAW = frozenset({"actions", "action_values", "date_start", "date_stop", "reach", "frequency"})


def merge_by_type(items: Any) -> list[dict[str, Any]]:
    """Entries of one action type (split by action breakdowns) summed into one: `value` and each window key."""
    merged: dict[str, dict[str, Decimal]] = {}
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict) or not item.get("action_type"):
            continue
        sums = merged.setdefault(str(item["action_type"]), {})
        for key in ("value", *ATTRIBUTION_WINDOWS):
            if key in item:
                sums[key] = sums.get(key, Decimal(0)) + to_decimal(item[key], f"{item['action_type']} {key}")
    return [{"action_type": t, **{k: str(v) for k, v in sums.items()}} for t, sums in merged.items()]


def window_kpis(
    actions: list[dict[str, Any]], values: list[dict[str, Any]], doc: dict[str, Any], exponent: int
) -> dict[str, dict[str, int]]:
    """{window: {purchases, leads, revenue}} for each window Meta returned on the row, from the row's KPI types;
    a KPI whose action type came without the window is left out (not returned is not 0)."""
    out: dict[str, dict[str, int]] = {}
    returned = {key for entry in actions + values for key in entry if key in ATTRIBUTION_WINDOWS}
    for window in sorted(returned):
        counts, money = action_values_by_type(actions, window), action_values_by_type(values, window)
        kpis: dict[str, int] = {}
        for kpi, action_type, source, convert in (
            ("purchases", doc["purchase_action_type"], counts, to_count),
            ("leads", doc["lead_action_type"], counts, to_count),
        ):
            if action_type is None:
                kpis[kpi] = 0
            elif action_type in source:
                kpis[kpi] = convert(source[action_type], f"{kpi} {window}")
        purchase_type = doc["purchase_action_type"]
        if purchase_type is None:
            kpis["revenue"] = 0
        elif purchase_type in money:
            kpis["revenue"] = to_minor(money[purchase_type], exponent, f"revenue {window}")
        out[window] = kpis
    return out


def _list_total(value: Any, what: str) -> int:
    return sum(to_count(item.get("value"), what) for item in value if isinstance(item, dict)) if value else 0


def breakdown_key(values: dict[str, str]) -> str:
    return "|".join(f"{name}={value}" for name, value in values.items())


def map_report_row(row: dict[str, Any], level: ReportLevel, ctx: SnapshotContext) -> dict[str, Any]:
    spec = level.spec
    missing = [name for name in spec.breakdowns if row.get(name) in (None, "")]
    if missing:
        raise MappingError(f"row without breakdown {missing[0]}")
    actions, values = merge_by_type(row.get("actions")), merge_by_type(row.get("action_values"))
    merged = {**row, "actions": actions, "action_values": values}
    doc = map_insights_row(merged, level, ctx)
    exponent = doc["currency_exponent"]
    breakdowns = {name: str(row[name]) for name in spec.breakdowns}
    asked = set(spec.fields)
    out = {
        key: doc[key]
        for key in (
            "tenant_id",
            "connection",
            "ad_account_id",
            "entity_type",
            "entity_id",
            "name",
            "campaign_id",
            "ad_set_id",
            "date",
            "currency",
            "currency_exponent",
            "impressions",
            "clicks",
            "spend",
            "purchases",
            "leads",
            "conversions",
            "revenue",
            "purchase_action_type",
            "lead_action_type",
            "fetched_at",
        )
    }
    reach = row.get("reach")
    frequency = row.get("frequency")
    out.update(
        report=spec.name,
        date_stop=str(row.get("date_stop") or doc["date"]),
        breakdowns=breakdowns,
        inline_link_clicks=to_count(row.get("inline_link_clicks"), "inline_link_clicks"),
        landing_page_views=to_count(action_values_by_type(actions).get("landing_page_view"), "landing_page_views"),
        windows=window_kpis(actions, values, doc, exponent),
        reach=to_count(reach, "reach") if reach not in (None, "") else None,
        frequency=float(to_decimal(frequency, "frequency")) if frequency not in (None, "") else None,
        counts={name: _list_total(row.get(name), name) for name in sorted(COUNTED_LISTS & asked) if name in row},
        metrics={name: row[name] for name in sorted(asked - COUNTED_LISTS - SKIPPED_RAW) if name in row},
        actions=[a for a in row.get("actions") or [] if isinstance(a, dict)],
        action_values=[a for a in row.get("action_values") or [] if isinstance(a, dict)],
    )
    return out


def row_id(doc: dict[str, Any]) -> str:
    """The unique key (tenant, report, level, entity, day, breakdown values) as one string."""
    return (
        f"{doc['tenant_id']}:{doc['report']}:{doc['entity_type']}:{doc['entity_id']}:{doc['date']}:"
        f"{breakdown_key(doc['breakdowns'])}"
    )


class BreakdownWriter(SnapshotWriter):
    """The snapshot writer, mapping report rows into `insights_breakdowns`."""

    error_event = "report_row_error"

    def __init__(self, level: ReportLevel, ctx: SnapshotContext, progress: Callable[[str, int], None] | None = None):
        super().__init__(level, ctx, progress)
        self.collection = BreakdownRow._get_collection()

    def map(self, row: Any) -> dict[str, Any]:
        if not isinstance(row, dict):
            raise MappingError(f"expected an object, got {type(row).__name__}")
        doc = map_report_row(row, self.level, self.ctx)
        return {"_id": row_id(doc), **doc}

    def describe_error(self, row: Any, exc: Exception) -> str:
        return f"report {self.level.spec.name} row skipped: {exc}"
