"""`metasync status`: the latest sync runs of each connection (per kind), read from `SyncRun`."""

from __future__ import annotations

from typing import Any

from metasync.infra.clock import as_utc
from metasync.store.documents import MetaConnection, SyncRun


def _iso(value) -> str | None:
    value = as_utc(value)
    return value.isoformat() if value else None


def describe_run(connection: MetaConnection, run: SyncRun | None) -> dict[str, Any]:
    base = {
        "connection_id": str(connection.id),
        "tenant_id": connection.tenant_id,
        "ad_account_id": connection.ad_account_id,
        "connection_status": connection.status,
    }
    if run is None:
        return {**base, "kind": None, "status": "NEVER"}
    return {
        **base,
        "kind": run.kind,
        "trigger": run.trigger,
        "full": run.full,
        "status": run.status,
        "started_at": _iso(run.started_at),
        "finished_at": _iso(run.finished_at),
        "duration_ms": run.duration_ms,
        "counts": dict(run.counts or {}),
        "api_calls": run.api_calls,
        "error_count": run.error_count,
        "errors": list(run.errors or []),
    }


def latest_runs(connections: list[MetaConnection], limit: int = 1) -> list[dict[str, Any]]:
    """For each connection, its `limit` latest runs of each kind (newest first); one NEVER row if it has none.

    The latest run of each kind is read by `_id` from the connection's `latest_runs`; only a longer history
    (`limit` > 1) queries `sync_runs` by connection and kind.
    """
    rows: list[dict[str, Any]] = []
    for connection in connections:
        latest = dict(connection.latest_runs or {})
        if not latest:  # recorded before `latest_runs` existed
            latest = {kind: None for kind in SyncRun.objects(connection=connection.id).distinct("kind")}
        if not latest:
            rows.append(describe_run(connection, None))
            continue
        for kind in sorted(latest):
            if limit == 1 and latest[kind] is not None:
                runs = [run for run in (SyncRun.objects(id=latest[kind]).first(),) if run is not None]
            else:
                runs = SyncRun.objects(connection=connection.id, kind=kind).order_by("-started_at").limit(limit)
            rows.extend(describe_run(connection, run) for run in runs)
    return rows


def format_counts(counts: dict[str, Any]) -> str:
    """`campaigns 3, ad sets 4, ads 5` from stored counts (`campaigns_synced` ...), whatever the kind."""
    parts = []
    for key, value in counts.items():
        label = key.removesuffix("_synced").replace("_", " ")
        parts.append(f"{label} {value}")
    return ", ".join(parts) or "-"


def format_duration(ms: int | None) -> str:
    if ms is None:
        return "-"
    if ms < 1000:
        return f"{ms} ms"
    seconds = ms / 1000
    return f"{seconds:.1f} s" if seconds < 120 else f"{seconds / 60:.1f} min"
