"""`metasync connections`: add, list and remove, input checks, and a child process sharing the database."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from metasync.store.documents import MetaConnection
from tests.helpers import TOKEN, cli_add_connection

pytestmark = pytest.mark.services


def test_a_connection_can_be_added_listed_and_removed(cli):
    connection_id = cli_add_connection(cli, account="123")

    listed = cli("connections", "list", "--json")
    rows = [json.loads(line) for line in listed.output.splitlines()]
    assert rows[0]["id"] == connection_id and rows[0]["ad_account_id"] == "act_123"
    assert MetaConnection.objects.get(id=connection_id).access_token == TOKEN

    assert cli("connections", "remove", connection_id).exit_code == 0
    assert MetaConnection.objects.count() == 0


def test_adding_again_replaces_the_token_and_reactivates(cli):
    connection_id = cli_add_connection(cli)
    MetaConnection.objects.get(id=connection_id).mark("EXPIRED", "token expired")

    result = cli("connections", "add", "--tenant", "t1", "--ad-account", "act_123", "--token", "EAAnewer")

    assert result.output.startswith("updated")
    reloaded = MetaConnection.objects.get(id=connection_id)
    assert reloaded.status == "ACTIVE" and reloaded.access_token == "EAAnewer"


@pytest.mark.parametrize(
    "args,message",
    [
        (["--tenant", "t", "--ad-account", "act_x1", "--token", "EAA"], "ad account id"),
        (["--tenant", " ", "--ad-account", "act_1", "--token", "EAA"], "--tenant"),
        (["--tenant", "t", "--ad-account", "act_1", "--token", "EAA", "--expires-at", "soon"], "--expires-at"),
    ],
)
def test_bad_connection_input_exits_2_with_a_reason(cli, args, message):
    result = cli("connections", "add", *args)
    assert result.exit_code == 2
    assert message in result.output
    assert MetaConnection.objects.count() == 0


def test_cli_process_shares_the_database(mongo, redis_client):
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "metasync.cli",
            "connections",
            "add",
            "--tenant",
            "sub",
            "--ad-account",
            "act_777",
            "--token",
            TOKEN,
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert TOKEN not in proc.stdout + proc.stderr
    assert MetaConnection.objects.get(tenant_id="sub").ad_account_id == "act_777"


def test_remove_with_purge_deletes_everything_of_that_connection_and_nothing_else(cli, mongo):
    from metasync.connections.registry import upsert_connection
    from metasync.infra.clock import now_ms
    from metasync.store.documents import Campaign, PerformanceSnapshot, SyncRun

    gone, _ = upsert_connection("t1", "act_123", TOKEN)
    kept, _ = upsert_connection("t2", "act_456", "EAAkept")
    for connection in (gone, kept):
        tenant = connection.tenant_id
        Campaign(id=f"{tenant}:1", meta_id="1", tenant_id=tenant, connection=connection.id).save()
        PerformanceSnapshot(
            id=f"{tenant}:CAMPAIGN:1:2026-11-01",
            tenant_id=tenant,
            connection=connection.id,
            entity_type="CAMPAIGN",
            entity_id="1",
            date="2026-11-01",
        ).save()
        SyncRun.begin(connection, "ENTITIES", "cli", now_ms())

    result = cli("connections", "remove", str(gone.id), "--purge")

    assert result.exit_code == 0 and "and 3 documents" in result.output
    for document in (Campaign, PerformanceSnapshot, SyncRun):
        assert document.objects(connection=gone.id).count() == 0
        assert document.objects(connection=kept.id).count() == 1
    assert MetaConnection.objects.count() == 1


def test_add_without_an_encryption_key_says_so_in_one_line(cli, settings_env):
    settings_env(TOKEN_ENCRYPTION_KEY="")

    result = cli("connections", "add", "--tenant", "t1", "--ad-account", "act_123", "--token", TOKEN)

    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        "error: TOKEN_ENCRYPTION_KEY is not set (generate one with `metasync keygen`)"
    ]
    assert MetaConnection.objects.count() == 0
