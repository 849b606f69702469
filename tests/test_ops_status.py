"""`metasync status`: the latest runs of each connection per kind, history on request, and how they read."""

from __future__ import annotations

import json

import pytest
import responses

from metasync.connections.registry import upsert_connection
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
def test_status_limit_and_filters(cli):
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
def test_status_finds_runs_recorded_before_connections_named_their_latest_run(cli):
    connection, _ = upsert_connection("t1", "act_123", TOKEN)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as graph:
        FakeAccount(graph, "act_123").edges["campaigns"] = [campaign("1")]
        cli("sync", "--connection", str(connection.id))
    MetaConnection.objects(id=connection.id).update_one(unset__latest_runs=True)

    (row,) = status_rows(cli, "--connection", str(connection.id))
    assert row["kind"] == "ENTITIES" and row["status"] == "SUCCESS" and row["counts"]["campaigns_synced"] == 1
