"""The `metasync` command line: connections, sync, JSON output, exit codes, and no secrets in output."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import responses
from click.testing import CliRunner

from metasync.cli import main
from metasync.store.documents import Campaign, MetaConnection
from tests.graph_fakes import GRAPH, FakeAccount, campaign, error_body

TOKEN = "EAAcli-secret-token-value"


@pytest.fixture
def cli(mongo, redis_client):
    runner = CliRunner()

    def invoke(*args):
        result = runner.invoke(main, list(args), catch_exceptions=False)
        assert TOKEN not in result.output and TOKEN not in (result.stderr or "")
        return result

    return invoke


def add(cli, tenant="t1", account="act_123"):
    result = cli("connections", "add", "--tenant", tenant, "--ad-account", account, "--token", TOKEN)
    assert result.exit_code == 0, result.output
    return result.output.split()[2]


def test_add_list_remove_connection(cli):
    connection_id = add(cli, account="123")

    listed = cli("connections", "list", "--json")
    rows = [json.loads(line) for line in listed.output.splitlines()]
    assert rows[0]["id"] == connection_id and rows[0]["ad_account_id"] == "act_123"
    assert MetaConnection.objects.get(id=connection_id).access_token == TOKEN

    assert cli("connections", "remove", connection_id).exit_code == 0
    assert MetaConnection.objects.count() == 0


def test_adding_again_replaces_the_token_and_reactivates(cli):
    connection_id = add(cli)
    MetaConnection.objects.get(id=connection_id).mark("EXPIRED", "token expired")

    result = cli("connections", "add", "--tenant", "t1", "--ad-account", "act_123", "--token", "EAAnewer")

    assert result.output.startswith("updated")
    reloaded = MetaConnection.objects.get(id=connection_id)
    assert reloaded.status == "ACTIVE" and reloaded.access_token == "EAAnewer"


@pytest.mark.parametrize("args,message", [
    (["--tenant", "t", "--ad-account", "act_x1", "--token", "EAA"], "ad account id"),
    (["--tenant", " ", "--ad-account", "act_1", "--token", "EAA"], "--tenant"),
    (["--tenant", "t", "--ad-account", "act_1", "--token", "EAA", "--expires-at", "soon"], "--expires-at"),
])
def test_bad_connection_input_exits_2_with_a_reason(cli, args, message):
    result = cli("connections", "add", *args)
    assert result.exit_code == 2
    assert message in result.output
    assert MetaConnection.objects.count() == 0


def test_sync_json_prints_one_result_per_connection(cli):
    first = add(cli, "t1", "act_123")
    second = add(cli, "t2", "act_456")
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


def test_sync_one_tenant_only(cli):
    add(cli, "t1", "act_123")
    add(cli, "t2", "act_456")
    with responses.RequestsMock(assert_all_requests_are_fired=False) as graph:
        FakeAccount(graph, "act_123").edges["campaigns"] = [campaign("1")]
        result = cli("sync", "--tenant", "t1", "--json")
        assert not any("act_456" in c.request.url for c in graph.calls)

    assert result.exit_code == 0
    assert Campaign.objects(tenant_id="t2").count() == 0


def test_failed_sync_exits_1_and_others_still_run(cli):
    add(cli, "t1", "act_123")
    add(cli, "t2", "act_456")
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


def test_bad_configuration_exits_2_naming_the_variable():
    env = {**os.environ, "META_RATE_LIMIT_PER_HOUR": "plenty"}
    proc = subprocess.run([sys.executable, "-m", "metasync.cli", "connections", "list"], env=env,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert "META_RATE_LIMIT_PER_HOUR" in proc.stderr and "Traceback" not in proc.stderr


def test_cli_process_shares_the_database(mongo, redis_client):
    proc = subprocess.run([sys.executable, "-m", "metasync.cli", "connections", "add", "--tenant", "sub",
                           "--ad-account", "act_777", "--token", TOKEN], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert TOKEN not in proc.stdout + proc.stderr
    assert MetaConnection.objects.get(tenant_id="sub").ad_account_id == "act_777"
