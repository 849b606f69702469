"""Distributed locks in Redis: a job never runs twice at once, even across machines.

A lock expires on its own if its holder dies (`timeout`), and a live holder keeps extending it from a background
thread, so a long sync keeps its lock while it runs.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from redis.exceptions import LockError, LockNotOwnedError

from metasync.infra.redis_client import get_redis

log = logging.getLogger(__name__)

DEFAULT_LOCK_SECONDS = 300


class LockBusy(Exception):
    """Another worker holds this lock."""

    def __init__(self, name: str = ""):
        super().__init__(name)
        self.name = name

    def __str__(self) -> str:
        return f"lock {self.name!r} is held by another run"


def lock_key(name: str) -> str:
    return f"metasync:lock:{name}"


@contextmanager
def held_lock(
    name: str,
    timeout: float = DEFAULT_LOCK_SECONDS,
    blocking: bool = False,
    blocking_timeout: float | None = None,
    *,
    keeper_wait: Callable[[threading.Event, float], bool] = threading.Event.wait,
) -> Iterator[None]:
    """Hold `name` for the duration of the block, extending it every timeout/3 seconds; LockBusy if taken.

    `keeper_wait(stop, seconds)` is how the keeper waits between extensions (True once stopped); tests step it."""
    lock = get_redis().lock(lock_key(name), timeout=timeout, thread_local=False)
    if not lock.acquire(blocking=blocking, blocking_timeout=blocking_timeout):
        raise LockBusy(name)
    stop = threading.Event()

    def keep_alive() -> None:
        while not keeper_wait(stop, timeout / 3):
            try:
                lock.reacquire()
            except LockError:
                log.warning("lost lock %s while running", name, extra={"event": "lock_lost", "lock": name})
                return

    keeper = threading.Thread(target=keep_alive, name=f"lock-keeper:{name}", daemon=True)
    keeper.start()
    try:
        yield
    finally:
        stop.set()
        keeper.join(timeout=5)
        try:
            lock.release()
        except (LockNotOwnedError, LockError):
            log.warning("lock %s expired before release", name, extra={"event": "lock_expired", "lock": name})


def connection_lock(connection_id: str, kind: str = "sync", **kwargs):
    """The per-connection lock shared by Celery tasks, loop mode and the CLI."""
    return held_lock(f"connection:{connection_id}:{kind}", **kwargs)


def is_locked(name: str) -> bool:
    return bool(get_redis().exists(lock_key(name)))
