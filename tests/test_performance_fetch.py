"""Reading insights: large pages, synchronous reads or asynchronous reports by range and level, the fallbacks
when Meta refuses or a report fails, and bounded waiting."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

import pytest

from metasync.performance import fetch, sync_all_performance_data
from metasync.store.documents import PerformanceSnapshot, SyncRun
from tests.graph_fakes import GRAPH, FakeInsights, days_back, insight_row, query_of, rows_for

pytestmark = pytest.mark.services


def test_calls_grow_with_pages_not_with_objects(connection, graph, insights, today, monkeypatch):
    monkeypatch.setattr(fetch, "INSIGHTS_PAGE_SIZE", 50)  # Meta's pages hold 500 rows; 50 keeps the test quick
    insights.add("ad", [insight_row("ad", ("1", "11", str(5000 + i)), today - timedelta(days=1)) for i in range(120)])

    result = sync_all_performance_data(connection, "yesterday")

    assert result["ads"] == 120
    # account details, account-level page, campaign page, ad-set page, three ad pages
    assert result["api_calls"] == 1 + 1 + 1 + 1 + 3
    assert PerformanceSnapshot.objects(entity_type="AD").count() == 120


def test_insights_pages_are_larger_than_entity_pages(connection, graph, insights):
    sync_all_performance_data(connection, "yesterday")

    assert {query_of(call.request)["limit"] for call in graph.calls[1:]} == {"500"}


def test_follows_next_past_a_short_page(connection, graph, today):
    day = str(today - timedelta(days=1))
    FakeInsights(graph)
    graph.replace("GET", f"{GRAPH}/act_123/insights", json={"data": []})  # the account level
    graph.add(
        "GET",
        f"{GRAPH}/act_123/insights",
        json={
            "data": [insight_row("campaign", ("1",), day)],
            "paging": {"next": f"{GRAPH}/act_123/insights?after=c1&access_token=EAAleak"},
        },
    )
    graph.add("GET", f"{GRAPH}/act_123/insights", json={"data": [insight_row("campaign", ("2",), day)]})
    graph.add("GET", f"{GRAPH}/act_123/insights", json={"data": []})
    graph.add("GET", f"{GRAPH}/act_123/insights", json={"data": []})

    result = sync_all_performance_data(connection, "yesterday")

    assert result["campaigns"] == 2
    assert sorted(PerformanceSnapshot.objects.values_list("entity_id")) == ["1", "2"]
    follow_up = graph.calls[3].request.url
    assert "after=c1" in follow_up and "EAAleak" not in follow_up


def test_long_range_runs_as_async_report_until_completed(connection, insights):
    insights.add("ad", rows_for("ad", ("1", "11", "111"), [date(2026, 1, 1) + timedelta(days=n) for n in range(40)]))
    insights.report_script = lambda query: [("Job Not Started", 0), ("Job Running", 45), ("Job Completed", 100)]

    result = sync_all_performance_data(connection, since="2026-01-01", until="2026-02-09")

    assert result["ads"] == 40
    assert insights.gets == []  # 40 days is past every level's synchronous limit
    levels = ("account", "campaign", "adset", "ad")
    assert insights.posted_ranges == [(level, "2026-01-01", "2026-02-09") for level in levels]
    assert insights.polls == 12
    # account details, then per level: start, three polls, one page of results
    assert result["api_calls"] == 1 + 4 * (1 + 3 + 1)


def test_ad_level_goes_async_sooner_than_campaigns(connection, insights):
    result = sync_all_performance_data(connection, since="2026-01-01", until="2026-01-10")

    assert [q["level"] for q in insights.gets] == ["account", "campaign", "adset"]
    assert insights.posted_ranges == [("ad", "2026-01-01", "2026-01-10")]
    assert result["api_calls"] == 1 + 3 + 3


def test_too_much_data_falls_back_to_an_async_report(connection, insights, today):
    day = today - timedelta(days=1)
    insights.add("ad", rows_for("ad", ("1", "11", "111"), [day]))
    insights.too_much_data_levels = {"ad"}

    result = sync_all_performance_data(connection, "yesterday")

    assert result["ads"] == 1
    assert insights.posted_ranges == [("ad", str(day), str(day))]
    assert result["api_calls"] == 1 + 3 + 1 + 3  # account, 3 sync levels, refused ad query, start/poll/page


def test_rows_read_before_the_fallback_are_counted_once(connection, insights, today, monkeypatch):
    monkeypatch.setattr(fetch, "INSIGHTS_PAGE_SIZE", 1)
    insights.add(
        "ad",
        rows_for("ad", ("1", "11", "111"), days_back(today, 1))
        + rows_for("ad", ("1", "11", "112"), days_back(today, 1)),
    )
    insights.too_much_data_levels, insights.too_much_data_after_first_page = {"ad"}, True

    result = sync_all_performance_data(connection, "yesterday")

    assert len(insights.reports) == 1
    assert result["ads"] == 2 and PerformanceSnapshot.objects(entity_type="AD").count() == 2


def test_failed_report_is_retried_then_split_by_date(connection, insights):
    days = [date(2026, 1, 1) + timedelta(days=n) for n in range(10)]
    insights.add("ad", rows_for("ad", ("1", "11", "111"), days))
    insights.report_script = lambda q: (
        [("Job Running", 30), ("Job Failed", 30)]
        if q["since"] == "2026-01-01" and q["until"] == "2026-01-10"
        else [("Job Completed", 100)]
    )

    result = sync_all_performance_data(connection, since="2026-01-01", until="2026-01-10")

    assert insights.posted_ranges == [
        ("ad", "2026-01-01", "2026-01-10"),
        ("ad", "2026-01-01", "2026-01-10"),
        ("ad", "2026-01-01", "2026-01-05"),
        ("ad", "2026-01-06", "2026-01-10"),
    ]
    assert result["ads"] == 10 and result["errors"] == 0
    assert PerformanceSnapshot.objects(entity_type="AD").count() == 10


def test_failed_single_day_report_is_split_by_campaign(connection, insights, today):
    day = today - timedelta(days=1)
    for cid in ("1", "2", "3"):
        insights.add("ad", rows_for("ad", (cid, f"{cid}1", f"{cid}11"), [day]))
    insights.too_much_data_levels = {"ad"}
    insights.report_script = lambda q: [("Job Skipped", 0)] if q["campaigns"] is None else [("Job Completed", 100)]

    result = sync_all_performance_data(connection, "yesterday")

    assert [q["campaigns"] for q in insights.reports] == [None, None, ["1", "2"], ["3"]]
    assert result["ads"] == 3 and result["errors"] == 0


def test_a_slice_that_never_succeeds_is_recorded_and_the_rest_is_kept(connection, insights, today):
    day = today - timedelta(days=1)
    insights.add("campaign", rows_for("campaign", ("1",), [day]))
    insights.add("ad", rows_for("ad", ("1", "11", "111"), [day]))
    insights.too_much_data_levels = {"ad"}
    insights.report_script = lambda q: [("Job Failed", 0)]

    result = sync_all_performance_data(connection, "yesterday")

    assert [q["campaigns"] for q in insights.reports] == [None, None, ["1"], ["1"]]
    assert (result["campaigns"], result["ads"], result["errors"]) == (1, 0, 1)
    run = SyncRun.objects.get(kind="PERFORMANCE")
    assert run.status == "PARTIAL" and "campaign 1" in run.errors[0]


def test_stalled_report_is_started_again(connection, insights, monkeypatch):
    clock = itertools.count()  # every look at the clock is one second later
    monkeypatch.setattr(
        fetch,
        "REPORT_POLICY",
        fetch.ReportPolicy(poll_seconds=1, stall_seconds=5, clock=lambda: next(clock), sleep=lambda _s: None),
    )
    insights.report_script = lambda q: [("Job Running", 10)] if len(insights.reports) == 1 else [("Job Completed", 100)]

    result = sync_all_performance_data(connection, since="2026-01-01", until="2026-01-10")

    assert insights.posted_ranges == [("ad", "2026-01-01", "2026-01-10")] * 2
    assert result["errors"] == 0


def test_report_waiting_is_bounded_in_total(connection, insights, monkeypatch):
    clock = itertools.count(step=100)
    monkeypatch.setattr(
        fetch,
        "REPORT_POLICY",
        fetch.ReportPolicy(poll_seconds=1, total_max_seconds=1000, clock=lambda: next(clock), sleep=lambda _s: None),
    )
    insights.report_script = lambda q: [
        ("Job Running", 1),
        ("Job Running", 2),
        ("Job Running", 3),
        ("Job Running", 4),
        ("Job Running", 5),
        ("Job Running", 6),
        ("Job Running", 7),
        ("Job Running", 8),
        ("Job Running", 9),
    ]

    with pytest.raises(fetch.ReportBudgetExceeded):
        sync_all_performance_data(connection, since="2026-01-01", until="2026-01-10")

    assert SyncRun.objects.get(kind="PERFORMANCE").status == "FAILED"
