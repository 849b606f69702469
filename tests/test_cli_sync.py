"""`metasync sync`: one result per connection, exit codes, and `--loop` rounds that stop cleanly on SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
import responses

from metasync.connections.registry import upsert_connection
from metasync.infra.locks import connection_lock
from metasync.simulator import SimConfig, SimulatorServer
from metasync.store.documents import Campaign, SyncRun
from tests.graph_fakes import GRAPH, FakeAccount, campaign, error_body
from tests.helpers import cli_add_connection

pytestmark = pytest.mark.services


def test_sync_json_prints_one_result_per_connection(cli):
    first = cli_add_connection(cli, "t1", "act_123")
    second = cli_add_connection(cli, "t2", "act_456")
    with responses.RequestsMock(assert_all_requests_are_fired=False) as graph:
        FakeAccount(graph, "act_123").edges["campaigns"] = [campaign("1")]
        FakeAccount(graph, "act_456").edges["campaigns"] = [campaign("2"), campaign("3")]
        result = cli("sync", "--json")

    assert result.exit_code == 0
    lines = [json.loads(line) for line in result.output.splitlines()]
    by_id = {line["connection_id"]: line for line in lines}
    assert by_id[first]["campaigns_synced"] == 1 and by_id[second]["campaigns_synced"] == 2
    for line in lines:
        assert {"tenant_id", "ads_synced", "ad_sets_synced", "duration_ms", "api_calls"} <= set(line)


def test_sync_of_one_tenant_leaves_the_others_alone(cli):
    cli_add_connection(cli, "t1", "act_123")
    cli_add_connection(cli, "t2", "act_456")
    with responses.RequestsMock(assert_all_requests_are_fired=False) as graph:
        FakeAccount(graph, "act_123").edges["campaigns"] = [campaign("1")]
        result = cli("sync", "--tenant", "t1", "--json")
        assert not any("act_456" in c.request.url for c in graph.calls)

    assert result.exit_code == 0
    assert Campaign.objects(tenant_id="t2").count() == 0


def test_failed_sync_exits_1_and_others_still_run(cli):
    cli_add_connection(cli, "t1", "act_123")
    cli_add_connection(cli, "t2", "act_456")
    with responses.RequestsMock(assert_all_requests_are_fired=False) as graph:
        graph.add("GET", f"{GRAPH}/act_123", json=error_body(190, "Error validating access token", 463), status=400)
        FakeAccount(graph, "act_456").edges["campaigns"] = [campaign("2")]
        result = cli("sync")

    assert result.exit_code == 1
    assert "act_123: failed" in result.output and "re-authenticate" in result.output
    assert Campaign.objects(tenant_id="t2").count() == 1


def test_sync_usage_errors_exit_2(cli):
    assert cli("sync", "--tenant", "a", "--connection", "b").exit_code == 2
    assert cli("sync", "--connection", "nope").exit_code == 2
    assert cli("sync", "--bogus").exit_code == 2


def test_sync_with_no_connections_exits_1(cli):
    result = cli("sync")
    assert result.exit_code == 1 and "no active connections" in result.output


def test_sync_loop_runs_rounds_and_exits_0(cli):
    connection, _ = upsert_connection("t1", "act_123", "EAAloop-token")
    with responses.RequestsMock(assert_all_requests_are_fired=False) as graph:
        FakeAccount(graph).edges["campaigns"] = [campaign("1")]
        result = cli("sync", "--loop", "--interval", "0.001", "--iterations", "2", "--json")

    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines() if line.startswith("{")]
    assert [line["status"] for line in lines] == ["ok", "ok"]
    assert [run.trigger for run in SyncRun.objects(connection=connection.id)] == ["loop", "loop"]


def test_sync_loop_skips_a_connection_a_worker_is_syncing(cli):
    connection, _ = upsert_connection("t1", "act_123", "EAAloop-token")
    with responses.RequestsMock(assert_all_requests_are_fired=False) as graph:
        with connection_lock(str(connection.id)):
            result = cli("sync", "--loop", "--interval", "0.001", "--iterations", "1")
        assert len(graph.calls) == 0

    assert result.exit_code == 0
    assert "another sync of this connection is running" in result.output


def test_sync_loop_with_no_connections_waits_instead_of_failing(cli):
    result = cli("sync", "--loop", "--interval", "0.001", "--iterations", "2")
    assert result.exit_code == 0


@pytest.mark.parametrize(
    "args",
    [["--interval", "5"], ["--iterations", "2"], ["--loop", "--interval", "0"], ["--loop", "--interval", "soon"]],
)
def test_loop_options_misused_exit_2(cli, args):
    assert cli("sync", *args).exit_code == 2


def test_sigterm_stops_a_sync_loop_process_after_the_current_connection(mongo, redis_client):
    """A real `metasync sync --loop` process against the Graph simulator (each answer takes 300 ms)."""
    config = SimConfig(
        accounts=2,
        campaigns=1,
        ad_sets_per_campaign=1,
        ads_per_ad_set=1,
        latency_ms=300,
        app_id=os.environ["META_APP_ID"],
        app_secret=os.environ["META_APP_SECRET"],
    )
    first, _ = upsert_connection("t1", "act_1000000001", "EAAsim-first")
    second, _ = upsert_connection("t2", "act_1000000002", "EAAsim-second")
    with SimulatorServer(config) as sim:
        env = {**os.environ, "META_GRAPH_URL": sim.base_url, "LOG_FORMAT": "json"}
        proc = subprocess.Popen(
            [sys.executable, "-m", "metasync.cli", "sync", "--loop", "--interval", "30", "--json"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            deadline = time.monotonic() + 30
            while not SyncRun.objects(connection=first.id).count():  # the first connection's sync has begun
                assert proc.poll() is None, proc.stderr.read()
                assert time.monotonic() < deadline, "the loop never started"
                time.sleep(0.05)
            proc.send_signal(signal.SIGTERM)
            signalled = time.monotonic()
            out, err = proc.communicate(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()

    assert proc.returncode == 0, err
    assert time.monotonic() - signalled < 15
    results = [json.loads(line) for line in out.splitlines()]
    assert [(r["connection_id"], r["status"]) for r in results] == [(str(first.id), "ok")]
    assert SyncRun.objects.get(connection=first.id).status == "SUCCESS"  # finished, not cut off
    assert SyncRun.objects(connection=second.id).count() == 0  # never started
    assert any(json.loads(line).get("event") == "loop_stopped" for line in err.splitlines() if line.startswith("{"))


def test_a_connection_whose_token_cannot_be_decrypted_is_marked_and_the_others_sync(cli):
    from metasync.store.documents import MetaConnection

    broken, _ = upsert_connection("t1", "act_111", "EAAbroken")
    fine, _ = upsert_connection("t2", "act_123", "EAAfine")
    MetaConnection.objects(id=broken.id).update_one(set__access_token_encrypted="not-a-fernet-token")
    with responses.RequestsMock(assert_all_requests_are_fired=False) as graph:
        FakeAccount(graph, "act_123").edges["campaigns"] = [campaign("1")]
        result = cli("sync", "--json")

    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.startswith("{")]
    rows = {row["ad_account_id"]: row for row in map(json.loads, lines)}
    assert rows["act_123"]["status"] == "ok" and rows["act_123"]["campaigns_synced"] == 1
    assert rows["act_111"]["status"] == "failed" and "cannot be decrypted" in rows["act_111"]["error"]
    broken.reload()
    assert broken.status == "ERROR" and "cannot be decrypted" in broken.last_error


def test_sync_of_a_tenant_whose_only_connection_expired_names_re_authentication(cli):
    expired, _ = upsert_connection("t1", "act_123", "EAAold")
    expired.mark("EXPIRED", "token expired")

    result = cli("sync", "--tenant", "t1")

    assert result.exit_code == 1
    assert result.output.strip() == (
        "error: no connection for tenant 't1' may sync (act_123 is EXPIRED); "
        "re-authenticate with `metasync connections add`"
    )
