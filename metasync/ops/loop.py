"""Loop mode without Celery (small installs, cron users): run a round every interval until SIGINT/SIGTERM.

The first signal lets the current connection finish, then the loop exits cleanly; a second one aborts at once.
The per-connection locks are the ones Celery tasks take, so a loop and a worker never sync a connection together.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import click

from metasync.settings import ConfigError

log = logging.getLogger(__name__)

T = TypeVar("T")

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
# The sleep between rounds wakes this often, so a stop is noticed promptly whatever the interval.
SLEEP_STEP_SECONDS = 0.5


@contextmanager
def stop_on_signals(stop: threading.Event, signals: Iterable[signal.Signals] = STOP_SIGNALS) -> Iterator[list[str]]:
    """While inside: the first SIGINT/SIGTERM sets `stop`, a second raises KeyboardInterrupt. Yields the names of
    signals received. Handlers are installed only in the main thread (Python allows no other) and restored after."""
    received: list[str] = []
    if threading.current_thread() is not threading.main_thread():
        yield received
        return

    def handler(signum, _frame):
        # No logging here: a handler runs between two bytecodes of whatever the main thread was doing.
        received.append(signal.Signals(signum).name)
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()

    previous = {sig: signal.signal(sig, handler) for sig in signals}
    try:
        yield received
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def until_stopped(items: Iterable[T], stop: threading.Event) -> Iterator[T]:
    """Yield items until `stop` is set: a stop takes effect between two items, never inside one."""
    for item in items:
        if stop.is_set():
            return
        yield item


def _sleep_until(
    deadline: float, stop: threading.Event, clock: Callable[[], float], wait: Callable[[threading.Event, float], bool]
) -> None:
    while not stop.is_set():
        left = deadline - clock()
        if left <= 0:
            return
        wait(stop, min(SLEEP_STEP_SECONDS, left))


def run_loop(
    iteration: Callable[[threading.Event], Any],
    interval_seconds: float,
    iterations: int | None = None,
    stop: threading.Event | None = None,
    *,
    fatal: tuple[type[BaseException], ...] = (ConfigError,),
    clock: Callable[[], float] = time.monotonic,
    wait: Callable[[threading.Event, float], bool] = threading.Event.wait,
) -> int:
    """Run `iteration(stop)` every `interval_seconds` (start to start; at once if a round ran longer) until
    `stop` is set, a signal arrives or `iterations` rounds ran. Returns the number of rounds run.
    Between rounds it waits with `wait(stop, seconds)` on `clock` (tests pass a fake pair).

    A round that raises is logged and the loop goes on (MongoDB or Meta may be back next time), except for
    `fatal` exceptions such as configuration errors.
    """
    stop = stop or threading.Event()
    rounds = 0
    with stop_on_signals(stop) as received:
        while not stop.is_set():
            started = clock()
            rounds += 1
            try:
                iteration(stop)
            except fatal:
                raise
            except Exception as exc:
                log.error(
                    "loop round %d failed: %s: %s",
                    rounds,
                    exc.__class__.__name__,
                    exc,
                    extra={"event": "loop_round_failed", "round": rounds, "error": exc.__class__.__name__},
                )
            if iterations is not None and rounds >= iterations:
                break
            _sleep_until(started + interval_seconds, stop, clock, wait)
    if received:
        log.warning(
            "%s received: loop stopped after %d rounds",
            received[0],
            rounds,
            extra={"event": "loop_stopped", "signal": received[0], "rounds": rounds},
        )
    return rounds


def loop_connections(
    select: Callable[[], list],
    run: Callable[[Iterable], int],
    interval_seconds: float,
    iterations: int | None = None,
    stop: threading.Event | None = None,
    *,
    clock: Callable[[], float] = time.monotonic,
    wait: Callable[[threading.Event, float], bool] = threading.Event.wait,
) -> int:
    """Loop mode for a CLI command: each round re-selects connections (new ones join, expired ones leave) and
    runs them one by one with `run(connections) -> failures`, stopping between connections after a signal.

    `select` may raise a click exception: a usage error (exit code 2) ends the loop, "nothing to sync yet"
    (exit code 1) waits for the next round. `clock` and `wait` are `run_loop`'s.
    """

    def one_round(stop_event: threading.Event) -> None:
        try:
            connections = select()
        except click.ClickException as exc:
            if exc.exit_code != 1:
                raise
            log.warning("nothing to sync this round: %s", exc.format_message(), extra={"event": "loop_idle"})
            return
        started = time.monotonic()
        failures = run(until_stopped(connections, stop_event))
        log.info(
            "loop round finished: %d connections, %d failed",
            len(connections),
            failures,
            extra={
                "event": "loop_round_finished",
                "connections": len(connections),
                "failures": failures,
                "duration_ms": int((time.monotonic() - started) * 1000),
                "next_in_seconds": round(interval_seconds),
            },
        )

    return run_loop(
        one_round, interval_seconds, iterations, stop, fatal=(ConfigError, click.ClickException), clock=clock, wait=wait
    )


def loop_options(interval_setting: str) -> Callable:
    """`--loop`, `--interval MINUTES` (default: the `interval_setting` variable) and the hidden `--iterations N`
    (tests, or a bounded run), for any command that syncs connections."""

    def decorate(command: Callable) -> Callable:
        command = click.option(
            "--iterations", type=click.IntRange(min=1), default=None, hidden=True, help="Stop after this many rounds."
        )(command)
        command = click.option(
            "--interval",
            type=click.FloatRange(min=0, min_open=True),
            default=None,
            metavar="MINUTES",
            help=f"With --loop: minutes between rounds (default: {interval_setting}).",
        )(command)
        command = click.option(
            "--loop",
            is_flag=True,
            help="Keep running, one round every --interval minutes, until SIGINT/SIGTERM "
            "(the current connection finishes first).",
        )(command)
        return command

    return decorate


def loop_interval_seconds(
    loop: bool, interval_minutes: float | None, iterations: int | None, default_minutes: float
) -> float:
    """Seconds between rounds; `--interval` and `--iterations` only make sense with `--loop`."""
    if not loop and (interval_minutes is not None or iterations is not None):
        raise click.UsageError("--interval and --iterations need --loop")
    return float(interval_minutes if interval_minutes is not None else default_minutes) * 60.0
