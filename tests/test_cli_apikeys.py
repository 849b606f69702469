"""`metasync apikeys`: create prints the key once, list never shows it, revoke stops it."""

from __future__ import annotations

import json

import pytest

from metasync.access.keys import authenticate

pytestmark = pytest.mark.services


def test_create_prints_the_key_once_and_list_never_shows_it(cli):
    created = cli("apikeys", "create", "--tenant", "tenant-a", "--scope", "write", "--label", "optimiser")
    assert created.exit_code == 0
    raw = created.stdout.strip()
    assert authenticate(raw).tenant_id == "tenant-a"

    listed = cli("apikeys", "list", "--json")
    [row] = [json.loads(line) for line in listed.stdout.splitlines()]
    assert row["key_id"] == raw[:12] and row["scope"] == "write" and row["label"] == "optimiser"
    assert raw not in listed.output and raw not in cli("apikeys", "list").output


def test_revoke_by_key_id(cli):
    raw = cli("apikeys", "create", "--admin").stdout.strip()

    assert cli("apikeys", "revoke", raw[:12]).exit_code == 0
    assert authenticate(raw) is None
    assert json.loads(cli("apikeys", "list", "--json").stdout)["revoked"]


@pytest.mark.parametrize(
    "args, message",
    [
        (["apikeys", "create"], "either a tenant's"),
        (["apikeys", "create", "--tenant", "t", "--admin"], "either a tenant's"),
        (["apikeys", "revoke", "msk_nothere"], "no API key"),
    ],
)
def test_bad_input_exits_2_with_one_line(cli, args, message):
    result = cli(*args)
    assert result.exit_code == 2 and message in result.output and len(result.output.strip().splitlines()) == 1
