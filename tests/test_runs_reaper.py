"""Runs whose process died stop beating: the reaper marks them CRASHED and enqueues their work again."""

from __future__ import annotations

import time

import pytest

from metasync.infra.clock import now_ms
from metasync.infra.redis_client import get_redis
from metasync.runs.heartbeat import ALIVE_KEY, beating
from metasync.runs.reaper import STALE_SECONDS, reap_crashed_runs
from metasync.store.documents import SyncRun

pytestmark = pytest.mark.services


def _crashed_run(connection, kind="ENTITIES", **options) -> SyncRun:
    """A RUNNING run whose process stopped beating long ago (as a SIGKILLed worker leaves it)."""
    run = SyncRun.begin(connection, kind, "task", now_ms(), **options)
    get_redis().zadd(ALIVE_KEY, {str(run.id): time.time() - STALE_SECONDS - 5})
    return run


def _reap() -> tuple[dict, list]:
    enqueued = []
    summary = reap_crashed_runs(lambda name, args, kwargs: enqueued.append((name, args, kwargs)))
    return summary, enqueued


def test_a_silent_run_is_marked_crashed_and_its_work_enqueued_again(connection):
    run = _crashed_run(connection, full=True)

    summary, enqueued = _reap()

    run.reload()
    assert run.status == "CRASHED" and run.finished_at is not None and "no heartbeat" in run.errors[0]
    assert summary == {"crashed": 1, "requeued": 1}
    assert enqueued == [("sync_connection", [str(connection.id)], {"full": True})]
    assert get_redis().zscore(ALIVE_KEY, str(run.id)) is None
    assert _reap() == ({"crashed": 0, "requeued": 0}, [])  # once only


@pytest.mark.parametrize(
    "kind,target,expected",
    [
        ("ENTITY", {"level": "AD", "object_id": "55"}, ("sync_entity", ["{id}", "AD", "55"], {})),
        (
            "PERFORMANCE",
            {"since": "2026-11-01", "until": "2026-11-07"},
            ("sync_performance", ["{id}"], {"since": "2026-11-01", "until": "2026-11-07"}),
        ),
        ("PERFORMANCE", {}, ("sync_performance", ["{id}"], {})),
        ("CHANGES", {"change_set_id": "cs-1"}, ("apply_change_set", ["cs-1"], {})),
        (
            "REPORT",
            {"report": "age_gender", "date_preset": "last_7d"},
            ("pull_report", ["{id}", "age_gender"], {"date_preset": "last_7d", "since": None, "until": None}),
        ),
        ("REPORT", {"report": "ages"}, ("pull_due_reports", ["{id}"], {})),
    ],
)
def test_each_kind_is_redone_with_what_it_was_asked(connection, kind, target, expected):
    _crashed_run(connection, kind, target=target)

    _, enqueued = _reap()

    name, args, kwargs = expected
    assert enqueued == [(name, [a.format(id=connection.id) for a in args], kwargs)]


def test_a_crashed_run_with_a_newer_run_of_its_kind_is_not_redone(connection):
    crashed = _crashed_run(connection)
    SyncRun.begin(connection, "ENTITIES", "task", now_ms())  # the redelivered task already started again

    summary, enqueued = _reap()

    assert SyncRun.objects.get(id=crashed.id).status == "CRASHED"
    assert summary == {"crashed": 1, "requeued": 0} and enqueued == []


def test_a_beating_run_and_a_finished_one_are_left_alone(connection):
    live = SyncRun.begin(connection, "ENTITIES", "task", now_ms())
    finished = _crashed_run(connection, "PERFORMANCE")
    finished.update(set__status="SUCCESS")

    with beating(str(live.id)):
        summary, enqueued = _reap()

    assert SyncRun.objects.get(id=live.id).status == "RUNNING"
    assert SyncRun.objects.get(id=finished.id).status == "SUCCESS"
    assert summary == {"crashed": 0, "requeued": 0} and enqueued == []
    assert get_redis().zscore(ALIVE_KEY, str(live.id)) is None  # forgotten when the block ended


def test_the_reaper_waits_longer_than_a_dead_runs_lock_lives():
    # otherwise the work it enqueues again could find the dead run's lock still there and be skipped
    from metasync.infra.locks import CONNECTION_LOCK_SECONDS

    assert STALE_SECONDS > CONNECTION_LOCK_SECONDS


def test_a_crashed_run_is_counted_by_kind_for_metrics(connection):
    from metasync.infra.counters import totals

    _crashed_run(connection, kind="PERFORMANCE")

    _reap()

    assert totals("runs") == {"kind=PERFORMANCE,outcome=crashed": 1.0}
