"""Fan-out: enqueue one task per connection that may sync, spread over the schedule interval.

A thousand connections must not hit Meta in the same second, so connection i of n starts at about i/n of the
spread window (a share of the interval, so one round ends before the next begins), plus a little jitter.
"""

from __future__ import annotations

import logging
import random
from typing import TYPE_CHECKING, Any

from metasync.infra import db
from metasync.infra.locks import LockBusy, held_lock
from metasync.store.documents import SYNCABLE_STATUSES, MetaConnection

if TYPE_CHECKING:
    from metasync.graph.ratelimit import RateLimiter

log = logging.getLogger(__name__)

# Spread the round over this share of the interval, so it ends before the next round is enqueued.
SPREAD_SHARE = 0.8
# Jitter is at most half a slot (so the order holds) and at most this many seconds.
MAX_JITTER_SECONDS = 30.0
# Time left between the latest start and the Redis visibility timeout, on top of the task time limit.
VISIBILITY_MARGIN_SECONDS = 300


def max_countdown_seconds(conf) -> float | None:
    """Longest safe countdown for this Celery config: a delayed task not finished within the broker's visibility
    timeout is delivered a second time, so start + time limit must stay inside it."""
    visibility = (getattr(conf, "broker_transport_options", None) or {}).get("visibility_timeout")
    if not visibility:
        return None
    return max(0.0, float(visibility) - float(getattr(conf, "task_time_limit", None) or 0) - VISIBILITY_MARGIN_SECONDS)


def spread_countdowns(count: int, window_seconds: float, rng: random.Random | None = None) -> list[float]:
    """`count` start delays evenly spaced over `window_seconds`, each with jitter smaller than half its slot."""
    if count <= 0:
        return []
    rng = rng or random.Random()
    slot = max(0.0, window_seconds) / count
    jitter = min(slot / 2, MAX_JITTER_SECONDS)
    return [round(i * slot + rng.uniform(0, jitter), 3) for i in range(count)]


def _default_limiter() -> RateLimiter:
    from metasync.graph.client import default_client

    return default_client().limiter


def fan_out(
    task,
    interval_seconds: float,
    kwargs: dict[str, Any] | None = None,
    *,
    limiter: RateLimiter | None = None,
    rng: random.Random | None = None,
    max_spread_seconds: float | None = None,
) -> dict[str, Any]:
    """Enqueue `task(connection_id, **kwargs)` once per connection that may sync; returns a summary.

    EXPIRED, DISABLED and ACCOUNT_INACTIVE connections are skipped, and so are those whose ad account is paused by
    rate limits (Meta's advice: stop calling a limited account and move on; the next round picks it up). Each skip
    is logged.
    Only ids go into the messages; the task re-reads the connection when it runs.
    """
    db.connect()
    limiter = limiter or _default_limiter()
    if max_spread_seconds is None:
        max_spread_seconds = max_countdown_seconds(task.app.conf) if getattr(task, "app", None) else None
    window = max(0.0, interval_seconds * SPREAD_SHARE)
    if max_spread_seconds is not None:
        window = min(window, max_spread_seconds)

    rows = MetaConnection.objects.only("id", "tenant_id", "ad_account_id", "status").order_by("id").as_pymongo()
    skipped = {"expired": 0, "disabled": 0, "account_inactive": 0, "paused": 0}
    ready: list[str] = []
    for row in rows:
        fields = {
            "connection_id": str(row["_id"]),
            "tenant_id": row.get("tenant_id"),
            "ad_account_id": row.get("ad_account_id"),
            "task": task.name,
        }
        status = row.get("status") or "ACTIVE"
        if status not in SYNCABLE_STATUSES:
            skipped[status.lower()] = skipped.get(status.lower(), 0) + 1
            log.info(
                "connection %s is %s; not enqueued",
                fields["connection_id"],
                status,
                extra={"event": "fanout_skipped", "reason": status.lower(), **fields},
            )
            continue
        paused = limiter.paused_for(row["ad_account_id"]) if row.get("ad_account_id") else 0.0
        if paused > 0:
            skipped["paused"] += 1
            log.info(
                "ad account %s is paused by rate limits for %.0fs; not enqueued this round",
                row["ad_account_id"],
                paused,
                extra={"event": "fanout_skipped", "reason": "rate_limited", "paused_seconds": round(paused), **fields},
            )
            continue
        ready.append(fields["connection_id"])

    countdowns = spread_countdowns(len(ready), window, rng)
    for connection_id, countdown in zip(ready, countdowns, strict=True):
        # A task still waiting when the next round is enqueued is superseded by it: let the broker drop it.
        task.apply_async(
            args=[connection_id], kwargs=dict(kwargs or {}), countdown=countdown, expires=countdown + interval_seconds
        )
    summary = {
        "task": task.name,
        "enqueued": len(ready),
        "skipped": skipped,
        "interval_seconds": interval_seconds,
        "spread_seconds": round(window, 3),
    }
    log.info(
        "%s enqueued for %d connections over %.0fs",
        task.name,
        len(ready),
        window,
        extra={
            "event": "fanout_finished",
            "task": task.name,
            "enqueued": len(ready),
            "skipped_expired": skipped["expired"],
            "skipped_disabled": skipped["disabled"],
            "skipped_account_inactive": skipped["account_inactive"],
            "skipped_paused": skipped["paused"],
            "spread_seconds": round(window),
        },
    )
    return summary


def locked_fan_out(task, interval_seconds: float, kwargs: dict[str, Any] | None = None, **options) -> dict[str, Any]:
    """`fan_out` under the Redis lock `fanout:<task name>`, so two rounds of the same task never run at once
    (two beats started by mistake, a manual trigger during the scheduled one, a redelivered message)."""
    try:
        with held_lock(f"fanout:{task.name}"):
            return fan_out(task, interval_seconds, kwargs, **options)
    except LockBusy:
        log.warning(
            "another %s round is running; this one does nothing",
            task.name,
            extra={"event": "fanout_skipped_locked", "task": task.name},
        )
        return {"task": task.name, "enqueued": 0, "locked": True}
