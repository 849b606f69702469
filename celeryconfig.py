"""Celery configuration for metasync, read from the environment through `metasync.settings`."""

from datetime import timedelta

from metasync.settings import settings_or_exit

# Worker, beat and every `celery -A metasync` command read their configuration here first: a bad setting stops
# them with one line and exit 2.
_settings = settings_or_exit()

broker_url = _settings.broker_url
result_backend = _settings.redis_url
# The modules that define tasks, loaded by workers only: publishers (the web app) send tasks by name.
imports = (
    "tasks.sync",
    "tasks.performance",
    "tasks.webhooks",
    "tasks.maintenance",
    "tasks.changes",
    "tasks.reports",
)

task_serializer = "json"
result_serializer = "json"
accept_content = ["json"]
result_expires = int(timedelta(days=1).total_seconds())
timezone = "UTC"
enable_utc = True

# Tasks are idempotent upserts: acknowledge after they finish, and give the message back if a worker dies.
task_acks_late = True
task_reject_on_worker_lost = True
worker_prefetch_multiplier = 1
# A sync that runs longer than this is stuck; the soft limit lets it record its failure first.
task_soft_time_limit = int(timedelta(minutes=55).total_seconds())
task_time_limit = int(timedelta(minutes=60).total_seconds())
# Longer than the longest task plus the longest retry countdown, so Redis does not redeliver a running task.
broker_transport_options = {"visibility_timeout": int(timedelta(hours=3).total_seconds())}
result_backend_transport_options = {"visibility_timeout": int(timedelta(hours=3).total_seconds())}
broker_connection_retry_on_startup = True
task_default_queue = "metasync"
worker_hijack_root_logger = False

# One beat only, even if two are started by mistake: redbeat keeps the schedule in Redis behind a lock.
beat_scheduler = "redbeat.RedBeatScheduler"
redbeat_redis_url = _settings.redis_url
redbeat_key_prefix = "metasync:redbeat:"
redbeat_lock_timeout = 300
# Keep retrying Redis for a minute before beat gives up (a Redis restart must not kill beat).
redbeat_redis_options = {"retry_period": 60}

beat_schedule = {
    # Each run expires when the next one is due: a backlog never replays stale fan-outs.
    "sync-all-connections": {
        "task": "sync_all_connections",
        "schedule": timedelta(minutes=_settings.meta_sync_interval_minutes),
        "options": {"expires": _settings.meta_sync_interval_minutes * 60},
    },
    "sync-all-performance": {
        "task": "sync_all_performance",
        "schedule": timedelta(minutes=_settings.performance_sync_interval_minutes),
        "options": {"expires": _settings.performance_sync_interval_minutes * 60},
    },
    "pull-due-reports": {
        "task": "pull_all_due_reports",
        "schedule": timedelta(minutes=_settings.reports_check_interval_minutes),
        "options": {"expires": _settings.reports_check_interval_minutes * 60},
    },
    "reap-crashed-runs": {
        "task": "reap_crashed_runs",
        "schedule": timedelta(seconds=60),
        "options": {"expires": 60},
    },
    # Changes an optimiser writes to `changes`, and deferred ones now due, are applied within a minute.
    "pick-up-changes": {
        "task": "pick_up_changes",
        "schedule": timedelta(seconds=60),
        "options": {"expires": 60},
    },
    # Ad accounts Meta reported disabled, unsettled or closed: read again on this slow cadence (one call each).
    "recheck-inactive-accounts": {
        "task": "recheck_inactive_accounts",
        "schedule": timedelta(minutes=_settings.account_recheck_interval_minutes),
        "options": {"expires": _settings.account_recheck_interval_minutes * 60},
    },
    "refresh-tokens": {
        "task": "refresh_tokens",
        "schedule": timedelta(days=1),
        "options": {"expires": int(timedelta(days=1).total_seconds())},
    },
}
