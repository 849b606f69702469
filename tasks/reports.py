"""Report tasks: one report now (`pull_report`), one connection's due reports (`pull_due_reports`) and the
scheduled fan-out (`pull_all_due_reports`)."""

from __future__ import annotations

from metasync.celery import app
from metasync.ops.fanout import locked_fan_out
from metasync.performance import parse_date_request
from metasync.reports.definitions import find_report
from metasync.reports.run import pull_due_reports as pull_connection_due_reports
from metasync.reports.run import pull_report as pull_report_now
from metasync.settings import get_settings
from tasks.base import MAX_TASK_RETRIES
from tasks.sync import run_locked_connection_job

# Reports hold their own lock: a long breakdown pull never blocks the connection's entity or performance sync.
LOCK_KIND = "reports"


@app.task(name="pull_report", bind=True, acks_late=True, max_retries=MAX_TASK_RETRIES, ignore_result=False)
def pull_report(
    self,
    connection_id: str,
    report: str,
    date_preset: str | None = "last_7d",
    since: str | None = None,
    until: str | None = None,
    run_id: str | None = None,
) -> dict:
    """Pull one report for one connection (idempotent upserts); invalid dates or names fail at once."""
    parse_date_request(date_preset, since, until)
    spec = find_report(report)
    return run_locked_connection_job(
        self,
        connection_id,
        LOCK_KIND,
        lambda connection: pull_report_now(connection, spec, date_preset, since, until, trigger="task"),
        run_id,
    )


@app.task(name="pull_due_reports", bind=True, acks_late=True, max_retries=MAX_TASK_RETRIES, ignore_result=False)
def pull_due_reports(self, connection_id: str) -> dict:
    """Pull the connection's due reports; a rate-limit deferral (the syncs' reserve reached) retries minutes later."""
    return run_locked_connection_job(self, connection_id, LOCK_KIND, pull_connection_due_reports)


@app.task(name="pull_all_due_reports", acks_late=True, ignore_result=False, max_retries=0)
def pull_all_due_reports() -> dict:
    """Enqueue one `pull_due_reports` per connection that may sync, spread over the check interval."""
    return locked_fan_out(pull_due_reports, get_settings().reports_check_interval_minutes * 60)
