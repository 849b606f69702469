"""Runs whose process died (a killed worker child, a lost machine) stop beating: mark them CRASHED and enqueue their
work again, so a crash costs minutes, not the next schedule (or the broker's visibility timeout)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from metasync.infra.clock import utcnow
from metasync.runs.heartbeat import BEAT_SECONDS, forget, silent_since
from metasync.runs.lifecycle import count_run_outcome
from metasync.store.documents import MetaConnection, SyncRun

log = logging.getLogger(__name__)

# Silent for this long (several missed beats): its process is gone. Beat runs the reaper every REAP_EVERY_SECONDS,
# so a crashed run's work is enqueued again within about two minutes.
STALE_SECONDS = 6 * BEAT_SECONDS
REAP_EVERY_SECONDS = 60

# kind -> (task name, args and kwargs that redo the run)
Enqueue = Callable[[str, list[Any], dict[str, Any]], None]


def redo(run: SyncRun) -> tuple[str, list[Any], dict[str, Any]]:
    """The task, by name, that does the crashed run's work again."""
    target = dict(run.target or {})
    connection_id = str(run.connection)
    if run.kind == "ACCOUNT":  # the recheck of stopped ad accounts: the next round does it
        return "recheck_inactive_accounts", [], {}
    if run.kind == "ENTITY":
        return "sync_entity", [connection_id, target.get("level"), target.get("object_id")], {}
    if run.kind == "CHANGES":  # the change set again: what it applied is read from Meta, never resent blind
        return "apply_change_set", [target.get("change_set_id")], {}
    if run.kind == "PERFORMANCE":  # no dates asked: the scheduled lookback policy
        return (
            "sync_performance",
            [connection_id],
            {k: target[k] for k in ("date_preset", "since", "until") if k in target},
        )
    if run.kind == "REPORT":  # an explicit pull is redone as asked; a scheduled one as the connection's due reports
        if any(k in target for k in ("date_preset", "since", "until")):
            dates = {k: target.get(k) for k in ("date_preset", "since", "until")}
            return "pull_report", [connection_id, target.get("report")], dates
        return "pull_due_reports", [connection_id], {}
    return "sync_connection", [connection_id], {"full": bool(run.full)}


def reap_crashed_runs(
    enqueue: Enqueue, stale_seconds: float = STALE_SECONDS, now: float | None = None
) -> dict[str, int]:
    """Mark silent RUNNING runs CRASHED and re-enqueue those that are still their connection's latest of the kind."""
    summary = {"crashed": 0, "requeued": 0}
    for run_id in silent_since((now or time.time()) - stale_seconds):
        run = SyncRun.objects(id=run_id).first()
        if run is not None and run.status == "RUNNING":
            run.update(
                set__status="CRASHED",
                set__finished_at=utcnow(),
                set__error_count=1,
                set__errors=["the process running it stopped (no heartbeat); its work was enqueued again"],
            )
            summary["crashed"] += 1
            count_run_outcome(run, "CRASHED")
            connection = MetaConnection.objects(id=run.connection).only("id", "latest_runs").first()
            latest = connection is not None and (connection.latest_runs or {}).get(run.kind) == run.id
            if latest:
                enqueue(*redo(run))
                summary["requeued"] += 1
            log.warning(
                "run %s (%s) crashed; %s",
                run_id,
                run.kind,
                "enqueued again" if latest else "a newer run of its kind exists",
                extra={
                    "event": "run_crashed",
                    "run_id": run_id,
                    "kind": run.kind,
                    "tenant_id": run.tenant_id,
                    "ad_account_id": run.ad_account_id,
                },
            )
        forget(run_id)
    return summary
