"""Report tasks: due reports pulled under their own lock, deferred (retried) while the syncs' share of the user's
rate budget is reached, without holding back the performance sync of the same user; the fan-out."""

from __future__ import annotations

from datetime import timedelta

import pytest

from metasync.connections.registry import upsert_connection
from metasync.infra.locks import connection_lock
from metasync.performance.dates import local_today
from metasync.reports.definitions import define_report
from metasync.reports.spec import ReportSpec
from metasync.store.reports import BreakdownRow, ReportPull
from tasks.performance import sync_performance
from tasks.reports import pull_all_due_reports, pull_due_reports, pull_report
from tests.graph_fakes import TZ, insight_row

pytestmark = pytest.mark.services


@pytest.fixture
def report_rows(insights):
    yesterday = local_today(TZ) - timedelta(days=1)
    for age in ("18-24", "25-34"):
        insights.add("campaign", [insight_row("campaign", ("1",), yesterday, age=age, spend="1.00")])
    define_report(ReportSpec("ages", level="campaign", breakdowns=("age",), schedule_minutes=60))
    return insights


def test_due_reports_are_pulled_once_per_schedule(connection, report_rows):
    first = pull_due_reports.apply(args=[str(connection.id)]).get()
    again = pull_due_reports.apply(args=[str(connection.id)]).get()

    assert first["reports"] == ["ages"] and again["reports"] == []
    assert BreakdownRow.objects(report="ages").count() == 2
    assert ReportPull.objects.get(id=ReportPull.key("ages", connection.id)).lookback_started_at is not None


def test_reports_hold_their_own_lock_not_the_performance_one(connection, report_rows):
    with connection_lock(str(connection.id), "performance"):
        assert pull_due_reports.apply(args=[str(connection.id)]).get()["reports"] == ["ages"]
    with connection_lock(str(connection.id), "reports"):
        assert pull_due_reports.apply(args=[str(connection.id)]).get()["skipped"] == "locked"


def test_reports_defer_below_the_syncs_reserve_while_the_performance_sync_goes_on(
    connection, report_rows, redis_client, task_retries
):
    retries = task_retries(pull_due_reports)
    seconds, micros = redis_client.time()
    # 20 of 180 tokens left: below the 30 % the reports leave to the syncs, enough for a sync.
    redis_client.hset("metasync:bucket:user:42", mapping={"tokens": 20, "ts": seconds + micros / 1e6})

    deferred = pull_due_reports.apply(args=[str(connection.id)])
    calls_after_reports = len(report_rows.gets) + len(report_rows.reports)
    synced = sync_performance.apply(args=[str(connection.id)], kwargs={"date_preset": "yesterday"}).get()

    assert deferred.state == "RETRY" and len(retries) == 1 and retries[0]["countdown"] >= 60
    assert calls_after_reports == 0 and BreakdownRow.objects.count() == 0
    assert synced["campaigns"] == 2 and not synced.get("failed")


def test_a_single_pull_task_takes_the_report_and_dates(connection, report_rows):
    result = pull_report.apply(args=[str(connection.id), "ages"], kwargs={"date_preset": "yesterday"}).get()

    assert result["rows"] == 2 and result["report"] == "ages"


def test_fan_out_enqueues_one_due_reports_task_per_active_connection(mongo, redis_client, monkeypatch):
    calls = []
    monkeypatch.setattr(pull_due_reports, "apply_async", lambda args, **kw: calls.append(args[0]))
    first, _ = upsert_connection("t1", "act_1", "EAAone")
    expired, _ = upsert_connection("t2", "act_2", "EAAtwo")
    expired.mark("EXPIRED", "token expired")

    assert pull_all_due_reports.apply().get()["enqueued"] == 1
    assert calls == [str(first.id)]
