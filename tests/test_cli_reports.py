"""`metasync reports`: list, add (refused with Meta's rule), remove, run against the simulator, show."""

from __future__ import annotations

import json

import pytest

from metasync.connections.registry import upsert_connection
from metasync.simulator import SimConfig, SimulatorServer
from metasync.store.reports import BreakdownRow, ReportDefinition

pytestmark = pytest.mark.services

CONFIG = SimConfig(campaigns=2, ad_sets_per_campaign=1, ads_per_ad_set=2, days=20, seed=5)


def test_list_shows_the_presets_and_defined_reports(cli):
    assert cli("reports", "add", "ages", "--level", "campaign", "--breakdowns", "age").exit_code == 0
    result = cli("reports", "list", "--json")

    listed = [json.loads(line) for line in result.output.splitlines()]
    assert [r["name"] for r in listed] == [
        "age_gender",
        "country",
        "region",
        "placement",
        "device_platform",
        "hourly",
        "ages",
    ]
    assert listed[-1]["level"] == "campaign" and listed[-1]["preset"] is False
    table = cli("reports", "list").output
    assert all(name in table for name in ("age_gender", "placement", "hourly", "ages")) and "on demand" in table


def test_add_refuses_what_meta_would_refuse_in_one_line_and_stores_nothing(cli):
    result = cli(
        "reports", "add", "bad", "--level", "ad", "--breakdowns", "hourly_stats_aggregated_by_advertiser_time_zone,age"
    )

    assert result.exit_code == 2
    assert result.output.count("\n") == 1 and "cannot be combined with any other breakdown" in result.output
    assert ReportDefinition.objects.count() == 0


def test_remove_deletes_a_defined_report_and_refuses_an_unknown_one(cli):
    cli("reports", "add", "ages", "--level", "ad", "--breakdowns", "age")
    assert cli("reports", "remove", "ages").exit_code == 0
    assert ReportDefinition.objects.count() == 0
    assert cli("reports", "remove", "ages").exit_code == 1


def test_run_pulls_a_preset_and_show_answers_roas_by_age_and_gender_per_window(cli, configure):
    connection, _ = upsert_connection("t1", "act_1000000001", "EAAsim-cli")
    with SimulatorServer(CONFIG.replace()) as sim:
        configure(META_GRAPH_URL=sim.base_url)
        result = cli("reports", "run", "age_gender", "--tenant", "t1", "--preset", "last_7d", "--json")
        placement = cli("reports", "run", "placement", "--connection", str(connection.id))

    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["status"] == "ok" and summary["rows"] == BreakdownRow.objects(report="age_gender").count() > 0
    assert placement.exit_code == 0 and "report placement" in placement.output
    shown = cli("reports", "show", "age_gender", "--tenant", "t1", "--json")
    lines = [json.loads(line) for line in shown.output.splitlines()]
    assert {"age", "gender", "spend", "ROAS", "purchases 7d_click", "ROAS 1d_view"} <= set(lines[0])
    spend = sum(row.spend for row in BreakdownRow.objects(report="age_gender"))
    assert sum(round(float(line["spend"]) * 100) for line in lines) == spend


def test_run_refuses_an_unknown_report_and_bad_dates_before_any_call(cli):
    upsert_connection("t1", "act_1", "EAAx")
    assert "no report named 'nope'" in cli("reports", "run", "nope").output
    assert cli("reports", "run", "country", "--preset", "last_7d", "--since", "2026-01-01").exit_code == 2
