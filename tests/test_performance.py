"""Performance sync end to end: insights scripted with `responses`, snapshots in the real MongoDB-compatible server."""

from __future__ import annotations

import itertools
import json
import re
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlencode

import pytest
import responses

from metasync.connections.registry import upsert_connection
from metasync.graph.errors import TransientError
from metasync.ops.connection_sync import sync_connection_data
from metasync.performance import InvalidDateRange, fetch, sync_all_performance_data, sync_scheduled_performance
from metasync.performance.dates import local_today
from metasync.runs.lifecycle import SyncFailed
from metasync.settings import reset_settings_cache
from metasync.store.documents import Campaign, MetaConnection, PerformanceSnapshot, SyncRun
from tests.graph_fakes import GRAPH, FakeAccount, campaign, error_body, query_of

TZ = "America/Los_Angeles"
TOKEN = "EAAtoken-perf"
ID_KEYS = {"campaign": ("campaign_id",), "adset": ("campaign_id", "adset_id"),
           "ad": ("campaign_id", "adset_id", "ad_id")}
TOO_MUCH_DATA = error_body(100, "Please reduce the amount of data you're asking for", 1487534)


def insight_row(level: str, ids: tuple[str, ...], day: date | str, **metrics: Any) -> dict[str, Any]:
    """A row as Meta sends it: every metric a string, ids for the level and its parents."""
    row: dict[str, Any] = dict(zip(ID_KEYS[level], ids))
    row[f"{level}_name"] = f"{level} {ids[-1]}"
    row.update(account_id="123", date_start=str(day), date_stop=str(day), impressions="1000", clicks="10",
               spend="12.34", reach="800")
    row.update(metrics)
    return row


def rows_for(level: str, ids: tuple[str, ...], days: list[date], **metrics: Any) -> list[dict[str, Any]]:
    return [insight_row(level, ids, day, **metrics) for day in days]


class FakeInsights:
    """`act_<id>/insights` through `responses`: GET pages (limit/after, time_range, campaign.id filter), POST starts a
    report run whose statuses follow `report_script(query)`, report results page like the edge."""

    def __init__(self, rsps: responses.RequestsMock, account: str = "act_123", currency: str = "USD",
                 timezone_name: str = TZ, serve_account: bool = True):
        self.account = account
        self.currency = currency
        self.timezone_name = timezone_name
        self.rows: dict[str, list[dict[str, Any]]] = {"campaign": [], "adset": [], "ad": []}
        self.gets: list[dict[str, Any]] = []  # queries of synchronous daily GETs
        self.reports: list[dict[str, Any]] = []  # queries of POSTed report runs
        self.polls = 0
        self.too_much_data_levels: set[str] = set()  # daily GETs of these levels are refused as too much data
        self.too_much_data_after_first_page = False  # ... only their follow-up pages
        self.failing_posts = 0  # POSTs answered 503 before the next one starts a report
        self.report_script = lambda query: [("Job Completed", 100)]
        self._statuses: dict[str, list[tuple[str, int]]] = {}
        if serve_account:
            rsps.add_callback("GET", f"{GRAPH}/{account}", callback=self._account)
        rsps.add_callback("GET", f"{GRAPH}/{account}/insights", callback=self._get)
        rsps.add_callback("POST", f"{GRAPH}/{account}/insights", callback=self._post)
        rsps.add_callback("GET", re.compile(rf"{re.escape(GRAPH)}/7\d+/insights"), callback=self._report_rows)
        rsps.add_callback("GET", re.compile(rf"{re.escape(GRAPH)}/7\d+\?"), callback=self._status)

    # --- helpers for tests ---
    def add(self, level: str, rows: list[dict[str, Any]]) -> None:
        self.rows[level].extend(rows)

    @property
    def posted_ranges(self) -> list[tuple[str, str, str]]:
        return [(q["level"], q["since"], q["until"]) for q in self.reports]

    # --- the Graph API ---
    def _account(self, request):
        return 200, {}, json.dumps({"id": self.account, "currency": self.currency,
                                    "timezone_name": self.timezone_name, "name": "Test account"})

    def _query(self, params: dict[str, str]) -> dict[str, Any]:
        time_range = json.loads(params["time_range"])
        campaigns = None
        for rule in json.loads(params.get("filtering", "[]")):
            if rule["field"] == "campaign.id":
                campaigns = [str(v) for v in rule["value"]]
        return {"level": params["level"], "since": time_range["since"], "until": time_range["until"],
                "campaigns": campaigns, "daily": params.get("time_increment") == "1", "fields": params["fields"]}

    def _matching(self, query: dict[str, Any]) -> list[dict[str, Any]]:
        def in_query(row):
            return query["since"] <= row["date_start"] <= query["until"] and (
                query["campaigns"] is None or row.get("campaign_id") in query["campaigns"])

        if not query["daily"]:  # no time_increment: one row per campaign that delivered in the range
            delivered = {r["campaign_id"] for rows in self.rows.values() for r in rows if in_query(r)}
            return [{"campaign_id": cid} for cid in sorted(delivered)]
        return [r for r in self.rows[query["level"]] if in_query(r)]

    def _page(self, path: str, params: dict[str, str], rows: list[dict[str, Any]]):
        limit = int(params.get("limit", 25))
        start = int(params.get("after", "0") or 0)
        body: dict[str, Any] = {"data": rows[start:start + limit], "paging": {"cursors": {"after": str(start + limit)}}}
        if start + limit < len(rows):
            following = dict(params, after=str(start + limit), access_token="EAAsecret-in-next-url")
            body["paging"]["next"] = f"{GRAPH}/{path}?{urlencode(following)}"
        return 200, {}, json.dumps(body)

    def _get(self, request):
        params = query_of(request)
        query = self._query(params)
        if query["daily"]:
            self.gets.append(query)
            if query["level"] in self.too_much_data_levels and ("after" in params or not
                                                                self.too_much_data_after_first_page):
                return 400, {}, json.dumps(TOO_MUCH_DATA)
        return self._page(f"{self.account}/insights", params, self._matching(query))

    def _post(self, request):
        if self.failing_posts:
            self.failing_posts -= 1
            return 503, {}, json.dumps(error_body(2, "Service unavailable"))
        params = {k: v[0] for k, v in parse_qs(request.body).items()}
        assert "access_token" in params and "access_token" not in query_of(request)
        query = self._query(params)
        report_id = f"7{len(self.reports) + 1:06d}"
        self.reports.append({**query, "id": report_id})
        self._statuses[report_id] = list(self.report_script(query))
        return 200, {}, json.dumps({"report_run_id": report_id})

    def _status(self, request):
        self.polls += 1
        report_id = request.url.split("?")[0].rsplit("/", 1)[1]
        script = self._statuses[report_id]
        state, percent = script.pop(0) if len(script) > 1 else script[0]
        return 200, {}, json.dumps({"id": report_id, "async_status": state, "async_percent_completion": percent})

    def _report_rows(self, request):
        report_id = request.url.split("?")[0].rsplit("/", 2)[1]
        query = next(r for r in self.reports if r["id"] == report_id)
        return self._page(f"{report_id}/insights", query_of(request), self._matching(query))


@pytest.fixture(autouse=True)
def fast(monkeypatch):
    monkeypatch.setattr(fetch, "REPORT_POLICY", fetch.ReportPolicy(poll_seconds=0))


@pytest.fixture
def connection(mongo, redis_client):
    conn, _ = upsert_connection("tenant-a", "act_123", TOKEN, user_id="42")
    return conn


@pytest.fixture
def insights(graph):
    return FakeInsights(graph)


@pytest.fixture
def today():
    return local_today(TZ)


def days_back(today: date, *offsets: int) -> list[date]:
    return [today - timedelta(days=n) for n in offsets]


def stored(entity_type: str, entity_id: str, day: date) -> PerformanceSnapshot:
    return PerformanceSnapshot.objects.get(entity_type=entity_type, entity_id=entity_id, date=day.isoformat())


def populate(insights: FakeInsights, days: list[date]) -> None:
    """Two campaigns, one ad set each, two ads in the first ad set: rows on every given day."""
    insights.add("campaign", rows_for("campaign", ("1",), days) + rows_for("campaign", ("2",), days))
    insights.add("adset", rows_for("adset", ("1", "11"), days) + rows_for("adset", ("2", "21"), days))
    insights.add("ad", rows_for("ad", ("1", "11", "111"), days) + rows_for("ad", ("1", "11", "112"), days))


# --- synchronous reads ----------------------------------------------------------------------------------------
def test_writes_one_snapshot_per_object_and_day_for_every_level(connection, insights, today):
    populate(insights, days_back(today, 1, 2))

    result = sync_all_performance_data(connection, "last_7d")

    assert (result["campaigns"], result["ad_sets"], result["ads"]) == (4, 4, 4)
    assert result["api_calls"] == 4  # account details, then one page per level
    last_7d = (str(today - timedelta(days=7)), str(today - timedelta(days=1)))
    assert [(q["level"], q["since"], q["until"]) for q in insights.gets] == [
        (level, *last_7d) for level in ("campaign", "adset", "ad")]
    snap = stored("AD", "112", today - timedelta(days=1))
    assert (snap.tenant_id, snap.connection, snap.ad_account_id) == ("tenant-a", connection.id, "act_123")
    assert (snap.campaign_id, snap.ad_set_id, snap.name) == ("1", "11", "ad 112")
    assert (snap.impressions, snap.clicks, snap.reach, snap.spend) == (1000, 10, 800, 1234)
    assert (snap.currency, snap.currency_exponent, snap.timezone_name) == ("USD", 2, TZ)
    assert snap.fetched_at is not None
    assert stored("ADSET", "21", today - timedelta(days=2)).campaign_id == "2"


def test_calls_grow_with_pages_not_with_objects(connection, graph, insights, today, monkeypatch):
    monkeypatch.setattr(fetch, "INSIGHTS_PAGE_SIZE", 50)  # Meta's pages hold 500 rows; 50 keeps the test quick
    insights.add("ad", [insight_row("ad", ("1", "11", str(5000 + i)), today - timedelta(days=1)) for i in range(120)])

    result = sync_all_performance_data(connection, "yesterday")

    assert result["ads"] == 120
    assert result["api_calls"] == 1 + 1 + 1 + 3  # account, campaign page, ad-set page, three ad pages
    assert PerformanceSnapshot.objects(entity_type="AD").count() == 120


def test_insights_pages_are_larger_than_entity_pages(connection, graph, insights):
    sync_all_performance_data(connection, "yesterday")

    assert {query_of(call.request)["limit"] for call in graph.calls[1:]} == {"500"}


def test_follows_next_past_a_short_page(connection, graph, today):
    day = str(today - timedelta(days=1))
    FakeInsights(graph)
    graph.replace("GET", f"{GRAPH}/act_123/insights", json={
        "data": [insight_row("campaign", ("1",), day)],
        "paging": {"next": f"{GRAPH}/act_123/insights?after=c1&access_token=EAAleak"}})
    graph.add("GET", f"{GRAPH}/act_123/insights", json={"data": [insight_row("campaign", ("2",), day)]})
    graph.add("GET", f"{GRAPH}/act_123/insights", json={"data": []})
    graph.add("GET", f"{GRAPH}/act_123/insights", json={"data": []})

    result = sync_all_performance_data(connection, "yesterday")

    assert result["campaigns"] == 2
    assert sorted(PerformanceSnapshot.objects.values_list("entity_id")) == ["1", "2"]
    follow_up = graph.calls[2].request.url
    assert "after=c1" in follow_up and "EAAleak" not in follow_up


def test_repull_overwrites_the_day_and_never_duplicates(connection, insights, today):
    day = today - timedelta(days=1)
    insights.add("campaign", [insight_row("campaign", ("1",), day, spend="10.00",
                                          actions=[{"action_type": "omni_purchase", "value": "1"}])])
    sync_all_performance_data(connection, "yesterday")
    first = stored("CAMPAIGN", "1", day)

    # Attribution moved: a later purchase is credited to the same day.
    insights.rows["campaign"][0].update(spend="10.50", actions=[{"action_type": "omni_purchase", "value": "2"}])
    sync_all_performance_data(connection, "yesterday")

    assert PerformanceSnapshot.objects.count() == 1
    again = stored("CAMPAIGN", "1", day)
    assert (again.spend, again.purchases) == (1050, 2)
    assert again.first_fetched_at == first.first_fetched_at
    assert again.fetched_at >= first.fetched_at


def test_rows_for_objects_not_in_mongodb_are_stored(connection, insights, today):
    insights.add("ad", [insight_row("ad", ("9", "99", "999"), today - timedelta(days=1))])

    result = sync_all_performance_data(connection, "yesterday")

    assert Campaign.objects.count() == 0
    assert result["ads"] == 1
    assert stored("AD", "999", today - timedelta(days=1)).campaign_id == "9"


def test_spend_and_revenue_are_exact_to_the_cent(connection, insights, today):
    day = today - timedelta(days=1)
    # 0.10 + 0.20 + 0.70 is 1.0000000000000002 in floats; stored cents add up exactly.
    insights.add("ad", [insight_row("ad", ("1", "11", str(100 + i)), day, spend=spend,
                                    actions=[{"action_type": "purchase", "value": "1"}],
                                    action_values=[{"action_type": "purchase", "value": value}])
                        for i, (spend, value) in enumerate([("0.10", "19.99"), ("0.20", "0.01"), ("0.70", "80.00")])])

    sync_all_performance_data(connection, "yesterday")

    snaps = list(PerformanceSnapshot.objects(entity_type="AD"))
    assert sum(s.spend for s in snaps) == 100
    assert sum(s.revenue for s in snaps) == 10000
    assert sum((s.spend_amount for s in snaps), Decimal(0)) == Decimal("1.00")
    assert stored("AD", "100", day).revenue_amount == Decimal("19.99")


def test_zero_decimal_currency_is_stored_in_whole_units(connection, graph, today):
    fake = FakeInsights(graph, currency="JPY", timezone_name="Asia/Tokyo")
    day = local_today("Asia/Tokyo") - timedelta(days=1)
    fake.add("campaign", [insight_row("campaign", ("1",), day, spend="1234", account_currency="JPY",
                                      actions=[{"action_type": "omni_purchase", "value": "3"}],
                                      action_values=[{"action_type": "omni_purchase", "value": "45000"}])])

    sync_all_performance_data(connection, "yesterday")

    snap = stored("CAMPAIGN", "1", day)
    assert (snap.currency, snap.currency_exponent, snap.spend, snap.revenue) == ("JPY", 0, 1234, 45000)
    assert snap.spend_amount == Decimal("1234") and snap.timezone_name == "Asia/Tokyo"
    assert snap.cpc == pytest.approx(123.4)


@pytest.mark.parametrize("kwargs", [
    {"date_preset": "last_8d"},
    {"date_preset": "LAST WEEK"},
    {"date_preset": None},
    {"since": "2026-02-10", "until": "2026-02-01"},
    {"since": "2026-02-30", "until": "2026-03-01"},
    {"since": "yesterday", "until": "today"},
    {"since": "2026-02-01"},
    {"until": "2026-02-01"},
    {"since": "2019-01-01", "until": "2019-01-31"},
    {"since": "2099-01-01", "until": "2099-01-02"},
])
def test_invalid_presets_and_ranges_are_rejected_before_any_call(connection, graph, kwargs):
    with pytest.raises(InvalidDateRange):
        sync_all_performance_data(connection, **{"date_preset": "last_7d", **kwargs})

    assert len(graph.calls) == 0
    assert SyncRun.objects.count() == 0


def test_explicit_range_wins_over_the_preset(connection, insights):
    result = sync_all_performance_data(connection, "last_30d", since="2026-01-01", until="2026-01-07")

    assert (result["since"], result["until"]) == ("2026-01-01", "2026-01-07")
    assert {(q["since"], q["until"]) for q in insights.gets} == {("2026-01-01", "2026-01-07")}


def test_sync_run_records_the_performance_sync(connection, insights, today):
    populate(insights, days_back(today, 1))
    insights.add("ad", [{"ad_id": "not-an-id", "date_start": str(today - timedelta(days=1))}])

    result = sync_all_performance_data(connection, "yesterday", trigger="cli")

    run = SyncRun.objects.get(connection=connection.id, kind="PERFORMANCE")
    assert (run.status, run.trigger, run.api_calls, run.error_count) == ("PARTIAL", "cli", 4, 1)
    assert run.counts == {"campaigns": 2, "ad_sets": 2, "ads": 2, "since": result["since"], "until": result["until"]}
    assert "not-an-id" in run.errors[0]
    assert MetaConnection.objects.get(id=connection.id).last_performance_synced_at is not None


def test_rejected_token_marks_the_connection_and_fails_the_run(connection, graph):
    graph.add("GET", f"{GRAPH}/act_123", json=error_body(190, "Error validating access token", 463), status=400)

    with pytest.raises(SyncFailed) as failure:
        sync_all_performance_data(connection, "yesterday")

    assert "re-authenticate" in failure.value.message and TOKEN not in str(failure.value)
    assert MetaConnection.objects.get(id=connection.id).status == "EXPIRED"
    assert SyncRun.objects.get(kind="PERFORMANCE").status == "FAILED"


# --- asynchronous reports -------------------------------------------------------------------------------------
def test_long_range_runs_as_async_report_until_completed(connection, insights):
    insights.add("ad", rows_for("ad", ("1", "11", "111"), [date(2026, 1, 1) + timedelta(days=n) for n in range(40)]))
    insights.report_script = lambda query: [("Job Not Started", 0), ("Job Running", 45), ("Job Completed", 100)]

    result = sync_all_performance_data(connection, since="2026-01-01", until="2026-02-09")

    assert result["ads"] == 40
    assert insights.gets == []  # 40 days is past every level's synchronous limit
    assert insights.posted_ranges == [(level, "2026-01-01", "2026-02-09") for level in ("campaign", "adset", "ad")]
    assert insights.polls == 9
    # account, then per level: start, three polls, one page of results
    assert result["api_calls"] == 1 + 3 * (1 + 3 + 1)


def test_ad_level_goes_async_sooner_than_campaigns(connection, insights):
    result = sync_all_performance_data(connection, since="2026-01-01", until="2026-01-10")

    assert [q["level"] for q in insights.gets] == ["campaign", "adset"]
    assert insights.posted_ranges == [("ad", "2026-01-01", "2026-01-10")]
    assert result["api_calls"] == 1 + 2 + 3


def test_too_much_data_falls_back_to_an_async_report(connection, insights, today):
    day = today - timedelta(days=1)
    insights.add("ad", rows_for("ad", ("1", "11", "111"), [day]))
    insights.too_much_data_levels = {"ad"}

    result = sync_all_performance_data(connection, "yesterday")

    assert result["ads"] == 1
    assert insights.posted_ranges == [("ad", str(day), str(day))]
    assert result["api_calls"] == 1 + 2 + 1 + 3  # account, 2 sync levels, refused ad query, start/poll/page


def test_rows_read_before_the_fallback_are_counted_once(connection, insights, today, monkeypatch):
    monkeypatch.setattr(fetch, "INSIGHTS_PAGE_SIZE", 1)
    insights.add("ad", rows_for("ad", ("1", "11", "111"), days_back(today, 1)) +
                 rows_for("ad", ("1", "11", "112"), days_back(today, 1)))
    insights.too_much_data_levels, insights.too_much_data_after_first_page = {"ad"}, True

    result = sync_all_performance_data(connection, "yesterday")

    assert len(insights.reports) == 1
    assert result["ads"] == 2 and PerformanceSnapshot.objects(entity_type="AD").count() == 2


def test_failed_report_is_retried_then_split_by_date(connection, insights):
    days = [date(2026, 1, 1) + timedelta(days=n) for n in range(10)]
    insights.add("ad", rows_for("ad", ("1", "11", "111"), days))
    insights.report_script = lambda q: [("Job Running", 30), ("Job Failed", 30)] if q["since"] == "2026-01-01" \
        and q["until"] == "2026-01-10" else [("Job Completed", 100)]

    result = sync_all_performance_data(connection, since="2026-01-01", until="2026-01-10")

    assert insights.posted_ranges == [("ad", "2026-01-01", "2026-01-10"), ("ad", "2026-01-01", "2026-01-10"),
                                      ("ad", "2026-01-01", "2026-01-05"), ("ad", "2026-01-06", "2026-01-10")]
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
    monkeypatch.setattr(fetch, "REPORT_POLICY", fetch.ReportPolicy(
        poll_seconds=1, stall_seconds=5, clock=lambda: next(clock), sleep=lambda _s: None))
    insights.report_script = lambda q: [("Job Running", 10)] if len(insights.reports) == 1 \
        else [("Job Completed", 100)]

    result = sync_all_performance_data(connection, since="2026-01-01", until="2026-01-10")

    assert insights.posted_ranges == [("ad", "2026-01-01", "2026-01-10")] * 2
    assert result["errors"] == 0


def test_report_waiting_is_bounded_in_total(connection, insights, monkeypatch):
    clock = itertools.count(step=100)
    monkeypatch.setattr(fetch, "REPORT_POLICY", fetch.ReportPolicy(
        poll_seconds=1, total_max_seconds=1000, clock=lambda: next(clock), sleep=lambda _s: None))
    insights.report_script = lambda q: [("Job Running", 1), ("Job Running", 2), ("Job Running", 3),
                                        ("Job Running", 4), ("Job Running", 5), ("Job Running", 6),
                                        ("Job Running", 7), ("Job Running", 8), ("Job Running", 9)]

    with pytest.raises(fetch.ReportBudgetExceeded):
        sync_all_performance_data(connection, since="2026-01-01", until="2026-01-10")

    assert SyncRun.objects.get(kind="PERFORMANCE").status == "FAILED"


# --- the scheduled lookback policy ----------------------------------------------------------------------------
def requested_days(insights: FakeInsights) -> set[tuple[str, str]]:
    return {(q["since"], q["until"]) for q in insights.gets + insights.reports}


def test_scheduled_sync_pulls_the_full_window_once_a_day_and_recent_days_hourly(connection, insights, today):
    populate(insights, days_back(today, 0, 1, 5, 27))

    first = sync_scheduled_performance(connection)
    assert first["lookback"] is True
    assert requested_days(insights) == {(str(today - timedelta(days=28)), str(today))}
    assert first["campaigns"] == 8

    insights.gets.clear()
    insights.reports.clear()
    connection.reload()  # what was done today is read from the database, so it survives a restart
    second = sync_scheduled_performance(connection)  # an hour later, the same account-local day
    assert second["lookback"] is False
    assert requested_days(insights) == {(str(today - timedelta(days=2)), str(today))}
    assert insights.reports == []  # three days stay synchronous at every level
    assert second["campaigns"] == 4 and second["api_calls"] == 3

    # The next account-local day: the full window is due again.
    connection.update(set__performance_lookback_started_at=connection.performance_lookback_started_at
                      - timedelta(days=1))
    connection.reload()
    insights.gets.clear()
    assert sync_scheduled_performance(connection)["lookback"] is True
    assert requested_days(insights) == {(str(today - timedelta(days=28)), str(today))}


def test_failed_full_pull_is_tried_again_on_the_next_run(connection, insights):
    insights.failing_posts = 4  # the ad-level report cannot even start: first try and three quick retries

    with pytest.raises(TransientError):
        sync_scheduled_performance(connection)

    assert SyncRun.objects.get(kind="PERFORMANCE").status == "FAILED"
    assert sync_scheduled_performance(connection)["lookback"] is True


def test_lookback_window_follows_the_setting(connection, insights, today, monkeypatch):
    monkeypatch.setenv("PERFORMANCE_LOOKBACK_DAYS", "10")
    reset_settings_cache()
    try:
        sync_scheduled_performance(connection)
    finally:
        monkeypatch.undo()
        reset_settings_cache()

    assert requested_days(insights) == {(str(today - timedelta(days=10)), str(today))}


def test_entity_sync_with_performance_adds_up_api_calls(connection, graph, today):
    entities = FakeAccount(graph)
    entities.edges["campaigns"] = [campaign("1")]
    insights = FakeInsights(graph, serve_account=False)
    insights.add("campaign", rows_for("campaign", ("1",), days_back(today, 0)))

    result = sync_connection_data(connection, performance=True, full=True)

    perf = result["performance"]
    assert perf["lookback"] is True and perf["campaigns"] == 1
    assert result["api_calls"] == 4 + perf["api_calls"]
    assert perf["api_calls"] == 2 + 3  # campaign and ad-set pages, one ad report (start, poll, page)
    assert SyncRun.objects(kind="PERFORMANCE").count() == 1
