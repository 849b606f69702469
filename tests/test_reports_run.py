"""Report pulls against the Graph simulator: every preset stored, additive sums reconcile to the cent with the
daily snapshots, windows Meta did not return stay absent, reach is never summed."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

import pytest

from metasync.connections.registry import upsert_connection
from metasync.performance import sync_all_performance_data
from metasync.reports.definitions import define_report
from metasync.reports.run import pull_report
from metasync.reports.spec import PRESETS, ReportSpec
from metasync.simulator import SimConfig, SimulatorServer
from metasync.store.documents import PerformanceSnapshot, SyncRun
from metasync.store.reports import BreakdownRow

pytestmark = pytest.mark.services

CONFIG = SimConfig(campaigns=2, ad_sets_per_campaign=1, ads_per_ad_set=2, days=20, seed=11)
ADDITIVE = ("impressions", "clicks", "spend", "purchases", "leads", "conversions", "revenue")
RANGE = {"date_preset": None, "since": None, "until": None}


@pytest.fixture(scope="module")
def sim():
    with SimulatorServer(CONFIG.replace()) as server:
        yield server


@pytest.fixture
def sim_connection(sim, configure, shared_db, redis_client):
    configure(META_GRAPH_URL=sim.base_url)
    connection, _ = upsert_connection("t1", "act_1000000001", "EAAsim-reports")
    return connection


def _week(connection):
    result = sync_all_performance_data(connection, "last_7d")
    return result["since"], result["until"]


def _entity_day_sums(rows):
    sums = defaultdict(lambda: defaultdict(int))
    for row in rows:
        for name in ADDITIVE:
            sums[(row.entity_type, row.entity_id, row.date)][name] += getattr(row, name)
    return {key: dict(value) for key, value in sums.items()}


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_each_preset_is_stored_and_reconciles_to_the_cent_with_the_snapshots(sim_connection, preset):
    since, until = _week(sim_connection)
    result = pull_report(sim_connection, PRESETS[preset], None, since, until)

    rows = list(BreakdownRow.objects(report=preset))
    assert result["rows"] == len(rows) > 0 and result["errors"] == 0
    snapshots = {
        (s.entity_type, s.entity_id, s.date): {name: getattr(s, name) for name in ADDITIVE}
        for s in PerformanceSnapshot.objects(entity_type="AD")
    }
    assert _entity_day_sums(rows) == snapshots
    names = PRESETS[preset].breakdowns
    assert all(set(row.breakdowns) == set(names) and all(row.breakdowns.values()) for row in rows)
    assert SyncRun.objects(kind="REPORT").first().status == "SUCCESS"


def test_rows_have_deterministic_ids_and_a_repull_overwrites_them(sim_connection):
    since, until = _week(sim_connection)
    pull_report(sim_connection, PRESETS["age_gender"], None, since, until)
    first = sorted(BreakdownRow.objects.values_list("id"))
    pull_report(sim_connection, PRESETS["age_gender"], None, since, until)

    assert sorted(BreakdownRow.objects.values_list("id")) == first
    sample = BreakdownRow.objects.first()
    assert sample.id == (
        f"t1:age_gender:AD:{sample.entity_id}:{sample.date}:age={sample.breakdowns['age']}|"
        f"gender={sample.breakdowns['gender']}"
    )
    assert sample.spend_amount == Decimal(sample.spend).scaleb(-2)  # exact, from the integer minor units


def test_attribution_windows_meta_returned_are_stored_and_others_absent(sim_connection):
    spec = define_report(
        ReportSpec(
            "roas_windows",
            level="campaign",
            breakdowns=("age", "gender"),
            attribution_windows=("7d_click", "1d_view", "28d_view"),
        )
    )
    since, until = _week(sim_connection)
    pull_report(sim_connection, spec, None, since, until)

    with_purchases = [row for row in BreakdownRow.objects(report="roas_windows") if row.purchases]
    assert with_purchases
    for row in with_purchases:
        assert set(row.windows) == {"7d_click", "1d_view"}  # 28d_view: not returned, so not stored (not 0)
        assert row.windows["7d_click"]["purchases"] + row.windows["1d_view"]["purchases"] == row.purchases
        assert row.windows["7d_click"]["revenue"] + row.windows["1d_view"]["revenue"] == row.revenue


def test_reach_and_frequency_are_stored_per_row_and_never_summed(sim_connection):
    since, until = _week(sim_connection)
    pull_report(sim_connection, PRESETS["country"], None, since, until)
    campaign_level = define_report(ReportSpec("country_campaigns", level="campaign", breakdowns=("country",)))
    pull_report(sim_connection, campaign_level, None, since, until)

    rows = list(BreakdownRow.objects(report="country_campaigns"))
    assert all(row.reach is not None and row.frequency is not None for row in rows)
    snapshot_reach = {(s.entity_id, s.date): s.reach for s in PerformanceSnapshot.objects(entity_type="CAMPAIGN")}
    summed = defaultdict(int)
    for row in rows:
        summed[(row.entity_id, row.date)] += row.reach
    assert any(summed[key] != reach for key, reach in snapshot_reach.items() if key in summed)


def test_account_level_snapshots_hold_the_account_day_totals(sim_connection):
    _week(sim_connection)
    accounts = {s.date: s.spend for s in PerformanceSnapshot.objects(entity_type="ACCOUNT")}
    ads = defaultdict(int)
    for s in PerformanceSnapshot.objects(entity_type="AD"):
        ads[s.date] += s.spend
    assert accounts and accounts == dict(ads)


def test_extra_fields_are_stored_summed_or_as_meta_sent_them(sim_connection):
    spec = define_report(
        ReportSpec(
            "video_quality",
            breakdowns=("device_platform",),
            fields=("outbound_clicks", "video_p25_watched_actions", "quality_ranking", "purchase_roas"),
            action_breakdowns=("action_type", "action_device"),
        )
    )
    since, until = _week(sim_connection)
    pull_report(sim_connection, spec, None, since, until)

    rows = list(BreakdownRow.objects(report="video_quality"))
    assert any(row.counts.get("outbound_clicks") for row in rows)
    assert {row.metrics.get("quality_ranking") for row in rows} - {None}
    # action_device splits each action type; the KPIs sum the split entries back, so they still reconcile
    assert _entity_day_sums(rows) == {
        (s.entity_type, s.entity_id, s.date): {name: getattr(s, name) for name in ADDITIVE}
        for s in PerformanceSnapshot.objects(entity_type="AD")
    }
    assert all("action_device" in entry for row in rows for entry in row.actions)
