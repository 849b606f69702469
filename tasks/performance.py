"""Performance tasks: one connection (`sync_performance`) and the scheduled fan-out (`sync_all_performance`)."""

from __future__ import annotations

import logging

from metasync import db
from metasync.celery import app
from metasync.connections import select_connections
from metasync.graph.client import default_client
from metasync.performance import parse_date_request, sync_all_performance_data, sync_scheduled_performance
from metasync.settings import get_settings
from tasks.base import MAX_TASK_RETRIES
from tasks.sync import run_locked_connection_job

log = logging.getLogger(__name__)

# Fan-out spreads its tasks over this share of the interval, so one round ends before the next begins.
SPREAD_SHARE = 0.8


@app.task(name="sync_performance", bind=True, acks_late=True, max_retries=MAX_TASK_RETRIES, ignore_result=False)
def sync_performance(self, connection_id: str, date_preset: str | None = None, since: str | None = None,
                     until: str | None = None) -> dict:
    """Sync one connection's daily insights (idempotent upserts). A preset or since/until pulls those days;
    neither applies the scheduled lookback policy. Invalid dates fail at once, without a retry."""
    if date_preset is None and since is None and until is None:
        def job(connection):
            return sync_scheduled_performance(connection, trigger="task")
    else:
        parse_date_request(date_preset, since, until)

        def job(connection):
            return sync_all_performance_data(connection, date_preset, since, until, trigger="task")

    return run_locked_connection_job(self, connection_id, "performance", job)


@app.task(name="sync_all_performance", acks_late=True, ignore_result=True)
def sync_all_performance() -> dict:
    """Enqueue one `sync_performance` per connection that may sync (not EXPIRED or DISABLED), spread over the
    schedule interval; accounts paused by rate limits wait for the next round."""
    db.connect()
    limiter = default_client().limiter
    connections = select_connections()
    ready = [c for c in connections if limiter.paused_for(c.ad_account_id) <= 0]
    spread = get_settings().performance_sync_interval_minutes * 60 * SPREAD_SHARE
    for index, connection in enumerate(ready):
        sync_performance.apply_async(args=[str(connection.id)], countdown=int(index * spread / len(ready)))
    skipped = len(connections) - len(ready)
    log.info("performance syncs enqueued: %d (%d accounts paused by rate limits)", len(ready), skipped,
             extra={"event": "performance_fanout", "enqueued": len(ready), "paused": skipped})
    return {"enqueued": len(ready), "paused": skipped}
