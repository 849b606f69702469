"""`metasync performance`: presets and ranges, JSON output, exit codes, no API call on bad input, loop rounds."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from metasync.performance.dates import local_today
from metasync.store.documents import PerformanceSnapshot
from tests.graph_fakes import GRAPH, TZ, error_body, insight_row

pytestmark = pytest.mark.services


@pytest.fixture
def insights(insights):
    """A campaign row and an ad row for yesterday."""
    yesterday = local_today(TZ) - timedelta(days=1)
    insights.add("campaign", [insight_row("campaign", ("1",), yesterday)])
    insights.add("ad", [insight_row("ad", ("1", "11", "111"), yesterday)])
    return insights


@pytest.fixture
def cli(cli):
    """`cli(*args)` runs `metasync performance *args`."""
    return lambda *args: cli("performance", *args)


def test_default_is_yesterday_for_every_active_connection(cli, connection, insights):
    result = cli("--json")

    assert result.exit_code == 0, result.output
    row = json.loads(result.stdout)
    yesterday = str(local_today(TZ) - timedelta(days=1))
    assert (row["status"], row["since"], row["until"]) == ("ok", yesterday, yesterday)
    assert (row["campaigns"], row["ad_sets"], row["ads"], row["api_calls"]) == (1, 0, 1, 5)
    assert PerformanceSnapshot.objects.count() == 2


def test_range_for_one_connection_prints_a_summary(cli, connection, insights):
    result = cli("--connection", str(connection.id), "--since", "2026-01-01", "--until", "2026-01-05")

    assert result.exit_code == 0, result.output
    assert "act_123 (2026-01-01..2026-01-05)" in result.output and "Graph calls" in result.output
    assert {(q["since"], q["until"]) for q in insights.gets} == {("2026-01-01", "2026-01-05")}


def test_tenant_selects_its_connections(cli, connection, insights):
    assert cli("--tenant", "tenant-a", "--preset", "last_3d").exit_code == 0
    assert cli("--tenant", "nobody").exit_code == 1


@pytest.mark.parametrize(
    "args",
    [
        ["--preset", "last_8d"],
        ["--since", "2026-01-05", "--until", "2026-01-01"],
        ["--since", "2026-01-01"],
        ["--until", "2026-01-01"],
        ["--since", "01/02/2026", "--until", "2026-01-03"],
        ["--preset", "yesterday", "--since", "2026-01-01", "--until", "2026-01-02"],
    ],
)
def test_bad_dates_exit_2_with_one_line_and_no_call(cli, connection, graph, args):
    result = cli(*args)

    assert result.exit_code == 2
    assert result.output.count("\n") == 1 and result.output.startswith("error: ")
    assert len(graph.calls) == 0


def test_failed_connection_exits_1(cli, connection, graph):
    graph.add("GET", f"{GRAPH}/act_123", json=error_body(190, "Error validating access token", 463), status=400)

    result = cli("--json")

    assert result.exit_code == 1
    row = json.loads(result.stdout)
    assert row["status"] == "failed" and "re-authenticate" in row["error"]


def test_loop_without_dates_applies_the_lookback_policy_each_round(cli, connection, insights):
    result = cli("--loop", "--interval", "0.001", "--iterations", "2", "--json")

    assert result.exit_code == 0, result.output
    rounds = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(rounds) == 2 and all(r["status"] == "ok" for r in rounds)
    # First round of the account's day pulls the whole attribution window, the next only recent days.
    assert [r["lookback"] for r in rounds] == [True, False]


def test_loop_with_a_preset_pulls_that_preset_each_round(cli, connection, insights):
    result = cli("--loop", "--interval", "0.001", "--iterations", "2", "--preset", "yesterday", "--json")

    assert result.exit_code == 0, result.output
    yesterday = str(local_today(TZ) - timedelta(days=1))
    assert [json.loads(line)["since"] for line in result.stdout.splitlines()] == [yesterday, yesterday]


def test_cli_takes_the_same_lock_as_the_performance_task(cli, connection, insights):
    from metasync.infra.locks import connection_lock

    with connection_lock(str(connection.id), "performance"):
        busy = cli("--json")
    with connection_lock(str(connection.id), "sync"):
        free = cli("--json")

    assert busy.exit_code == 1 and json.loads(busy.stdout)["status"] == "skipped"
    assert free.exit_code == 0
