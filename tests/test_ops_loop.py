"""Loop mode: rounds an interval apart on an injected clock, a clean stop on SIGINT/SIGTERM after the current
round, and which errors end the loop."""

from __future__ import annotations

import os
import signal
import threading
import time

import click
import pytest

from metasync.ops.loop import SLEEP_STEP_SECONDS, loop_connections, run_loop, stop_on_signals, until_stopped
from metasync.settings import ConfigError


class FakeClock:
    """`clock` and `wait` for run_loop: waiting moves the clock on at once; every wait is recorded."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.waits: list[float] = []

    def __call__(self) -> float:
        return self.now

    def wait(self, stop: threading.Event, seconds: float) -> bool:
        self.waits.append(seconds)
        self.now += seconds
        return stop.is_set()


@pytest.fixture
def clock():
    return FakeClock()


def test_runs_the_asked_number_of_rounds_an_interval_apart(clock):
    starts: list[float] = []

    rounds = run_loop(
        lambda stop: starts.append(clock()), interval_seconds=1.2, iterations=3, clock=clock, wait=clock.wait
    )

    assert rounds == 3 and len(starts) == 3
    gaps = [b - a for a, b in zip(starts, starts[1:], strict=False)]
    assert gaps == [pytest.approx(1.2)] * 2
    assert max(clock.waits) <= SLEEP_STEP_SECONDS  # waits in short steps, so a stop is noticed promptly


def test_a_round_longer_than_the_interval_is_followed_at_once(clock):
    starts: list[float] = []

    def slow(stop):
        starts.append(clock())
        clock.now += 0.15

    run_loop(slow, interval_seconds=0.05, iterations=2, clock=clock, wait=clock.wait)
    assert starts[1] - starts[0] == pytest.approx(0.15)
    assert clock.waits == []


def test_stop_event_ends_the_loop_after_the_current_round(clock):
    stop = threading.Event()
    seen = []

    def round_(event):
        seen.append(len(seen))
        if len(seen) == 2:
            event.set()

    assert run_loop(round_, interval_seconds=0.01, stop=stop, clock=clock, wait=clock.wait) == 2
    assert seen == [0, 1]


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_finishes_the_round_then_stops_and_restores_the_handlers(signum, clock):
    before = signal.getsignal(signum)
    finished = []

    def round_(stop):
        os.kill(os.getpid(), signum)
        stop.wait(timeout=5)  # the handler has run; the rest of the round still runs
        finished.append(stop.is_set())

    assert run_loop(round_, interval_seconds=60, clock=clock, wait=clock.wait) == 1
    assert finished == [True]
    assert clock.waits == []  # did not sleep out the 60 s interval
    assert signal.getsignal(signum) is before


def test_a_second_signal_aborts_at_once():
    stop = threading.Event()
    with pytest.raises(KeyboardInterrupt):
        with stop_on_signals(stop):
            os.kill(os.getpid(), signal.SIGTERM)
            assert stop.wait(timeout=5)
            os.kill(os.getpid(), signal.SIGTERM)
            threading.Event().wait(timeout=5)  # never set: only the interrupt ends this wait


def test_a_stop_during_the_sleep_is_noticed_promptly():
    stop = threading.Event()
    sleeping = threading.Event()

    def real_wait(event: threading.Event, seconds: float) -> bool:
        sleeping.set()
        return threading.Event.wait(event, seconds)  # the default wait: wakes as soon as the stop is set

    stopper = threading.Thread(target=lambda: sleeping.wait(timeout=5) and stop.set())
    stopper.start()
    started = time.monotonic()

    assert run_loop(lambda s: None, interval_seconds=60, stop=stop, wait=real_wait) == 1
    assert time.monotonic() - started < 2
    stopper.join()


def test_outside_the_main_thread_no_handler_is_installed(clock):
    outcome = []

    def worker():
        try:
            outcome.append(run_loop(lambda s: None, interval_seconds=0.01, iterations=2, clock=clock, wait=clock.wait))
        except ValueError as exc:  # signal.signal outside the main thread
            outcome.append(exc)

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join()
    assert outcome == [2]


def test_a_failing_round_is_logged_and_the_loop_goes_on(caplog, clock):
    calls = []

    def flaky(stop):
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("MongoDB went away")

    assert run_loop(flaky, interval_seconds=0.01, iterations=2, clock=clock, wait=clock.wait) == 2
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


def test_nothing_to_sync_waits_but_a_usage_error_ends_the_loop(clock):
    class Nothing(click.ClickException):
        exit_code = 1

    def none_yet():
        raise Nothing("no active connections")

    assert (
        loop_connections(none_yet, lambda c: 0, interval_seconds=0.01, iterations=2, clock=clock, wait=clock.wait) == 2
    )
    assert sum(clock.waits) == pytest.approx(0.01)

    def bad_usage():
        raise click.UsageError("use --tenant or --connection, not both")

    with pytest.raises(click.UsageError):
        loop_connections(bad_usage, lambda c: 0, interval_seconds=0.01, iterations=2, clock=clock, wait=clock.wait)
