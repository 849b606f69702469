"""Distributed locks: one holder at a time, expiry after a crash, extension while a long job runs."""

from __future__ import annotations

import threading

import pytest

from metasync.infra.locks import LockBusy, connection_lock, held_lock, is_locked, lock_key
from tests.helpers import wait_until_expired

pytestmark = pytest.mark.services


class SteppedKeeper:
    """Stands in for the lock keeper's wait between extensions: each `step()` lets exactly one extension run."""

    def __init__(self) -> None:
        self.intervals: list[float] = []
        self._go = threading.Semaphore(0)
        self._waiting = threading.Semaphore(0)

    def __call__(self, stop: threading.Event, seconds: float) -> bool:
        self.intervals.append(seconds)
        self._waiting.release()
        while not stop.is_set():
            if self._go.acquire(timeout=0.01):
                return False
        return True

    def step(self) -> None:
        assert self._waiting.acquire(timeout=5), "the keeper is not waiting"
        self._go.release()
        assert self._waiting.acquire(timeout=5), "the keeper did not come back"  # the extension has been made
        self._waiting.release()


def test_second_holder_is_refused_while_first_runs(redis_client):
    with held_lock("job"):
        with pytest.raises(LockBusy):
            with held_lock("job"):
                pass
    with held_lock("job"):  # free again afterwards
        pass


def test_two_threads_contending_only_one_runs(redis_client):
    ran, refused = [], []
    barrier = threading.Barrier(2)
    other_refused = threading.Event()

    def worker(name):
        barrier.wait()
        try:
            with connection_lock("c1"):
                ran.append(name)
                other_refused.wait(timeout=5)  # hold the lock until the other thread was turned away
        except LockBusy:
            refused.append(name)
            other_refused.set()

    threads = [threading.Thread(target=worker, args=(n,)) for n in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert len(ran) == 1 and len(refused) == 1


def test_lock_of_a_crashed_holder_expires(redis_client):
    # A worker that died holding the lock leaves only a key with a TTL behind.
    redis_client.set(lock_key("connection:c2:sync"), "dead-worker-token", px=300)
    with pytest.raises(LockBusy):
        with connection_lock("c2"):
            pass
    wait_until_expired(redis_client, lock_key("connection:c2:sync"))
    with connection_lock("c2"):
        assert is_locked("connection:c2:sync")
    assert not is_locked("connection:c2:sync")


def test_long_job_keeps_extending_its_lock(redis_client):
    keeper = SteppedKeeper()
    with held_lock("long", timeout=60, keeper_wait=keeper):
        redis_client.pexpire(lock_key("long"), 500)  # as if most of the minute had gone by
        keeper.step()
        assert redis_client.pttl(lock_key("long")) > 59_000  # extended to the whole timeout again
        keeper.step()
        assert keeper.intervals[:2] == [20.0, 20.0]  # every timeout/3
        with pytest.raises(LockBusy):
            with held_lock("long", timeout=0.6):
                pass
    assert not is_locked("long")


def test_locks_are_per_connection_and_kind(redis_client):
    with connection_lock("c1"):
        with connection_lock("c2"):
            with connection_lock("c1", "performance"):
                pass


def test_a_connection_lock_outlives_its_holder_by_seconds_not_minutes(redis_client):
    with connection_lock("c3"):
        ttl_ms = redis_client.pttl(lock_key("connection:c3:sync"))
    assert 0 < ttl_ms <= 30_000


def test_an_owner_takes_over_the_lock_its_dead_attempt_left_behind(redis_client):
    # what a SIGKILLed worker child leaves: the lock, under the task's id, still within its timeout
    redis_client.set(lock_key("connection:c4:sync"), b"task:abc", px=30_000)

    with pytest.raises(LockBusy) as busy:
        with connection_lock("c4", owner="task:other"):
            pass
    assert busy.value.holder == "task:abc"
    with connection_lock("c4", owner="task:abc"):
        assert redis_client.get(lock_key("connection:c4:sync")) == b"task:abc"
    assert not is_locked("connection:c4:sync")
