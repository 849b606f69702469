"""Performance runs: snapshots per object and day, re-pulls that overwrite, exact money, date checks before any
call, the run record, and the scheduled lookback policy."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from metasync.graph.errors import TransientError
from metasync.performance import InvalidDateRange, sync_all_performance_data, sync_scheduled_performance
from metasync.performance.dates import local_today
from metasync.runs.lifecycle import SyncFailed
from metasync.settings import reset_settings_cache
from metasync.store.documents import Campaign, MetaConnection, PerformanceSnapshot, SyncRun
from tests.graph_fakes import GRAPH, TZ, FakeInsights, days_back, error_body, insight_row, rows_for
from tests.helpers import TOKEN

pytestmark = pytest.mark.services


def stored(entity_type: str, entity_id: str, day: date) -> PerformanceSnapshot:
    return PerformanceSnapshot.objects.get(entity_type=entity_type, entity_id=entity_id, date=day.isoformat())


def populate(insights: FakeInsights, days: list[date]) -> None:
    """Two campaigns, one ad set each, two ads in the first ad set: rows on every given day."""
    insights.add("campaign", rows_for("campaign", ("1",), days) + rows_for("campaign", ("2",), days))
    insights.add("adset", rows_for("adset", ("1", "11"), days) + rows_for("adset", ("2", "21"), days))
    insights.add("ad", rows_for("ad", ("1", "11", "111"), days) + rows_for("ad", ("1", "11", "112"), days))


def test_writes_one_snapshot_per_object_and_day_for_every_level(connection, insights, today):
    populate(insights, days_back(today, 1, 2))

    result = sync_all_performance_data(connection, "last_7d")

    assert (result["campaigns"], result["ad_sets"], result["ads"]) == (4, 4, 4)
    assert result["api_calls"] == 5  # account details, then one page per level
    last_7d = (str(today - timedelta(days=7)), str(today - timedelta(days=1)))
    assert [(q["level"], q["since"], q["until"]) for q in insights.gets] == [
        (level, *last_7d) for level in ("account", "campaign", "adset", "ad")
    ]
    snap = stored("AD", "112", today - timedelta(days=1))
    assert (snap.tenant_id, snap.connection, snap.ad_account_id) == ("tenant-a", connection.id, "act_123")
    assert (snap.campaign_id, snap.ad_set_id, snap.name) == ("1", "11", "ad 112")
    assert (snap.impressions, snap.clicks, snap.reach, snap.spend) == (1000, 10, 800, 1234)
    assert (snap.currency, snap.currency_exponent, snap.timezone_name) == ("USD", 2, TZ)
    assert snap.fetched_at is not None
    assert stored("ADSET", "21", today - timedelta(days=2)).campaign_id == "2"


def test_repull_overwrites_the_day_and_never_duplicates(connection, insights, today):
    day = today - timedelta(days=1)
    insights.add(
        "campaign",
        [insight_row("campaign", ("1",), day, spend="10.00", actions=[{"action_type": "omni_purchase", "value": "1"}])],
    )
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
    insights.add(
        "ad",
        [
            insight_row(
                "ad",
                ("1", "11", str(100 + i)),
                day,
                spend=spend,
                actions=[{"action_type": "purchase", "value": "1"}],
                action_values=[{"action_type": "purchase", "value": value}],
            )
            for i, (spend, value) in enumerate([("0.10", "19.99"), ("0.20", "0.01"), ("0.70", "80.00")])
        ],
    )

    sync_all_performance_data(connection, "yesterday")

    snaps = list(PerformanceSnapshot.objects(entity_type="AD"))
    assert sum(s.spend for s in snaps) == 100
    assert sum(s.revenue for s in snaps) == 10000
    assert sum((s.spend_amount for s in snaps), Decimal(0)) == Decimal("1.00")
    assert stored("AD", "100", day).revenue_amount == Decimal("19.99")


def test_zero_decimal_currency_is_stored_in_whole_units(connection, graph, today):
    fake = FakeInsights(graph, currency="JPY", timezone_name="Asia/Tokyo")
    day = local_today("Asia/Tokyo") - timedelta(days=1)
    fake.add(
        "campaign",
        [
            insight_row(
                "campaign",
                ("1",),
                day,
                spend="1234",
                account_currency="JPY",
                actions=[{"action_type": "omni_purchase", "value": "3"}],
                action_values=[{"action_type": "omni_purchase", "value": "45000"}],
            )
        ],
    )

    sync_all_performance_data(connection, "yesterday")

    snap = stored("CAMPAIGN", "1", day)
    assert (snap.currency, snap.currency_exponent, snap.spend, snap.revenue) == ("JPY", 0, 1234, 45000)
    assert snap.spend_amount == Decimal("1234") and snap.timezone_name == "Asia/Tokyo"
    assert snap.cpc == pytest.approx(123.4)


@pytest.mark.parametrize(
    "kwargs",
    [
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
    ],
)
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
    assert (run.status, run.trigger, run.api_calls, run.error_count) == ("PARTIAL", "cli", 5, 1)
    assert run.counts == {
        "accounts": 0,
        "campaigns": 2,
        "ad_sets": 2,
        "ads": 2,
        "since": result["since"],
        "until": result["until"],
    }
    assert "not-an-id" in run.errors[0]
    assert MetaConnection.objects.get(id=connection.id).last_performance_synced_at is not None


def test_rejected_token_marks_the_connection_and_fails_the_run(connection, graph):
    graph.add("GET", f"{GRAPH}/act_123", json=error_body(190, "Error validating access token", 463), status=400)

    with pytest.raises(SyncFailed) as failure:
        sync_all_performance_data(connection, "yesterday")

    assert "re-authenticate" in failure.value.message and TOKEN not in str(failure.value)
    assert MetaConnection.objects.get(id=connection.id).status == "EXPIRED"
    assert SyncRun.objects.get(kind="PERFORMANCE").status == "FAILED"


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
    assert second["campaigns"] == 4 and second["api_calls"] == 4

    # The next account-local day: the full window is due again.
    connection.update(
        set__performance_lookback_started_at=connection.performance_lookback_started_at - timedelta(days=1)
    )
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
