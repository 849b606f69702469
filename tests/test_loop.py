"""Loop mode: rounds every interval, a clean stop on SIGINT/SIGTERM after the current connection, shared locks."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time

import click
import pytest
import responses
from click.testing import CliRunner

from metasync.cli import main
from metasync.connections.registry import upsert_connection
from metasync.infra.locks import connection_lock
from metasync.ops.loop import loop_connections, run_loop, stop_on_signals, until_stopped
from metasync.store.documents import SyncRun
from metasync.settings import ConfigError
from metasync.simulator import SimConfig, SimulatorServer
from tests.graph_fakes import FakeAccount, campaign


# --- run_loop --------------------------------------------------------------------------------------------------
def test_runs_the_asked_number_of_rounds_an_interval_apart():
    starts: list[float] = []

    rounds = run_loop(lambda stop: starts.append(time.monotonic()), interval_seconds=0.1, iterations=3)

    assert rounds == 3 and len(starts) == 3
    gaps = [b - a for a, b in zip(starts, starts[1:])]
    assert all(0.09 <= gap < 0.5 for gap in gaps)


def test_a_round_longer_than_the_interval_is_followed_at_once():
    starts: list[float] = []

    def slow(stop):
        starts.append(time.monotonic())
        time.sleep(0.15)

    run_loop(slow, interval_seconds=0.05, iterations=2)
    assert starts[1] - starts[0] < 0.3


def test_stop_event_ends_the_loop_after_the_current_round():
    stop = threading.Event()
    seen = []

    def round_(event):
        seen.append(len(seen))
        if len(seen) == 2:
            event.set()

    assert run_loop(round_, interval_seconds=0.01, stop=stop) == 2
    assert seen == [0, 1]


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_finishes_the_round_then_stops_and_restores_the_handlers(signum):
    before = signal.getsignal(signum)
    finished = []

    def round_(stop):
        os.kill(os.getpid(), signum)
        time.sleep(0.05)  # the rest of the round still runs
        finished.append(stop.is_set())

    started = time.monotonic()
    assert run_loop(round_, interval_seconds=60) == 1
    assert finished == [True]
    assert time.monotonic() - started < 5  # did not sleep out the 60 s interval
    assert signal.getsignal(signum) is before


def test_a_second_signal_aborts_at_once():
    stop = threading.Event()
    with pytest.raises(KeyboardInterrupt):
        with stop_on_signals(stop):
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(0.05)
            assert stop.is_set()
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(1)


def test_a_stop_during_the_sleep_is_noticed_promptly():
    stop = threading.Event()
    threading.Timer(0.2, stop.set).start()
    started = time.monotonic()

    assert run_loop(lambda s: None, interval_seconds=60, stop=stop) == 1
    assert time.monotonic() - started < 2


def test_outside_the_main_thread_no_handler_is_installed():
    outcome = []

    def worker():
        try:
            outcome.append(run_loop(lambda s: None, interval_seconds=0.01, iterations=2))
        except ValueError as exc:  # signal.signal outside the main thread
            outcome.append(exc)

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join()
    assert outcome == [2]


def test_a_failing_round_is_logged_and_the_loop_goes_on(caplog):
    calls = []

    def flaky(stop):
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("MongoDB went away")

    assert run_loop(flaky, interval_seconds=0.01, iterations=2) == 2
    assert any(getattr(r, "event", "") == "loop_round_failed" for r in caplog.records)


def test_a_configuration_error_ends_the_loop():
    def broken(stop):
        raise ConfigError("TOKEN_ENCRYPTION_KEY is not set")

    with pytest.raises(ConfigError):
        run_loop(broken, interval_seconds=0.01, iterations=3)


def test_until_stopped_yields_nothing_after_a_stop():
    stop = threading.Event()
    taken = []
    for item in until_stopped([1, 2, 3], stop):
        taken.append(item)
        stop.set()
    assert taken == [1]


def test_nothing_to_sync_waits_but_a_usage_error_ends_the_loop():
    class Nothing(click.ClickException):
        exit_code = 1

    def none_yet():
        raise Nothing("no active connections")

    assert loop_connections(none_yet, lambda c: 0, interval_seconds=0.01, iterations=2) == 2

    def bad_usage():
        raise click.UsageError("use --tenant or --connection, not both")

    with pytest.raises(click.UsageError):
        loop_connections(bad_usage, lambda c: 0, interval_seconds=0.01, iterations=2)


# --- metasync sync --loop ----------------------------------------------------------------------------------------
@pytest.fixture
def cli(mongo, redis_client):
    runner = CliRunner()

    def invoke(*args):
        return runner.invoke(main, list(args), catch_exceptions=False)

    return invoke


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


@pytest.mark.parametrize("args", [["--interval", "5"], ["--iterations", "2"], ["--loop", "--interval", "0"],
                                  ["--loop", "--interval", "soon"]])
def test_loop_options_misused_exit_2(cli, args):
    assert cli("sync", *args).exit_code == 2


def test_sigterm_stops_a_sync_loop_process_after_the_current_connection(mongo, redis_client):
    """A real `metasync sync --loop` process against the Graph simulator (each answer takes 300 ms)."""
    config = SimConfig(accounts=2, campaigns=1, ad_sets_per_campaign=1, ads_per_ad_set=1, latency_ms=300,
                       app_id=os.environ["META_APP_ID"], app_secret=os.environ["META_APP_SECRET"])
    first, _ = upsert_connection("t1", "act_1000000001", "EAAsim-first")
    second, _ = upsert_connection("t2", "act_1000000002", "EAAsim-second")
    with SimulatorServer(config) as sim:
        env = {**os.environ, "META_GRAPH_URL": sim.base_url, "LOG_FORMAT": "json"}
        proc = subprocess.Popen([sys.executable, "-m", "metasync.cli", "sync", "--loop", "--interval", "30", "--json"],
                                env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
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
