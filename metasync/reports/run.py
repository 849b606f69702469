"""One pull of one report for one connection: the shared insights run (lifecycle, fetcher, batch writer) with the
report's query, its own lookback, and a Graph client that leaves the syncs their share of the rate budget."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from metasync.graph.client import GraphClient, default_client
from metasync.infra.clock import utcnow
from metasync.performance.run import InsightsJob, lookback_due_since, run_for_dates, run_insights_job, scheduled_window
from metasync.reports.rows import BreakdownWriter
from metasync.reports.spec import ReportSpec
from metasync.settings import get_settings
from metasync.store.documents import MetaConnection
from metasync.store.reports import ReportPull

KIND = "REPORT"


def report_client(client: GraphClient | None = None) -> GraphClient:
    """Reports take rate-limit tokens only above the syncs' reserve (REPORTS_RATE_RESERVE_SHARE)."""
    if client is not None:
        return client
    return default_client().scoped(reserve_share=get_settings().reports_rate_reserve_share)


def _job(spec: ReportSpec, scheduled: bool) -> InsightsJob:
    def record_done(connection: MetaConnection, lookback_started_at: datetime | None) -> None:
        if not scheduled:
            return
        changes: dict[str, Any] = {"set__report": spec.name, "set__last_pulled_at": utcnow()}
        if lookback_started_at:
            changes["set__lookback_started_at"] = lookback_started_at
        ReportPull.objects(id=ReportPull.key(spec.name, connection.id)).update_one(upsert=True, **changes)

    return InsightsJob(KIND, (spec.insights_level(),), BreakdownWriter, record_done)


def pull_report(
    connection: MetaConnection,
    spec: ReportSpec,
    date_preset: str | None = "last_7d",
    since: str | date | None = None,
    until: str | date | None = None,
    **options: Any,
) -> dict[str, Any]:
    """Pull `spec` now for a preset (default last_7d) or since/until; `options`: client, trigger ("manual"),
    progress. Returns the shared run result with `rows` and `report`."""
    client = report_client(options.get("client"))
    trigger, progress = options.get("trigger", "manual"), options.get("progress")
    job = _job(spec, scheduled=False)
    result = run_for_dates(connection, job, date_preset, since, until, client, trigger, progress, {"report": spec.name})
    return {**result, "report": spec.name}


def pull_scheduled_report(
    connection: MetaConnection, spec: ReportSpec, client: GraphClient | None = None, trigger: str = "task"
) -> dict[str, Any]:
    """The scheduled pull, with the daily snapshots' lookback policy applied to this report: the last 3 days each
    time, the report's whole lookback window (its own, else PERFORMANCE_LOOKBACK_DAYS) once per account-local day."""
    pulled = ReportPull.objects(id=ReportPull.key(spec.name, connection.id)).first()
    done_at = pulled.lookback_started_at if pulled else None
    days = spec.lookback_days or get_settings().performance_lookback_days

    def choose(conn: MetaConnection, today: date):
        return scheduled_window(conn, today, lookback_due_since(done_at, today, conn.timezone_name), days)

    result = run_insights_job(
        connection, _job(spec, scheduled=True), choose, report_client(client), trigger, None, {"report": spec.name}
    )
    return {**result, "report": spec.name}


def pull_due_reports(connection: MetaConnection, client: GraphClient | None = None, trigger: str = "task") -> dict:
    """Pull every report due for `connection`, one after the other; the first failure (a rate-limit deferral, an
    outage) stops the round and propagates, and the reports already pulled are not pulled again on the retry."""
    from metasync.reports.definitions import due_reports

    results = [pull_scheduled_report(connection, spec, client, trigger) for spec in due_reports(connection)]
    return {"connection_id": str(connection.id), "reports": [r["report"] for r in results], "results": results}
