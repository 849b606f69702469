"""The `check`, `doctor`, `status` and `keygen` commands: tables, JSON, exit codes and usage errors."""

from __future__ import annotations

import json

import pytest
import responses
from click.testing import CliRunner
from cryptography.fernet import Fernet

from metasync.cli import main
from metasync.connections.registry import upsert_connection
from tests.graph_fakes import GOOD_TOKEN_INFO, meta_app
from tests.helpers import TOKEN, run_doctor_process


@pytest.mark.services
def test_check_prints_a_table(cli):
    upsert_connection("t1", "act_1", TOKEN)
    with responses.RequestsMock() as graph:
        meta_app(graph, {TOKEN: GOOD_TOKEN_INFO})
        result = cli("check")

    assert result.exit_code == 0
    assert "app" in result.output and "PASS" in result.output and "act_1" in result.output


@pytest.mark.services
def test_check_without_app_credentials_is_a_configuration_error(cli, configure):
    configure(META_APP_SECRET="")  # empty means not set
    result = cli("check")
    assert result.exit_code == 2 and "META_APP_SECRET" in result.output


@pytest.mark.services
def test_doctor_prints_a_table_with_a_reason_per_line(cli, indexed):
    result = cli("doctor", "--no-workers-ok")
    assert result.exit_code == 0, result.output
    for name in ("configuration", "mongodb", "indexes", "redis", "broker", "workers", "webhook app"):
        assert name in result.output
    assert "no workers answered" in result.output


def test_doctor_with_bad_configuration_exits_2_naming_the_variable():
    proc = run_doctor_process(META_RATE_LIMIT_PER_HOUR="plenty")

    assert proc.returncode == 2
    report = json.loads(proc.stdout)
    assert report["ok"] is False and "META_RATE_LIMIT_PER_HOUR" in report["checks"][0]["detail"]
    assert "Traceback" not in proc.stderr


@pytest.mark.services
def test_status_prints_one_table_row_per_run(cli, synced_connection):
    result = cli("status")

    assert result.exit_code == 0
    assert "act_123" in result.output and "success" in result.output and "entities" in result.output


@pytest.mark.services
@pytest.mark.parametrize("args", [["--tenant", "a", "--connection", "b"], ["--connection", "nope"], ["--limit", "0"]])
def test_status_usage_errors_exit_2(cli, args):
    assert cli("status", *args).exit_code == 2


def test_keygen_prints_a_new_usable_encryption_key_each_time():
    first, second = (CliRunner().invoke(main, ["keygen"]) for _ in range(2))

    assert first.exit_code == second.exit_code == 0
    key = first.output.strip()
    assert Fernet(key.encode()).decrypt(Fernet(key.encode()).encrypt(b"EAAtoken")) == b"EAAtoken"
    assert second.output.strip() != key
