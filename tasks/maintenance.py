"""Scheduled maintenance tasks: the entity-sync fan-out (`sync_all_connections`), `refresh_tokens` and the recheck of
stopped ad accounts (`recheck_inactive_accounts`)."""

from __future__ import annotations

from collections.abc import Callable

from pymongo.errors import ConnectionFailure
from redis.exceptions import ConnectionError as RedisConnectionError

from metasync.celery import app
from metasync.connections.tokens import refresh_expiring_tokens
from metasync.infra import db
from metasync.infra.locks import LockBusy, held_lock
from metasync.ops.accounts import recheck_inactive_accounts as recheck_inactive_accounts_now
from metasync.ops.fanout import locked_fan_out
from metasync.runs.reaper import REAP_EVERY_SECONDS, reap_crashed_runs
from metasync.settings import get_settings
from tasks.sync import sync_connection

# A fan-out message older than one interval is superseded by the next beat tick: let the broker drop it.
_SYNC_INTERVAL_SECONDS = get_settings().meta_sync_interval_minutes * 60


# acks_late: a redelivered round only re-enqueues ids, and the per-connection lock and upserts make that harmless.
# No retries: the next beat tick is the retry.
@app.task(
    name="sync_all_connections", acks_late=True, ignore_result=False, max_retries=0, expires=_SYNC_INTERVAL_SECONDS
)
def sync_all_connections() -> dict:
    """Enqueue one `sync_connection` per connection that may sync, spread over META_SYNC_INTERVAL_MINUTES;
    two rounds never run at once (Redis lock)."""
    return locked_fan_out(sync_connection, get_settings().meta_sync_interval_minutes * 60)


# Daily; idempotent (a token exchanged twice is simply renewed twice). Retried only when MongoDB or Redis is away.
@app.task(
    name="refresh_tokens",
    acks_late=True,
    ignore_result=False,
    autoretry_for=(ConnectionFailure, RedisConnectionError),
    retry_backoff=60,
    retry_backoff_max=900,
    max_retries=3,
)
def refresh_tokens() -> dict:
    """Exchange tokens nearing expiry; mark those Meta refuses EXPIRED and log which tenants must re-authenticate."""
    return _one_round_at_a_time("refresh_tokens", refresh_expiring_tokens)


def _one_round_at_a_time(name: str, work: Callable[[], dict]) -> dict:
    """`work()` under the Redis lock `maintenance:<name>`: a second round while one runs does nothing."""
    db.connect()
    try:
        with held_lock(f"maintenance:{name}"):
            return work()
    except LockBusy:
        return {"skipped": "locked"}


# Every minute; idempotent (a run is marked CRASHED once; its work is enqueued only while it is the latest of its
# kind). No retries: the next tick is the retry.
@app.task(name="reap_crashed_runs", acks_late=True, ignore_result=True, max_retries=0, expires=REAP_EVERY_SECONDS)
def reap_crashed_runs_task() -> dict:
    """Mark runs whose heartbeat stopped CRASHED and enqueue their work again (see `metasync.runs.reaper`)."""
    db.connect()
    try:
        with held_lock("maintenance:reap_crashed_runs", timeout=REAP_EVERY_SECONDS):
            return reap_crashed_runs(lambda name, args, kwargs: app.send_task(name, args=args, kwargs=kwargs))
    except LockBusy:
        return {"skipped": "locked"}


# Every ACCOUNT_RECHECK_INTERVAL_MINUTES; idempotent (a node read and, at most, a status set back to ACTIVE).
# Retried only when MongoDB or Redis is away (twice, a minute apart); Graph failures wait for the next round.
@app.task(
    name="recheck_inactive_accounts",
    acks_late=True,
    ignore_result=False,
    autoretry_for=(ConnectionFailure, RedisConnectionError),
    default_retry_delay=60,
    max_retries=2,
)
def recheck_inactive_accounts() -> dict:
    """Read again each ad account Meta reported disabled, unsettled or closed; resume the ones active again."""
    return _one_round_at_a_time("recheck_inactive_accounts", recheck_inactive_accounts_now)
