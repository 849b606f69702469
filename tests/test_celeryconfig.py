"""Celery configuration: every scheduled task exists, messages are JSON only, late acks are safe with Redis."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings

import pytest

import celeryconfig
from metasync.celery import app
from metasync.ops.fanout import max_countdown_seconds
from tasks.base import MAX_TASK_RETRIES, retry_countdown


@pytest.fixture(scope="module")
def registered():
    app.loader.import_default_modules()
    return set(app.tasks)


def test_every_task_in_the_beat_schedule_is_registered(registered):
    scheduled = {entry["task"] for entry in celeryconfig.beat_schedule.values()}
    assert scheduled >= {"sync_all_connections", "sync_all_performance", "refresh_tokens"}
    assert scheduled <= registered, f"scheduled but not registered: {sorted(scheduled - registered)}"


def test_every_tasks_module_is_imported_by_workers():
    import pkgutil

    import tasks

    modules = {f"tasks.{m.name}" for m in pkgutil.iter_modules(tasks.__path__) if m.name != "base"}
    assert set(app.conf.imports) == modules


def test_messages_are_json_only():
    assert app.conf.task_serializer == "json" and app.conf.result_serializer == "json"
    assert list(app.conf.accept_content) == ["json"]


def test_late_acks_with_a_visibility_timeout_longer_than_any_task_can_take():
    """Redis hands an unacknowledged message to another worker after the visibility timeout: it must outlast the
    longest run plus the longest countdown (a retry, or a fan-out's spread), or tasks run twice."""
    assert app.conf.task_acks_late is True and app.conf.task_reject_on_worker_lost is True
    visibility = app.conf.broker_transport_options["visibility_timeout"]
    longest_retry = retry_countdown(MAX_TASK_RETRIES - 1) + 30  # the jitter's upper bound
    assert app.conf.task_soft_time_limit < app.conf.task_time_limit
    assert visibility > app.conf.task_time_limit + longest_retry
    assert visibility > app.conf.task_time_limit + max_countdown_seconds(app.conf)
    assert app.conf.worker_prefetch_multiplier == 1


def test_every_task_is_acknowledged_only_after_it_ran(registered):
    """A message is given back when its worker dies mid-task (task_reject_on_worker_lost) only if acked late."""
    ours = sorted(name for name in registered if not name.startswith("celery."))
    assert ours and [name for name in ours if not app.tasks[name].acks_late] == []


def test_one_beat_only_through_redbeat():
    assert app.conf.beat_scheduler == "redbeat.RedBeatScheduler"
    assert app.conf.redbeat_redis_url == app.conf.result_backend


def test_redbeat_configuration_is_explicit():
    """Without explicit redbeat settings every beat start warns (and redbeat 2.5 changes behaviour)."""
    from redbeat.schedulers import RedBeatConfig

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        RedBeatConfig(app)


def test_schedule_intervals_come_from_the_environment():
    code = (
        "import json, celeryconfig as c; "
        "print(json.dumps({k: v['schedule'].total_seconds() for k, v in c.beat_schedule.items()}))"
    )
    env = {
        **os.environ,
        "META_SYNC_INTERVAL_MINUTES": "15",
        "PERFORMANCE_SYNC_INTERVAL_MINUTES": "120",
        "ACCOUNT_RECHECK_INTERVAL_MINUTES": "240",
        "REPORTS_CHECK_INTERVAL_MINUTES": "30",
    }
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    seconds = {entry: value for entry, value in json.loads(proc.stdout).items()}
    by_task = {celeryconfig.beat_schedule[name]["task"]: value for name, value in seconds.items()}
    assert by_task == {
        "sync_all_connections": 900,
        "sync_all_performance": 7200,
        "refresh_tokens": 86400,
        "pick_up_changes": 60,
        "reap_crashed_runs": 60,
        "recheck_inactive_accounts": 14400,
        "pull_all_due_reports": 1800,
    }
