"""`metasync check`, `doctor` and `status`: passing and failing paths, exit codes, and no secret in any output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone

import pytest
import requests
import responses
from click.testing import CliRunner

from metasync.cli import main
from metasync.connections.registry import upsert_connection
from metasync.graph.client import default_client
from metasync.ops import doctor
from metasync.store.documents import MetaConnection, SyncRun, ensure_indexes
from metasync.infra.redis_client import reset_redis
from metasync.simulator import SimConfig, SimulatorServer
from tests.graph_fakes import GRAPH, FakeAccount, campaign, error_body, query_of

TOKEN = "EAAops-secret-token-one"
OTHER_TOKEN = "EAAops-secret-token-two"
APP_TOKEN = "111|app-token-secret-part"
NEVER_SHOWN = (TOKEN, OTHER_TOKEN, APP_TOKEN, "test-app-secret", "verify-me")


@pytest.fixture
def configure(settings_env):
    """settings_env, and a Redis client made from the settings in force (before and after)."""

    def apply(**env):
        settings_env(**env)
        reset_redis()

    yield apply
    reset_redis()


@pytest.fixture
def cli(mongo, redis_client):
    runner = CliRunner()

    def invoke(*args):
        result = runner.invoke(main, list(args), catch_exceptions=False)
        for secret in NEVER_SHOWN + (os.environ["TOKEN_ENCRYPTION_KEY"],):
            assert secret not in result.output
        return result

    return invoke


def json_of(result) -> dict:
    return json.loads(next(line for line in result.output.splitlines() if line.startswith("{")))


def by_name(report: dict) -> dict[str, dict]:
    return {check["name"]: check for check in report["checks"]}


# --- check ---------------------------------------------------------------------------------------------------
def _epoch(days: float) -> int:
    return int((datetime.now(timezone.utc) + timedelta(days=days)).timestamp())


VALID = {"app_id": "111", "type": "USER", "is_valid": True, "expires_at": _epoch(50),
         "data_access_expires_at": _epoch(80), "scopes": ["ads_read", "business_management"], "user_id": "42"}


def meta_app(graph, tokens: dict[str, dict], app_answer=(200, {"access_token": APP_TOKEN, "token_type": "bearer"})):
    """oauth/access_token (client_credentials) and debug_token answering per input token."""

    def oauth(request):
        query = query_of(request)
        assert query["grant_type"] == "client_credentials" and query["client_id"] == "111"
        return app_answer[0], {}, json.dumps(app_answer[1])

    def debug(request):
        query = query_of(request)
        assert query["access_token"] == APP_TOKEN
        if query["input_token"] == APP_TOKEN:
            return 200, {}, json.dumps({"data": {"app_id": "111", "type": "APP", "application": "Ops Test",
                                                 "is_valid": True}})
        return 200, {}, json.dumps({"data": tokens[query["input_token"]]})

    graph.add_callback("GET", f"{GRAPH}/oauth/access_token", callback=oauth)
    graph.add_callback("GET", f"{GRAPH}/debug_token", callback=debug)


def test_check_passes_when_app_and_every_token_are_good(cli):
    upsert_connection("t1", "act_1", TOKEN)
    upsert_connection("t2", "act_2", OTHER_TOKEN)
    with responses.RequestsMock() as graph:
        meta_app(graph, {TOKEN: VALID, OTHER_TOKEN: {**VALID, "expires_at": 0, "scopes": ["ads_management"]}})
        result = cli("check", "--json")

    assert result.exit_code == 0, result.output
    report = json_of(result)
    assert report["ok"] is True
    checks = by_name(report)
    assert checks["app"]["status"] == "pass" and "reachable and active" in checks["app"]["detail"]
    assert checks["token t1 act_1"]["status"] == "pass"
    assert "never expires" in checks["token t2 act_2"]["detail"]


def test_check_prints_a_table(cli):
    upsert_connection("t1", "act_1", TOKEN)
    with responses.RequestsMock() as graph:
        meta_app(graph, {TOKEN: VALID})
        result = cli("check")

    assert result.exit_code == 0
    assert "app" in result.output and "PASS" in result.output and "act_1" in result.output


@pytest.mark.parametrize("answer,reason", [
    ({**VALID, "is_valid": False, "error": {"code": 190, "message": "Session has expired"}}, "re-authenticate"),
    ({**VALID, "expires_at": _epoch(-1)}, "expired on"),
    ({**VALID, "data_access_expires_at": _epoch(-1)}, "data access expired"),
    ({**VALID, "scopes": ["pages_show_list"]}, "lacks ads_read or ads_management"),
    ({**VALID, "app_id": "999"}, "issued for app 999"),
])
def test_check_fails_for_a_bad_token_with_the_reason(cli, answer, reason):
    upsert_connection("t1", "act_1", TOKEN)
    with responses.RequestsMock() as graph:
        meta_app(graph, {TOKEN: answer})
        result = cli("check", "--json")

    assert result.exit_code == 1
    token_check = by_name(json_of(result))["token t1 act_1"]
    assert token_check["status"] == "fail" and reason in token_check["detail"]


def test_token_expiring_within_the_refresh_window_warns_but_passes(cli):
    upsert_connection("t1", "act_1", TOKEN)
    with responses.RequestsMock() as graph:
        meta_app(graph, {TOKEN: {**VALID, "expires_at": _epoch(2)}})
        result = cli("check", "--json")

    assert result.exit_code == 0
    assert by_name(json_of(result))["token t1 act_1"]["status"] == "warn"


def test_check_fails_when_meta_refuses_the_app_secret(cli):
    upsert_connection("t1", "act_1", TOKEN)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as graph:
        meta_app(graph, {}, app_answer=(400, error_body(1, "Error validating client secret.")))
        result = cli("check", "--json")

    assert result.exit_code == 1
    report = json_of(result)
    assert [c["name"] for c in report["checks"]] == ["app"]
    assert "credentials refused" in report["checks"][0]["detail"]


def test_check_fails_when_the_graph_api_is_unreachable(cli):
    with responses.RequestsMock() as graph:
        graph.add("GET", f"{GRAPH}/oauth/access_token", body=requests.ConnectionError("refused"))
        result = cli("check", "--json")

    assert result.exit_code == 1
    assert "not reachable" in by_name(json_of(result))["app"]["detail"]


def test_check_without_app_credentials_is_a_configuration_error(cli, configure):
    configure(META_APP_SECRET="")  # empty means not set
    result = cli("check")
    assert result.exit_code == 2 and "META_APP_SECRET" in result.output


def test_check_against_the_simulator(cli, configure):
    config = SimConfig(app_id="111", app_secret="test-app-secret", expired_tokens=(OTHER_TOKEN,))
    upsert_connection("t1", "act_1", TOKEN)
    upsert_connection("t2", "act_2", OTHER_TOKEN)
    with SimulatorServer(config) as sim:
        configure(META_GRAPH_URL=sim.base_url)
        result = cli("check", "--json")

    assert result.exit_code == 1
    checks = by_name(json_of(result))
    assert checks["app"]["status"] == "pass"
    assert checks["token t1 act_1"]["status"] == "pass"
    assert checks["token t2 act_2"]["status"] == "fail" and "re-authenticate" in checks["token t2 act_2"]["detail"]


# --- doctor --------------------------------------------------------------------------------------------------
@pytest.fixture
def indexed(mongo):
    ensure_indexes()
    return mongo


@pytest.fixture
def celery_processes(redis_client):
    """A real worker and a real beat on the test broker, until the worker answers a ping."""
    from metasync.celery import app

    base = [sys.executable, "-m", "celery", "-A", "metasync"]
    procs = [
        subprocess.Popen(base + ["worker", "--pool=solo", "--without-gossip", "--without-mingle",
                                 "--loglevel=WARNING", "--hostname=doctor-test@%h"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL),
        subprocess.Popen(base + ["beat", "--loglevel=WARNING"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL),
    ]
    try:
        deadline = time.monotonic() + 60
        while not app.control.ping(timeout=0.5):
            assert time.monotonic() < deadline, "the worker never answered"
        while not any(k.endswith(b"::lock") for k in redis_client.keys("metasync:redbeat:*")):
            assert time.monotonic() < deadline, "the beat never took its lock"
            time.sleep(0.2)
        yield procs
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def test_doctor_passes_on_a_healthy_system(cli, indexed, celery_processes):
    upsert_connection("t1", "act_1", TOKEN)
    result = cli("doctor", "--json")

    report = json_of(result)
    assert result.exit_code == 0, report
    statuses = {name: check["status"] for name, check in by_name(report).items()}
    assert statuses == {"configuration": "pass", "mongodb": "pass", "indexes": "pass", "redis": "pass",
                        "broker": "pass", "workers": "pass", "beat": "pass", "connections": "pass",
                        "rate limits": "pass", "webhook app": "pass"}
    assert "doctor-test@" in by_name(report)["workers"]["detail"]


def test_doctor_prints_a_table_with_a_reason_per_line(cli, indexed):
    result = cli("doctor", "--no-workers-ok")
    assert result.exit_code == 0, result.output
    for name in ("configuration", "mongodb", "indexes", "redis", "broker", "workers", "webhook app"):
        assert name in result.output
    assert "no workers answered" in result.output


def test_doctor_fails_when_no_worker_answers(cli, indexed):
    result = cli("doctor", "--json")

    assert result.exit_code == 1
    checks = by_name(json_of(result))
    assert checks["workers"]["status"] == "fail" and "no workers answered" in checks["workers"]["detail"]
    assert checks["beat"]["status"] == "fail"


def test_doctor_without_workers_allowed_passes_with_a_warning(cli, indexed):
    result = cli("doctor", "--json", "--no-workers-ok")

    assert result.exit_code == 0, result.output
    checks = by_name(json_of(result))
    assert checks["workers"]["status"] == "warn" and checks["beat"]["status"] == "skip"


def test_doctor_reports_missing_indexes_and_creates_them_when_asked(cli, indexed):
    SyncRun._get_collection().drop_indexes()
    try:
        result = cli("doctor", "--json", "--no-workers-ok")
        assert result.exit_code == 1
        indexes = by_name(json_of(result))["indexes"]
        assert indexes["status"] == "fail" and "sync_runs" in indexes["detail"]

        fixed = cli("doctor", "--json", "--no-workers-ok", "--create-indexes")
        assert fixed.exit_code == 0 and by_name(json_of(fixed))["indexes"]["status"] == "pass"
    finally:
        SyncRun.ensure_indexes()


def test_doctor_lists_paused_accounts_and_tenants_to_reauthenticate(cli, indexed):
    upsert_connection("t1", "act_1", TOKEN)
    expired, _ = upsert_connection("t-gone", "act_2", OTHER_TOKEN)
    expired.mark("EXPIRED", "token expired")
    default_client().limiter.pause_account("act_1", 120, "usage at 91%")

    result = cli("doctor", "--json", "--no-workers-ok")

    assert result.exit_code == 0  # warnings only
    checks = by_name(json_of(result))
    assert checks["rate limits"]["status"] == "warn" and "act_1" in checks["rate limits"]["detail"]
    assert checks["connections"]["status"] == "warn" and "t-gone" in checks["connections"]["detail"]


def test_doctor_reports_a_webhook_app_that_cannot_be_imported(cli, indexed, monkeypatch):
    monkeypatch.setattr(doctor, "SELF_TEST_MODULE", "webhooks.not_installed")
    result = cli("doctor", "--json", "--no-workers-ok")

    assert result.exit_code == 1
    webhook = by_name(json_of(result))["webhook app"]
    assert webhook["status"] == "fail" and "cannot import" in webhook["detail"]


def test_doctor_reports_redis_down(cli, indexed, configure):
    configure(REDIS_URL="redis://127.0.0.1:1/0")
    result = cli("doctor", "--json", "--no-workers-ok")

    assert result.exit_code == 1
    checks = by_name(json_of(result))
    assert checks["redis"]["status"] == "fail" and checks["rate limits"]["status"] == "skip"


def _doctor_process(**env):
    return subprocess.run([sys.executable, "-m", "metasync.cli", "doctor", "--json", "--no-workers-ok"],
                          env={**os.environ, **env}, capture_output=True, text=True, timeout=90)


def test_doctor_reports_mongodb_down(redis_client):
    proc = _doctor_process(MONGODB_URI="mongodb://127.0.0.1:1/metasync")

    assert proc.returncode == 1, proc.stderr
    checks = by_name(json.loads(proc.stdout))
    assert checks["mongodb"]["status"] == "fail" and "not reachable" in checks["mongodb"]["detail"]
    assert checks["indexes"]["status"] == "skip" and checks["connections"]["status"] == "skip"


def test_doctor_with_bad_configuration_exits_2_naming_the_variable():
    proc = _doctor_process(META_RATE_LIMIT_PER_HOUR="plenty")

    assert proc.returncode == 2
    report = json.loads(proc.stdout)
    assert report["ok"] is False and "META_RATE_LIMIT_PER_HOUR" in report["checks"][0]["detail"]
    assert "Traceback" not in proc.stderr


def test_doctor_live_syncs_one_connection(cli, indexed):
    connection, _ = upsert_connection("t1", "act_123", TOKEN)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as graph:
        FakeAccount(graph).edges["campaigns"] = [campaign("1"), campaign("2")]
        result = cli("doctor", "--json", "--no-workers-ok", "--live", str(connection.id))

    assert result.exit_code == 0
    live = by_name(json_of(result))["live sync"]
    assert live["status"] == "pass" and "2 campaigns" in live["detail"]
    assert SyncRun.objects.get(connection=connection.id).trigger == "doctor"


def test_doctor_live_sync_failure_fails_the_run(cli, indexed):
    connection, _ = upsert_connection("t1", "act_123", TOKEN)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as graph:
        graph.add("GET", f"{GRAPH}/act_123", json=error_body(190, "Error validating access token", 463), status=400)
        result = cli("doctor", "--json", "--no-workers-ok", "--live", str(connection.id))

    assert result.exit_code == 1
    live = by_name(json_of(result))["live sync"]
    assert live["status"] == "fail" and "re-authenticate" in live["detail"]


# --- status --------------------------------------------------------------------------------------------------
def status_rows(cli, *args) -> list[dict]:
    result = cli("status", "--json", *args)
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.output.splitlines() if line.startswith("{")]


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


def test_status_finds_runs_recorded_before_connections_named_their_latest_run(cli):
    connection, _ = upsert_connection("t1", "act_123", TOKEN)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as graph:
        FakeAccount(graph, "act_123").edges["campaigns"] = [campaign("1")]
        cli("sync", "--connection", str(connection.id))
    MetaConnection.objects(id=connection.id).update_one(unset__latest_runs=True)

    (row,) = status_rows(cli, "--connection", str(connection.id))
    assert row["kind"] == "ENTITIES" and row["status"] == "SUCCESS" and row["counts"]["campaigns_synced"] == 1


def test_status_table(cli):
    connection, _ = upsert_connection("t1", "act_123", TOKEN)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as graph:
        FakeAccount(graph, "act_123").edges["campaigns"] = [campaign("1")]
        cli("sync", "--connection", str(connection.id))
    result = cli("status")

    assert result.exit_code == 0
    assert "act_123" in result.output and "success" in result.output and "entities" in result.output


@pytest.mark.parametrize("args", [["--tenant", "a", "--connection", "b"], ["--connection", "nope"],
                                  ["--limit", "0"]])
def test_status_usage_errors_exit_2(cli, args):
    assert cli("status", *args).exit_code == 2
