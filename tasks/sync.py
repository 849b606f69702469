"""Entity sync tasks: one connection (`sync_connection`)."""

from __future__ import annotations

import logging

from metasync.celery import app
from metasync.graph.errors import RateLimitedError
from metasync.infra.locks import LockBusy
from metasync.ops.connection_sync import sync_connection_data
from metasync.runs.guard import ConnectionInactive, guarded_job
from metasync.runs.lifecycle import SyncFailed
from metasync.runs.planned import adopting, close_unstarted
from tasks.base import MAX_TASK_RETRIES, load_connection, retry_countdown, worth_retrying

log = logging.getLogger(__name__)


def run_locked_connection_job(task, connection_id: str, lock_kind: str, job, run_id: str | None = None):
    """Shared task body: load, then run the job through the connection guard; retry what is retryable.

    `run_id`: the QUEUED run an enqueuer recorded for this task (metasync.runs.planned); the job's first run adopts
    it, and a task that ends without running closes it SKIPPED with the reason."""
    result = _run_locked(task, connection_id, lock_kind, job, run_id)
    if run_id and isinstance(result, dict) and result.get("skipped"):
        close_unstarted(run_id, f"skipped: {result['skipped']}")
    return result


def _run_locked(task, connection_id: str, lock_kind: str, job, run_id: str | None) -> dict:
    connection = load_connection(connection_id)
    if connection is None:
        log.warning(
            "connection %s not found; nothing to do",
            connection_id,
            extra={"event": "connection_missing", "connection_id": str(connection_id)[:64]},
        )
        return {"connection_id": connection_id, "skipped": "not_found"}
    try:
        # Owned by this task's id: redelivered after its worker died, it takes over its own dead attempt's lock.
        with guarded_job(connection, lock_kind, owner=f"task:{task.request.id}"), adopting(run_id):
            return job(connection)
    except ConnectionInactive as exc:
        log.info(
            "connection %s is %s; skipped",
            connection_id,
            exc.status,
            extra={
                "event": "connection_skipped",
                "tenant_id": connection.tenant_id,
                "ad_account_id": connection.ad_account_id,
                "status": exc.status,
            },
        )
        return {"connection_id": connection_id, "skipped": exc.status.lower()}
    except LockBusy:
        log.info(
            "%s of connection %s already running; skipped",
            lock_kind,
            connection_id,
            extra={
                "event": "sync_skipped_locked",
                "tenant_id": connection.tenant_id,
                "ad_account_id": connection.ad_account_id,
            },
        )
        return {"connection_id": connection_id, "skipped": "locked"}
    except SyncFailed as exc:
        # The connection is marked (EXPIRED / ERROR) with its reason; retrying cannot help.
        return {**exc.result, "connection_id": connection_id, "failed": exc.message}
    except Exception as exc:
        if not worth_retrying(exc) or task.request.retries >= MAX_TASK_RETRIES:
            raise
        wait = exc.retry_after if isinstance(exc, RateLimitedError) else 0.0
        countdown = retry_countdown(task.request.retries, at_least=wait)
        log.warning(
            "%s of connection %s will retry in %.0fs: %s",
            lock_kind,
            connection_id,
            countdown,
            exc.__class__.__name__,
            extra={"event": "task_retry", "tenant_id": connection.tenant_id, "ad_account_id": connection.ad_account_id},
        )
        raise task.retry(exc=exc, countdown=countdown, max_retries=MAX_TASK_RETRIES) from exc


@app.task(name="sync_connection", bind=True, acks_late=True, max_retries=MAX_TASK_RETRIES, ignore_result=False)
def sync_connection(
    self, connection_id: str, performance: bool = False, full: bool = False, run_id: str | None = None
) -> dict:
    """Sync one connection's campaigns, ad sets and ads (then its performance when asked). Idempotent."""
    return run_locked_connection_job(
        self,
        connection_id,
        "sync",
        lambda connection: sync_connection_data(connection, performance=performance, full=full, trigger="task"),
        run_id,
    )
