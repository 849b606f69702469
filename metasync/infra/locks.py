"""Distributed locks in Redis: a job never runs twice at once, even across machines.

A lock expires on its own if its holder dies (`timeout`), and a live holder keeps extending it from a background
thread (every timeout/3), so a long sync keeps its lock while it runs and a crashed one frees it within seconds.
A lock taken with an `owner` (a Celery task's id) is taken over by the same owner: a task redelivered after its
worker died picks up its own dead attempt's lock instead of being turned away by it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from redis.exceptions import LockError, LockNotOwnedError

from metasync.infra.redis_client import get_redis
from metasync.infra.repeat import repeating

log = logging.getLogger(__name__)

DEFAULT_LOCK_SECONDS = 300
# A connection's run renews its lock every 10 s; 30 s after its process dies, another run may take it.
CONNECTION_LOCK_SECONDS = 30


class LockBusy(Exception):
    """Another worker holds this lock."""

    def __init__(self, name: str = "", holder: str = ""):
        super().__init__(name, holder)
        self.name = name
        self.holder = holder

    def __str__(self) -> str:
        return f"lock {self.name!r} is held by another run" + (f" ({self.holder})" if self.holder else "")


def lock_key(name: str) -> str:
    return f"metasync:lock:{name}"


@contextmanager
def held_lock(
    name: str,
    timeout: float = DEFAULT_LOCK_SECONDS,
    blocking: bool = False,
    blocking_timeout: float | None = None,
    *,
    owner: str | None = None,
    keeper_wait: Callable[[threading.Event, float], bool] = threading.Event.wait,
) -> Iterator[None]:
    """Hold `name` for the duration of the block, extending it every timeout/3 seconds; LockBusy if taken by
    anyone but `owner`.

    `keeper_wait(stop, seconds)` is how the keeper waits between extensions (True once stopped); tests step it."""
    lock = get_redis().lock(lock_key(name), timeout=timeout, thread_local=False)
    token = owner.encode() if owner else None
    if not lock.acquire(blocking=blocking, blocking_timeout=blocking_timeout, token=token) and not _take_over(
        lock, token
    ):
        holder = get_redis().get(lock_key(name))
        raise LockBusy(name, holder.decode(errors="replace") if holder else "")

    def extend() -> bool:
        try:
            return bool(lock.reacquire())
        except LockError:
            log.warning("lost lock %s while running", name, extra={"event": "lock_lost", "lock": name})
            return False

    try:
        with repeating(extend, timeout / 3, f"lock-keeper:{name}", keeper_wait):
            yield
    finally:
        try:
            lock.release()
        except (LockNotOwnedError, LockError):
            log.warning("lock %s expired before release", name, extra={"event": "lock_expired", "lock": name})


def _take_over(lock, token: bytes | None) -> bool:
    """True when the lock is held under `token` (our own earlier attempt, now dead) and is ours again."""
    if token is None or lock.redis.get(lock.name) != token:
        return False
    lock.local.token = token
    try:
        return bool(lock.reacquire())
    except LockError:  # it expired in between: take it the ordinary way
        return bool(lock.acquire(blocking=False, token=token))


def connection_lock(connection_id: str, kind: str = "sync", **kwargs):
    """The per-connection lock shared by Celery tasks, loop mode and the CLI."""
    kwargs.setdefault("timeout", CONNECTION_LOCK_SECONDS)
    return held_lock(f"connection:{connection_id}:{kind}", **kwargs)


def is_locked(name: str) -> bool:
    return bool(get_redis().exists(lock_key(name)))
