"""Performance tasks: one connection (`sync_performance`) and the scheduled fan-out (`sync_all_performance`)."""

from __future__ import annotations

import logging

from metasync.celery import app
from metasync.ops.fanout import locked_fan_out
from metasync.performance import parse_date_request, sync_all_performance_data, sync_scheduled_performance
from metasync.settings import get_settings
from tasks.base import MAX_TASK_RETRIES
from tasks.sync import run_locked_connection_job

log = logging.getLogger(__name__)


@app.task(name="sync_performance", bind=True, acks_late=True, max_retries=MAX_TASK_RETRIES, ignore_result=False)
def sync_performance(
    self,
    connection_id: str,
    date_preset: str | None = None,
    since: str | None = None,
    until: str | None = None,
    run_id: str | None = None,
) -> dict:
    """Sync one connection's daily insights (idempotent upserts). A preset or since/until pulls those days;
    neither applies the scheduled lookback policy. Invalid dates fail at once, without a retry."""
    if date_preset is None and since is None and until is None:

        def job(connection):
            return sync_scheduled_performance(connection, trigger="task")
    else:
        parse_date_request(date_preset, since, until)

        def job(connection):
            return sync_all_performance_data(connection, date_preset, since, until, trigger="task")

    return run_locked_connection_job(self, connection_id, "performance", job, run_id)


@app.task(name="sync_all_performance", acks_late=True, ignore_result=False, max_retries=0)
def sync_all_performance() -> dict:
    """Enqueue one `sync_performance` per connection that may sync, spread over the schedule interval (see
    `metasync.ops.fanout`: EXPIRED, DISABLED and rate-limit-paused accounts wait for the next round)."""
    return locked_fan_out(sync_performance, get_settings().performance_sync_interval_minutes * 60)
