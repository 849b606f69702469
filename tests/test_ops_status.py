"""`metasync status`: the latest runs of each connection per kind, history on request, and how they read."""

from __future__ import annotations

import json

import pytest
import responses

from metasync.connections.registry import upsert_connection
from metasync.ops.status import format_counts, format_duration
from metasync.store.documents import MetaConnection
from tests.graph_fakes import GRAPH, FakeAccount, campaign, error_body
from tests.helpers import OTHER_TOKEN, TOKEN


def status_rows(cli, *args) -> list[dict]:
    result = cli("status", "--json", *args)
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.output.splitlines() if line.startswith("{")]


@pytest.mark.services
def test_status_shows_the_latest_run_of_each_connection(cli):
    good, _ = upsert_connection("t1", "act_123", TOKEN)
    bad, _ = upsert_connection("t2", "act_456", OTHER_TOKEN)
    never, _ = upsert_connection("t3", "act_789", "EAAnever")
    with responses.RequestsMock(assert_all_requests_are_fired=False) as graph:
        FakeAccount(graph, "act_123").edges["campaigns"] = [campaign("1")]
        graph.add("GET", f"{GRAPH}/act_456", json=error_body(190, "Error validating access token", 463), status=400)
        cli("sync", "--connection", str(good.id))
        cli("sync", "--connection", str(bad.id))

    rows = {row["connection_id"]: row for row in status_rows(cli)}
    ok = rows[str(good.id)]
    assert ok["kind"] == "ENTITIES" and ok["status"] == "SUCCESS" and ok["trigger"] == "cli"
    assert ok["counts"]["campaigns_synced"] == 1 and ok["api_calls"] >= 4 and ok["duration_ms"] >= 0
    failed = rows[str(bad.id)]
    assert failed["status"] == "FAILED" and failed["error_count"] == 1 and "TokenError" in failed["errors"][0]
    assert failed["connection_status"] == "EXPIRED"
    assert rows[str(never.id)]["status"] == "NEVER"


@pytest.mark.services
def test_status_shows_more_runs_with_limit_and_only_the_chosen_connections(cli):
    first, _ = upsert_connection("t1", "act_123", TOKEN)
    upsert_connection("t2", "act_456", OTHER_TOKEN)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as graph:
        FakeAccount(graph, "act_123")
        for _ in range(3):
            cli("sync", "--connection", str(first.id))

    assert len(status_rows(cli, "--connection", str(first.id))) == 1
    latest_two = status_rows(cli, "--connection", str(first.id), "--limit", "2")
    assert len(latest_two) == 2 and latest_two[0]["started_at"] >= latest_two[1]["started_at"]
    assert status_rows(cli, "--connection", str(first.id))[0]["started_at"] == latest_two[0]["started_at"]
    assert {row["tenant_id"] for row in status_rows(cli, "--tenant", "t2")} == {"t2"}


@pytest.mark.services
def test_status_finds_runs_recorded_before_connections_named_their_latest_run(cli, synced_connection):
    MetaConnection.objects(id=synced_connection.id).update_one(unset__latest_runs=True)

    (row,) = status_rows(cli, "--connection", str(synced_connection.id))
    assert row["kind"] == "ENTITIES" and row["status"] == "SUCCESS" and row["counts"]["campaigns_synced"] == 1


@pytest.mark.parametrize(
    "ms, shown",
    [
        (None, "-"),
        (0, "0 ms"),
        (999, "999 ms"),
        (1000, "1.0 s"),
        (1540, "1.5 s"),
        (119_900, "119.9 s"),
        (120_000, "2.0 min"),
        (3_600_000, "60.0 min"),
    ],
)
def test_durations_read_in_the_unit_that_fits(ms, shown):
    assert format_duration(ms) == shown


@pytest.mark.parametrize(
    "counts, shown",
    [
        ({}, "-"),
        ({"campaigns_synced": 3, "ad_sets_synced": 4, "ads_synced": 5}, "campaigns 3, ad sets 4, ads 5"),
        ({"campaigns": 2, "ad_sets": 2, "since": "2026-01-01"}, "campaigns 2, ad sets 2, since 2026-01-01"),
    ],
)
def test_counts_read_the_same_whatever_the_run_kind(counts, shown):
    assert format_counts(counts) == shown
