"""`metasync doctor`: each check passes on a healthy system and names what is wrong on a broken one."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest
import responses

from metasync.connections.registry import upsert_connection
from metasync.graph.client import default_client
from metasync.ops import doctor
from metasync.store.documents import SyncRun
from tests.graph_fakes import GRAPH, FakeAccount, campaign, error_body
from tests.helpers import OTHER_TOKEN, TOKEN, by_name, json_of, run_doctor_process

pytestmark = pytest.mark.services


@pytest.fixture
def celery_processes(redis_client):
    """A real worker and a real beat on the test broker, until the worker answers a ping."""
    from metasync.celery import app

    base = [sys.executable, "-m", "celery", "-A", "metasync"]
    procs = [
        subprocess.Popen(
            base
            + [
                "worker",
                "--pool=solo",
                "--without-gossip",
                "--without-mingle",
                "--loglevel=WARNING",
                "--hostname=doctor-test@%h",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        ),
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
    assert statuses == {
        "configuration": "pass",
        "mongodb": "pass",
        "indexes": "pass",
        "redis": "pass",
        "broker": "pass",
        "workers": "pass",
        "beat": "pass",
        "connections": "pass",
        "rate limits": "pass",
        "webhook app": "pass",
    }
    assert "doctor-test@" in by_name(report)["workers"]["detail"]


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


def test_doctor_reports_mongodb_down(redis_client):
    proc = run_doctor_process(MONGODB_URI="mongodb://127.0.0.1:1/metasync")

    assert proc.returncode == 1, proc.stderr
    checks = by_name(json.loads(proc.stdout))
    assert checks["mongodb"]["status"] == "fail" and "not reachable" in checks["mongodb"]["detail"]
    assert checks["indexes"]["status"] == "skip" and checks["connections"]["status"] == "skip"


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


def test_doctor_passes_the_index_check_on_a_fresh_install_once_anything_has_connected(cli, mongo):
    for name in mongo.list_collection_names():
        mongo.drop_collection(name)  # a new database: no collection, no index
    assert cli("status").exit_code == 0  # any command (or a worker) creates the indexes when it connects

    result = cli("doctor", "--json", "--no-workers-ok")

    assert by_name(json_of(result))["indexes"]["status"] == "pass"
