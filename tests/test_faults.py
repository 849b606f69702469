"""The fault suite: real Celery workers are killed mid-sync, and the database must end as a clean run leaves it.

Each case syncs the same simulated ad account for a faulted tenant and, without faults, for a clean one, then
compares what is stored: nothing lost, nothing duplicated, and no run left RUNNING. Bounded: each case waits at most
about a minute, on loopback only.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import psutil
import pytest
import redis

from metasync.celery import app as celery_app
from metasync.connections.registry import upsert_connection
from metasync.entities.spec import ENTITY_SPECS
from metasync.entities.sync import sync_meta_connection
from metasync.graph.errors import RateLimitedError
from metasync.infra.locks import CONNECTION_LOCK_SECONDS, lock_key
from metasync.runs.reaper import reap_crashed_runs
from metasync.simulator import SimConfig, SimulatorServer
from metasync.store.documents import SyncRun
from tests.conftest import REPO

pytestmark = pytest.mark.services

ACCOUNT = "act_1000000001"
# Small pages and a slow Graph make a full sync last several seconds: long enough to be killed mid-way.
WORLD = {"campaigns": 6, "ad_sets_per_campaign": 3, "ads_per_ad_set": 3, "latency_ms": 150}
PAGE_SIZE = "5"
WAIT_SECONDS = 60


@pytest.fixture
def simulator(mongo, redis_client):
    config = SimConfig(**WORLD, app_id=os.environ["META_APP_ID"], app_secret=os.environ["META_APP_SECRET"])
    with SimulatorServer(config) as sim:
        yield sim


@pytest.fixture
def worker_env(simulator, settings_env):
    settings_env(META_GRAPH_URL=simulator.base_url, META_PAGE_SIZE=PAGE_SIZE)
    return {**os.environ, "META_GRAPH_URL": simulator.base_url, "META_PAGE_SIZE": PAGE_SIZE}


class Worker:
    """`celery -A metasync worker` (prefork, one child) in a process of its own."""

    def __init__(self, env: dict[str, str], name: str):
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "metasync",
                "worker",
                "--pool=prefork",
                "--concurrency=1",
                "--loglevel=WARNING",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                f"--hostname={name}-{os.getpid()}@%h",
            ],
            env=env,
            cwd=REPO,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def child(self) -> psutil.Process:
        children = psutil.Process(self.process.pid).children()
        assert children, "the worker has no pool child"
        return children[0]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


@pytest.fixture
def workers():
    started: list[Worker] = []
    yield lambda env, name: started.append(Worker(env, name)) or started[-1]
    for worker in started:
        worker.stop()


def wait_for(condition, what: str, seconds: float = WAIT_SECONDS):
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.1)


def stored(tenant: str) -> dict[str, set[tuple]]:
    """What a user reads back: per collection, each object's id, name, statuses and budgets."""
    return {
        spec.kind: {
            (d.meta_id, d.name, d.status, d.effective_status, getattr(d, "daily_budget", None))
            for d in spec.document.objects(tenant_id=tenant)
        }
        for spec in ENTITY_SPECS
    }


def assert_same_as_a_clean_run(faulted_tenant: str) -> None:
    clean, _ = upsert_connection("clean", ACCOUNT, "EAAclean")
    sync_meta_connection(clean, full=True)
    expected = stored("clean")
    assert stored(faulted_tenant) == expected  # nothing lost, nothing different
    for spec in ENTITY_SPECS:  # nothing duplicated
        assert spec.document.objects(tenant_id=faulted_tenant).count() == len(expected[spec.kind])
    assert SyncRun.objects(status="RUNNING").count() == 0


def running_sync(connection) -> bool:
    return SyncRun.objects(connection=connection.id, kind="ENTITIES", status="RUNNING").count() > 0


def test_a_killed_pool_child_is_replaced_and_the_redelivered_sync_completes(worker_env, workers):
    connection, _ = upsert_connection("faulted", ACCOUNT, "EAAfaulted")
    worker = workers(worker_env, "child-kill")
    result = celery_app.send_task("sync_connection", args=[str(connection.id)], kwargs={"full": True})
    wait_for(lambda: running_sync(connection), "the sync to start")

    worker.child().send_signal(signal.SIGKILL)  # mid-sync

    wait_for(
        lambda: SyncRun.objects(connection=connection.id, status="SUCCESS").count() == 1,
        "the redelivered sync to finish",
    )
    assert result.get(timeout=WAIT_SECONDS)["campaigns_synced"] == WORLD["campaigns"]
    assert reap_crashed_runs(lambda *task: pytest.fail(f"nothing to redo, got {task}"), stale_seconds=0) == {
        "crashed": 1,
        "requeued": 0,
    }  # the killed attempt's record, superseded by the redelivered run
    assert_same_as_a_clean_run("faulted")


def test_a_killed_worker_is_covered_by_the_reaper_within_minutes(worker_env, workers, redis_client):
    connection, _ = upsert_connection("faulted", ACCOUNT, "EAAfaulted")
    first = workers(worker_env, "whole-kill")
    celery_app.send_task("sync_connection", args=[str(connection.id)], kwargs={"full": True})
    wait_for(lambda: running_sync(connection), "the sync to start")

    child = first.child()
    first.process.kill()  # the whole worker, then its child: the message stays unacknowledged in the broker
    child.kill()
    first.process.wait(timeout=10)
    # Its lock expires on its own within the lock's lifetime (the reaper waits longer than that before it acts).
    lock = lock_key(f"connection:{connection.id}:sync")
    wait_for(lambda: not redis_client.exists(lock), "the dead worker's lock to expire", CONNECTION_LOCK_SECONDS + 5)
    summary = reap_crashed_runs(
        lambda name, args, kwargs: celery_app.send_task(name, args=args, kwargs=kwargs), stale_seconds=1
    )
    assert summary == {"crashed": 1, "requeued": 1}
    workers(worker_env, "replacement")

    wait_for(
        lambda: SyncRun.objects(connection=connection.id, status="SUCCESS").count() == 1,
        "the re-enqueued sync to finish",
    )
    assert SyncRun.objects(connection=connection.id, status="CRASHED").count() == 1
    assert_same_as_a_clean_run("faulted")


def sync_until_done(connection, redis_client, attempts: int = 5) -> int:
    """What the task's retries do minutes apart: run the full sync again until it succeeds; returns the runs."""
    from tasks.base import worth_retrying

    for attempt in range(1, attempts + 1):
        try:
            sync_meta_connection(connection, full=True)
            return attempt
        except Exception as exc:  # noqa: BLE001 - a retryable failure is what this case injects
            assert worth_retrying(exc), f"not retryable: {exc!r}"
            # the retry comes after Meta's wait: by then the account's pause has run out
            for key in redis_client.scan_iter("metasync:pause:*"):
                redis_client.delete(key)
    pytest.fail(f"no clean run in {attempts} attempts")


def test_graph_faults_mid_sync_cost_retries_not_data(simulator, worker_env, settings_env, redis_client):
    probe, _ = upsert_connection("probe", ACCOUNT, "EAAprobe")
    clean_calls = sync_meta_connection(probe, full=True)["api_calls"]
    # A tight budget (three times a clean run's calls per hour, no waiting: an "unknown error" halves the page size
    # for the rest of its edge, so where the errors land can nearly double a run's calls) and two answers slower
    # than the read timeout (1.5 s against 1 s; a shorter timeout would also cut answers merely slow on a busy
    # machine).
    settings_env(
        META_RATE_LIMIT_PER_HOUR=str(3 * clean_calls), META_RATE_LIMIT_MAX_WAIT_SECONDS="0", META_READ_TIMEOUT="1.0"
    )
    connection, _ = upsert_connection("faulted", ACCOUNT, "EAAfaulted")
    # 15 % of calls fail (5xx and unknown errors), two are throttled by Meta, two time out.
    simulator.app.faults.update(
        {
            "error_rate": 0.15,
            "rate_limit": {"code": 17, "count": 2},
            "latency_ms": 0,
            "timeout_ms": 1500,
            "timeout_count": 2,
        }
    )

    runs = sync_until_done(connection, redis_client)

    simulator.app.faults.clear()
    assert runs <= 5
    assert SyncRun.objects(connection=connection.id, status="SUCCESS").count() == 1
    assert SyncRun.objects(connection=connection.id, status="FAILED").count() == runs - 1
    assert_same_as_a_clean_run("faulted")


def test_a_token_that_expires_mid_run_stops_only_its_connection(simulator, worker_env):
    from metasync.runs.lifecycle import SyncFailed

    faulted, _ = upsert_connection("faulted", ACCOUNT, "EAAfaulted")
    other, _ = upsert_connection("other", ACCOUNT, "EAAother")
    expire = threading.Timer(1.0, simulator.app.faults.update, [{"expired_tokens": ["EAAfaulted"]}])
    expire.start()  # a second into the sync, Meta stops accepting the token
    try:
        with pytest.raises(SyncFailed, match="re-authenticate"):
            sync_meta_connection(faulted, full=True)
    finally:
        expire.join()
    assert simulator.app.stats.snapshot()["total"] > 3, "the token expired before the sync was under way"
    assert sync_meta_connection(other, full=True)["campaigns_synced"] == WORLD["campaigns"]
    faulted.reload()
    assert faulted.status == "EXPIRED" and SyncRun.objects(connection=faulted.id, status="FAILED").count() == 1

    renewed, _ = upsert_connection("faulted", ACCOUNT, "EAArenewed")  # the tenant re-authenticates
    sync_meta_connection(renewed, full=True)
    assert_same_as_a_clean_run("faulted")


class FailAfter:
    """Meta starts refusing every call (rate limited) once `calls` more calls have been answered."""

    def __init__(self, simulator, calls: int):
        self.faults = simulator.app.faults
        self.stats = simulator.app.stats
        self.limit = self.stats.snapshot()["total"] + calls
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._watch, daemon=True)

    def _watch(self) -> None:
        while not self.stop.wait(0.01):
            if self.stats.snapshot()["total"] >= self.limit:
                self.faults.update({"rate_limit": {"code": 17, "count": 10_000}})
                return

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()
        self.faults.clear()


def test_an_interrupted_full_sync_resumes_and_completes_within_a_tight_budget(
    simulator, worker_env, settings_env, redis_client
):
    probe, _ = upsert_connection("probe", ACCOUNT, "EAAprobe")
    clean_calls = sync_meta_connection(probe, full=True)["api_calls"]
    # Twice a clean run's calls for this token, and no waiting for more: an exhausted budget fails the run.
    settings_env(META_RATE_LIMIT_PER_HOUR=str(2 * clean_calls), META_RATE_LIMIT_MAX_WAIT_SECONDS="0")
    connection, _ = upsert_connection("faulted", ACCOUNT, "EAAfaulted")

    runs = 0
    while runs < 3:
        runs += 1
        with FailAfter(simulator, calls=int(clean_calls * 0.6)):  # every run is cut off 60 % of the way in
            try:
                sync_meta_connection(connection, full=True)
                break
            except Exception as exc:  # noqa: BLE001 - what a task retry would see
                assert "RateLimited" in exc.__class__.__name__, repr(exc)
        for key in redis_client.scan_iter("metasync:pause:*"):  # the retry comes after Meta's wait
            redis_client.delete(key)
        connection.reload()
    else:
        pytest.fail("the full sync did not complete within 3 runs")

    assert SyncRun.objects(connection=connection.id, status="SUCCESS").count() == 1
    connection.reload()
    assert not connection.full_sync_checkpoint  # cleared once every edge was read to its end
    assert_same_as_a_clean_run("faulted")


def test_a_resumed_full_sync_asks_meta_about_each_object_it_did_not_see(simulator, worker_env, redis_client):
    from metasync.infra.clock import now_ms
    from metasync.store.documents import Ad, Campaign

    connection, _ = upsert_connection("faulted", ACCOUNT, "EAAfaulted")
    with FailAfter(simulator, calls=8):
        with pytest.raises(RateLimitedError):
            sync_meta_connection(connection, full=True)
    for key in redis_client.scan_iter("metasync:pause:*"):
        redis_client.delete(key)
    connection.reload()
    assert connection.full_sync_checkpoint["edges"], "the interrupted run recorded no progress"
    # One object Meta no longer has at all, and one read before the interruption whose mark was lost (as behind a
    # stale cursor): only the first may end DELETED.
    Ad(
        id="faulted:999999999",
        meta_id="999999999",
        tenant_id="faulted",
        connection=connection.id,
        status="ACTIVE",
        last_seen_at=now_ms().replace(year=2020),
    ).save()
    survivor = Campaign.objects(tenant_id="faulted").first()
    assert survivor is not None, "the interrupted run stored no campaign"
    survivor.update(set__last_seen_at=now_ms().replace(year=2020))

    result = sync_meta_connection(connection, full=True)

    ghost = Ad.objects.get(id="faulted:999999999")
    assert ghost.status == "DELETED" and ghost.missing_from_meta
    survivor.reload()
    assert survivor.status != "DELETED" and not survivor.missing_from_meta
    assert result["marked_deleted"] == 1


def test_on_rabbitmq_a_killed_worker_s_sync_is_redelivered_at_once(worker_env, workers, amqp_url):
    from webhooks.publisher import TaskPublisher

    env = {**worker_env, "CELERY_BROKER_URL": amqp_url}
    connection, _ = upsert_connection("faulted", ACCOUNT, "EAAfaulted")
    first = workers(env, "amqp-kill")
    publisher = TaskPublisher(amqp_url, 2)
    try:
        publisher.publish("sync_connection", (str(connection.id),))
    finally:
        publisher.close()
    wait_for(lambda: running_sync(connection), "the sync to start")

    child = first.child()
    first.process.kill()  # its connection drops: RabbitMQ requeues the unacknowledged message at once
    child.kill()
    first.process.wait(timeout=10)
    workers(env, "amqp-replacement")

    # No reaper involved: the same task comes back, takes over its own lock, and finishes.
    wait_for(
        lambda: SyncRun.objects(connection=connection.id, status="SUCCESS").count() == 1,
        "the redelivered sync to finish",
    )
    assert reap_crashed_runs(lambda *task: pytest.fail(f"nothing to redo, got {task}"), stale_seconds=0) == {
        "crashed": 1,
        "requeued": 0,
    }
    assert_same_as_a_clean_run("faulted")


def _meanwhile(action, delay: float) -> threading.Timer:
    timer = threading.Timer(delay, action)
    timer.start()
    return timer


def test_a_redis_stall_mid_sync_only_slows_it(simulator, worker_env, redis_client):
    connection, _ = upsert_connection("faulted", ACCOUNT, "EAAfaulted")
    admin = redis.Redis(connection_pool=redis_client.connection_pool)
    stall = _meanwhile(lambda: admin.execute_command("CLIENT", "PAUSE", 3000, "ALL"), 0.8)
    try:
        sync_meta_connection(connection, full=True)
    finally:
        stall.join()
    assert_same_as_a_clean_run("faulted")


def test_a_redis_restart_mid_sync_loses_no_data(simulator, worker_env, redis_client):
    # What metasync sees when an in-memory Redis restarts: its connections dropped, every key gone (locks,
    # heartbeats, rate-limit buckets). Only metasync's own connections are cut, not the test session's.
    from metasync.infra.redis_client import CLIENT_NAME, get_redis

    connection, _ = upsert_connection("faulted", ACCOUNT, "EAAfaulted")

    def restart():
        redis_client.flushdb()
        for client in redis_client.client_list():
            if client.get("name") == CLIENT_NAME:
                redis_client.client_kill_filter(_id=client["id"])

    restarted = _meanwhile(restart, 0.8)
    try:
        runs = sync_until_done(connection, redis_client, attempts=3)
    finally:
        restarted.join()
        get_redis().connection_pool.disconnect()  # no closed connection left for the tests that follow
    assert runs <= 3
    assert_same_as_a_clean_run("faulted")


def test_a_database_restart_mid_sync_loses_no_data(simulator, worker_env, redis_client):
    pid_file = REPO / ".services" / "ferretdb.pid"
    if not pid_file.exists() or ":27027/" not in os.environ["MONGODB_URI"]:
        pytest.skip("the database is not the local server scripts/services.sh started")
    connection, _ = upsert_connection("faulted", ACCOUNT, "EAAfaulted")

    def restart():
        os.kill(int(pid_file.read_text()), signal.SIGTERM)
        subprocess.run(
            ["bash", str(REPO / "scripts" / "services.sh"), "start"],
            cwd=REPO,
            check=True,
            capture_output=True,
            timeout=120,
        )

    restarted = _meanwhile(restart, 0.8)
    try:
        runs = sync_until_done(connection, redis_client, attempts=3)
    finally:
        restarted.join()
    assert runs <= 3
    assert_same_as_a_clean_run("faulted")
