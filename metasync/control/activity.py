"""What ran lately for a tenant: the runs timeline per connection, Graph calls and webhook-triggered syncs per hour.

One bounded read of the tenant's recent `sync_runs` (newest first, at most `MAX_RUNS`) feeds all three, so the
page costs one query however many connections the tenant has. Process-wide counts (every tenant together) come
from the shared counters (`metasync.infra.counters`) and are shown to admin keys only.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from metasync.infra import counters
from metasync.infra.clock import as_utc, utcnow
from metasync.store.documents import SyncRun

MAX_RUNS = 500
RUNS_PER_CONNECTION = 12
HOURS = 24


@dataclass(frozen=True)
class RunRow:
    run_id: str
    connection_id: str
    kind: str
    trigger: str | None
    requested_by: str | None
    status: str
    started_at: datetime | None
    duration_ms: int | None
    api_calls: int
    error: str | None


@dataclass(frozen=True)
class Activity:
    runs_by_connection: dict[str, list[RunRow]]
    calls_per_hour: list[tuple[int, float]]  # (hour start, unix seconds; Graph calls of runs started then)
    webhook_syncs_per_hour: list[tuple[int, float]]
    runs_in_window: int


def _row(run: SyncRun) -> RunRow:
    errors = list(run.errors or [])
    return RunRow(
        run_id=str(run.id),
        connection_id=str(run.connection),
        kind=run.kind,
        trigger=run.trigger,
        requested_by=run.requested_by,
        status=run.status,
        started_at=as_utc(run.started_at),
        duration_ms=run.duration_ms,
        api_calls=run.api_calls or 0,
        error=errors[0] if errors else None,
    )


def hour_starts(hours: int, now: datetime) -> list[int]:
    end = int(now.timestamp() // 3600) * 3600
    return [end - 3600 * i for i in range(hours - 1, -1, -1)]


def recent_runs(tenant_id: str, hours: int = HOURS, now: datetime | None = None) -> list[SyncRun]:
    since = (now or utcnow()) - timedelta(hours=hours)
    query = SyncRun.objects(tenant_id=tenant_id, started_at__gte=since).order_by("-started_at").limit(MAX_RUNS)
    return list(query)


def tenant_activity(tenant_id: str, hours: int = HOURS, now: datetime | None = None) -> Activity:
    now = now or utcnow()
    runs = recent_runs(tenant_id, hours, now)
    starts = hour_starts(hours, now)
    calls: dict[int, float] = dict.fromkeys(starts, 0.0)
    webhook: dict[int, float] = dict.fromkeys(starts, 0.0)
    by_connection: dict[str, list[RunRow]] = defaultdict(list)
    for run in runs:
        row = _row(run)
        if len(by_connection[row.connection_id]) < RUNS_PER_CONNECTION:
            by_connection[row.connection_id].append(row)
        if row.started_at is None:
            continue
        hour = int(row.started_at.timestamp() // 3600) * 3600
        if hour in calls:
            calls[hour] += row.api_calls
            if row.trigger == "webhook":
                webhook[hour] += 1
    return Activity(dict(by_connection), sorted(calls.items()), sorted(webhook.items()), len(runs))


def process_wide(hours: int = HOURS) -> dict[str, list[tuple[int, float]]]:
    """Every tenant together, from the shared counters (zeros where nothing was counted)."""
    return {
        "graph_calls": counters.summed(counters.hourly("graph_calls", hours)),
        "webhook_deliveries": counters.summed(counters.hourly("webhook_deliveries", hours)),
    }
