"""Runs as the HTTP API shows them: a key's history with filters and paging, one run, and a running or queued
run's live state (its last heartbeat, how long it has waited)."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from bson import ObjectId
from bson.errors import InvalidId

from metasync.access.keys import Principal
from metasync.control.scope import NotFound, age_seconds, iso, list_query, own, page
from metasync.infra.clock import utcnow
from metasync.runs.heartbeat import last_beat
from metasync.store.documents import SyncRun

LIVE_STATUSES = ("QUEUED", "RUNNING")


def describe(run: SyncRun, now: datetime | None = None) -> dict[str, Any]:
    now = now or utcnow()
    row = {
        "id": str(run.id),
        "connection_id": str(run.connection),
        "tenant_id": run.tenant_id,
        "ad_account_id": run.ad_account_id,
        "kind": run.kind,
        "trigger": run.trigger,
        "requested_by": run.requested_by,
        "full": bool(run.full),
        "status": run.status,
        "started_at": iso(run.started_at),
        "finished_at": iso(run.finished_at),
        "duration_ms": run.duration_ms,
        "counts": dict(run.counts or {}),
        "api_calls": run.api_calls or 0,
        "error_count": run.error_count or 0,
        "errors": list(run.errors or []),
        "target": {k: v for k, v in (run.target or {}).items() if isinstance(v, str | int | bool | float)},
        "live": None,
    }
    if run.status in LIVE_STATUSES:
        beat = last_beat(str(run.id)) if run.status == "RUNNING" else None
        row["live"] = {
            "for_seconds": age_seconds(run.started_at, now),
            "heartbeat_age_seconds": None if beat is None else max(0, int(time.time() - beat)),
        }
    return row


def list_runs(
    principal: Principal,
    connection_id: str | None = None,
    kind: str | None = None,
    status: str | None = None,
    trigger: str | None = None,
    tenant: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> dict[str, Any]:
    """Newest first; `next_offset` is where the next page starts (None on the last page)."""
    query = list_query(principal, tenant, connection_id, kind=kind, status=status, trigger=trigger)
    runs = SyncRun.objects(**query).order_by("-started_at") if query is not None else None
    now = utcnow()
    return page(runs, limit, offset, lambda run: describe(run, now))


def run_for(principal: Principal, run_id: str) -> dict[str, Any]:
    try:
        run = SyncRun.objects(id=ObjectId(run_id)).first()
    except (InvalidId, TypeError):
        run = None
    if run is None:
        raise NotFound(f"no run {run_id[:40]!r}")
    own(principal, run.tenant_id, f"run {run_id[:40]!r}")
    return describe(run)
