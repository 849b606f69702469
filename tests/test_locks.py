"""Distributed locks: one holder at a time, expiry after a crash, extension while a long job runs."""

from __future__ import annotations

import threading
import time

import pytest

from metasync.infra.locks import LockBusy, connection_lock, held_lock, is_locked, lock_key


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

    def worker(name):
        barrier.wait()
        try:
            with connection_lock("c1"):
                ran.append(name)
                time.sleep(0.3)
        except LockBusy:
            refused.append(name)

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
    time.sleep(0.4)
    with connection_lock("c2"):
        assert is_locked("connection:c2:sync")
    assert not is_locked("connection:c2:sync")


def test_long_job_keeps_extending_its_lock(redis_client):
    with held_lock("long", timeout=0.6):
        time.sleep(1.5)  # well past the original timeout
        assert redis_client.pttl(lock_key("long")) > 0
        with pytest.raises(LockBusy):
            with held_lock("long", timeout=0.6):
                pass


def test_locks_are_per_connection_and_kind(redis_client):
    with connection_lock("c1"):
        with connection_lock("c2"):
            with connection_lock("c1", "performance"):
                pass
