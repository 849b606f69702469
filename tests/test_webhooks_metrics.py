"""`/metrics` as Prometheus and an operator see it: every family with the numbers of real runs and deliveries,
an admin key required, no secret in the output, and the same totals whichever process counted or answers."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from metasync.access.keys import create_key
from metasync.infra.clock import utcnow
from metasync.store.changes import Change
from metasync.store.documents import MetaConnection, SyncRun
from tests.helpers import NEVER_SHOWN, QUEUE
from tests.webhook_fakes import change, entry, envelope, signed_request

pytestmark = pytest.mark.services

REPO = Path(__file__).resolve().parent.parent


def parse(text: str) -> dict[tuple[str, frozenset], float]:
    """{(sample name, its labels): value} of a Prometheus text page."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples: dict, name: str, **labels: str) -> float | None:
    return samples.get((name, frozenset(labels.items())))


@pytest.fixture
def admin_key(shared_db):
    raw, _ = create_key(None, admin=True)
    return raw


def scrape(client, key: str) -> dict:
    response = client.get("/metrics", headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["Content-Type"].startswith("text/plain")
    return parse(response.get_data(as_text=True))


def test_a_scrape_shows_every_family_with_the_numbers_of_real_runs_and_deliveries(
    synced_connection, make_app, admin_key
):
    client = make_app().test_client()
    assert client.post("/webhooks/meta", **signed_request(envelope(entry("123", change("7"))))).status_code == 200
    assert client.post("/webhooks/meta", **signed_request(envelope(entry("123", change("7"))))).status_code == 200
    assert client.post("/webhooks/meta", **signed_request(secret="wrong")).status_code == 401
    MetaConnection.objects(id=synced_connection.id).update_one(
        set__last_performance_synced_at=utcnow() - timedelta(hours=2)
    )
    for status in ("APPLIED", "APPLIED", "FAILED"):
        Change(tenant_id="t1", status=status).save()

    samples = scrape(client, admin_key)

    assert value(samples, "metasync_runs_total", kind="ENTITIES", outcome="success") == 1
    assert value(samples, "metasync_run_duration_seconds_count", kind="ENTITIES") == 1
    assert value(samples, "metasync_run_duration_seconds_bucket", kind="ENTITIES", le="+Inf") == 1
    assert value(samples, "metasync_run_duration_seconds_sum", kind="ENTITIES") >= 0
    calls = {k: v for k, v in samples.items() if k[0] == "metasync_graph_calls_total"}
    assert sum(calls.values()) == SyncRun.objects.get(connection=synced_connection.id).api_calls
    assert value(samples, "metasync_graph_calls_total", edge="campaigns", outcome="ok") >= 1
    assert value(samples, "metasync_webhook_deliveries_total", result="accepted", reason="") == 1
    assert value(samples, "metasync_webhook_deliveries_total", result="duplicate", reason="") == 1
    assert value(samples, "metasync_webhook_deliveries_total", result="rejected", reason="mismatch") == 1
    assert value(samples, "metasync_webhook_changes_total", outcome="enqueued") == 1
    assert value(samples, "metasync_webhook_changes_total", outcome="duplicate") == 1
    assert value(samples, "metasync_queue_messages", queue=QUEUE) == 1
    assert value(samples, "metasync_changes", status="APPLIED") == 2
    assert value(samples, "metasync_changes", status="FAILED") == 1
    assert value(samples, "metasync_changes", status="REQUESTED") == 0
    assert value(samples, "metasync_connections", status="ACTIVE") == 1
    entities_age = value(samples, "metasync_sync_age_seconds", tenant_id="t1", ad_account_id="act_123", kind="entities")
    assert 0 <= entities_age < 120
    performance_age = value(
        samples, "metasync_sync_age_seconds", tenant_id="t1", ad_account_id="act_123", kind="performance"
    )
    assert 7100 < performance_age < 7400
    assert value(samples, "metasync_last_run_succeeded", tenant_id="t1", ad_account_id="act_123", kind="ENTITIES") == 1
    assert value(samples, "metasync_paused_accounts") == 0
    assert value(samples, "metasync_runs_running") == 0
    for source in ("redis", "mongodb", "broker"):
        assert value(samples, "metasync_metrics_source_up", source=source) == 1


def test_a_failed_latest_run_shows_0_and_a_running_one_is_left_out(connection, make_app, admin_key):
    from metasync.graph.client import default_client
    from metasync.runs.lifecycle import recorded_run

    with pytest.raises(RuntimeError), recorded_run(connection, "PERFORMANCE", "test", default_client().scoped()):
        raise RuntimeError("boom")
    with recorded_run(connection, "ENTITIES", "test", default_client().scoped()):
        samples = scrape(make_app().test_client(), admin_key)

    last = {dict(k[1])["kind"]: v for k, v in samples.items() if k[0] == "metasync_last_run_succeeded"}
    assert last == {"PERFORMANCE": 0}
    assert value(samples, "metasync_runs_running") == 1
    assert value(samples, "metasync_runs_total", kind="PERFORMANCE", outcome="failed") == 1


def test_report_pulls_and_pauses_show_by_report_and_cause(make_app, admin_key, redis_client):
    from metasync.graph.ratelimit import RateLimiter
    from metasync.infra.counters import count

    count("report_pulls", report="by_age", outcome="success")
    RateLimiter(100).pause_account("act_5", 300, "usage at 95%", cause="usage")

    samples = scrape(make_app().test_client(), admin_key)

    assert value(samples, "metasync_report_pulls_total", report="by_age", outcome="success") == 1
    assert value(samples, "metasync_account_pauses_total", cause="usage") == 1
    assert value(samples, "metasync_paused_accounts") == 1
    assert 290 < value(samples, "metasync_account_pause_seconds", ad_account_id="act_5") <= 300


def test_no_token_or_secret_appears_in_the_output(synced_connection, make_app, admin_key):
    client = make_app().test_client()
    client.post("/webhooks/meta", **signed_request())

    text = client.get("/metrics", headers={"Authorization": f"Bearer {admin_key}"}).get_data(as_text=True)

    for secret in (*NEVER_SHOWN, admin_key, os.environ["TOKEN_ENCRYPTION_KEY"]):
        assert secret not in text
    assert "access_token" not in text


@pytest.mark.parametrize("header", [None, "Bearer", "Bearer msk_not-a-key", "Basic abc", "tenant"])
def test_without_an_admin_key_the_answer_is_401(make_app, shared_db, redis_client, header):
    if header == "tenant":
        raw, _ = create_key("t1", scope="write")
        header = f"Bearer {raw}"
    client = make_app().test_client()

    response = client.get("/metrics", headers={"Authorization": header} if header else {})

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert "metasync_" not in response.get_data(as_text=True)


def test_metrics_public_true_opens_the_endpoint_without_a_key(make_app, shared_db, redis_client, settings_env):
    settings_env(METRICS_PUBLIC="true")

    response = make_app().test_client().get("/metrics")

    assert response.status_code == 200
    assert "metasync_runs_total" in response.get_data(as_text=True)


def test_a_dead_broker_leaves_out_queue_depth_and_says_so(make_app, admin_key):
    from tests.webhook_fakes import dead_port

    client = make_app(CELERY_BROKER_URL=f"redis://127.0.0.1:{dead_port()}/0").test_client()

    samples = scrape(client, admin_key)

    assert value(samples, "metasync_metrics_source_up", source="broker") == 0
    assert value(samples, "metasync_metrics_source_up", source="redis") == 1
    assert not [k for k in samples if k[0] == "metasync_queue_messages"]


def test_counts_from_another_process_add_to_the_same_total(make_app, admin_key):
    from metasync.infra.counters import count

    count("graph_calls", 2, edge="insights", outcome="ok")
    code = "from metasync.infra.counters import count; count('graph_calls', 3, edge='insights', outcome='ok')"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO, env=os.environ.copy(), timeout=60)

    samples = scrape(make_app().test_client(), admin_key)

    assert value(samples, "metasync_graph_calls_total", edge="insights", outcome="ok") == 5


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_two_gunicorn_workers_count_into_and_answer_the_same_totals(admin_key, redis_client, tmp_path):
    port = _free_port()
    log = (tmp_path / "gunicorn.log").open("w")
    access_log = tmp_path / "access.log"
    server = subprocess.Popen(
        [
            *(sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "2"),
            *("--access-logfile", str(access_log), "--access-logformat", "%(p)s %(U)s", "webhooks.wsgi:app"),
        ],
        cwd=REPO,
        env=os.environ.copy(),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                requests.get(f"{base}/healthz", timeout=2)
                break
            except (requests.ConnectionError, requests.Timeout):  # not listening yet, or its workers still booting
                assert time.monotonic() < deadline and server.poll() is None, (tmp_path / "gunicorn.log").read_text()
                time.sleep(0.2)
        session = requests.Session()
        session.headers["Connection"] = "close"  # a new connection each time, so both workers answer some
        for i in range(6):
            request = signed_request(envelope(entry("123", change(str(100 + i)))))
            assert session.post(f"{base}/webhooks/meta", **request, timeout=10).status_code == 200
        for _ in range(4):
            request = signed_request(secret="wrong")
            assert session.post(f"{base}/webhooks/meta", **request, timeout=10).status_code == 401

        def totals_seen(_: int) -> tuple:
            headers = {"Authorization": f"Bearer {admin_key}", "Connection": "close"}
            samples = parse(requests.get(f"{base}/metrics", headers=headers, timeout=10).text)
            return (
                value(samples, "metasync_webhook_deliveries_total", result="accepted", reason=""),
                value(samples, "metasync_webhook_deliveries_total", result="rejected", reason="mismatch"),
                value(samples, "metasync_queue_messages", queue=QUEUE),
            )

        def scraping_pids() -> set[str]:
            lines = access_log.read_text().splitlines() if access_log.exists() else []
            return {line.split()[0] for line in lines if line.endswith("/metrics")}

        # Scrapes four at a time (a sync worker answers one request at a time) until both workers have answered
        # some; the kernel may hand a burst to one of them, so a few rounds, bounded.
        answers: set[tuple] = set()
        with ThreadPoolExecutor(4) as pool:
            for _ in range(10):
                answers |= set(pool.map(totals_seen, range(16)))
                if len(scraping_pids()) == 2:
                    break
        assert answers == {(6.0, 4.0, 6.0)}
        assert len(scraping_pids()) == 2, "one gunicorn worker answered every scrape"
    finally:
        if server.poll() is None:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
        log.close()
