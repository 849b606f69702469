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
