"""The demo's write-back step: pause the campaign with the worst ROAS and raise the daily budget of the ad set with
the best, through the real path (checked, conflict-checked, batched, read back), then show the audit trail and the
re-synced documents."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

RAISE_BY = Decimal("1.2")  # the best ad set's daily budget, +20 %


def _roas(row: dict[str, Any]) -> Decimal:
    return Decimal(row["revenue"]) / Decimal(row["spend"])


def adset_performance(database, tenant: str, since: str, until: str) -> dict[str, dict[str, int]]:
    """Spend and revenue per ad set over [since, until], from the stored daily snapshots."""
    totals: dict[str, dict[str, int]] = {}
    for snap in database.performance_snapshots.find(
        {"tenant_id": tenant, "entity_type": "ADSET", "date": {"$gte": since, "$lte": until}},
        {"entity_id": 1, "spend": 1, "revenue": 1},
    ):
        row = totals.setdefault(snap["entity_id"], {"spend": 0, "revenue": 0})
        row["spend"] += int(snap.get("spend") or 0)
        row["revenue"] += int(snap.get("revenue") or 0)
    return totals


def pick_targets(database, tenant: str, campaigns: list[dict[str, Any]], since: str, until: str):
    """(worst active campaign by ROAS, best active ad set by ROAS that holds its own daily budget); either may be
    None when the account has no such object."""
    live = [r for r in campaigns if r["status"] == "ACTIVE" and r["spend"] > 0]
    worst = min(live, key=_roas, default=None)
    budgets = {
        doc["meta_id"]: doc
        for doc in database.ad_sets.find(
            {"tenant_id": tenant, "status": "ACTIVE"}, {"meta_id": 1, "name": 1, "daily_budget": 1, "campaign_id": 1}
        )
        if doc.get("daily_budget") and (worst is None or doc.get("campaign_id") != worst["id"])
    }
    performance = {k: v for k, v in adset_performance(database, tenant, since, until).items() if k in budgets}
    best_id = max((k for k, v in performance.items() if v["spend"]), key=lambda k: _roas(performance[k]), default=None)
    return worst, (budgets[best_id], performance[best_id]) if best_id else None


def show_write_back(console: Console, database, connection, campaigns: list[dict[str, Any]], window: dict) -> dict:
    """Run the step; returns its figures for the demo's facts."""
    from metasync.ops.changes import ObjectRequest, object_label, request_changes, shown
    from metasync.performance.metrics import currency_exponent, from_minor

    console.print()
    console.rule("[bold]Write-back: acting on what was read[/]", align="left")
    worst, best = pick_targets(database, connection.tenant_id, campaigns, window["since"], window["until"])
    requests = []
    if worst is not None:
        requests.append(ObjectRequest("campaign", worst["id"], {"status": "PAUSED"}))
    if best is not None:
        exponent = currency_exponent(connection.currency)
        raised = (from_minor(best[0]["daily_budget"], exponent) * RAISE_BY).quantize(Decimal(1).scaleb(-exponent))
        requests.append(ObjectRequest("adset", best[0]["meta_id"], {"daily_budget": str(raised)}))
    if not requests:
        console.print("No active campaign or ad set with spend to act on.")
        return {}
    change_set, changes = request_changes(connection, requests, "cli", "demo", "demo")
    console.print(
        f"Change set [bold]{change_set.id}[/]: each change was checked against Meta's live values (read in one "
        "batch request), sent in one batch write that answered the objects back, and stored through the same "
        "mapping as a sync."
    )
    table = Table("object", "field", "before", "after", "status", "by", title="Audit trail (collection `changes`)")
    for change in changes:
        table.add_row(
            object_label(change),
            change.field,
            shown(change, change.before),
            shown(change, change.after),
            change.status + (f": {escape(change.reason)}" if change.reason else ""),
            f"{change.source}:{change.requested_by}",
        )
    console.print(table)
    stored = Table("stored document", "status", "daily budget", "synced at", title="Re-synced documents in MongoDB")
    for change in changes:
        collection = database.campaigns if change.level == "CAMPAIGN" else database.ad_sets
        doc = collection.find_one({"_id": f"{connection.tenant_id}:{change.object_id}"})
        stored.add_row(
            escape(f"{doc.get('name')} ({change.object_id})"),
            str(doc.get("configured_status")),
            shown(change, doc.get("daily_budget")) if change.field == "daily_budget" else "-",
            f"{doc.get('synced_at'):%H:%M:%S.%f}"[:-3],
        )
    console.print(stored)
    return {
        "changes": len(changes),
        "applied": sum(c.status == "APPLIED" for c in changes),
        "paused_campaign": worst["id"] if worst else None,
        "raised_ad_set": best[0]["meta_id"] if best else None,
    }
