"""Each running run beats in Redis (a sorted set of run ids by their last beat), so a run whose process died can be
told from one that is only slow: `reaper.reap_crashed_runs` marks the silent ones CRASHED and re-enqueues them."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from redis.exceptions import RedisError

from metasync.infra.redis_client import get_redis
from metasync.infra.repeat import repeating

log = logging.getLogger(__name__)

ALIVE_KEY = "metasync:runs:alive"
BEAT_SECONDS = 10.0


@contextmanager
def beating(
    run_id: str,
    beat_seconds: float = BEAT_SECONDS,
    wait: Callable[[threading.Event, float], bool] = threading.Event.wait,
) -> Iterator[None]:
    """Beat for `run_id` every `beat_seconds` while the block runs; forget it when the block ends, however."""
    _beat(run_id)
    try:
        with repeating(lambda: _beat(run_id) or True, beat_seconds, f"run-heartbeat:{run_id}", wait):
            yield
    finally:
        try:
            get_redis().zrem(ALIVE_KEY, run_id)
        except RedisError:
            log.warning(
                "run %s ended but Redis did not hear it; the reaper checks its record",
                run_id,
                extra={"event": "heartbeat_unregistered", "run_id": run_id},
            )


def _beat(run_id: str) -> None:
    try:
        get_redis().zadd(ALIVE_KEY, {run_id: time.time()})
    except RedisError as exc:  # a Redis blip must not stop the run; the next beat tries again
        log.warning(
            "heartbeat of run %s not recorded: %s",
            run_id,
            exc.__class__.__name__,
            extra={"event": "heartbeat_failed", "run_id": run_id},
        )


def silent_since(cutoff: float) -> list[str]:
    """Run ids whose last beat is older than `cutoff` (epoch seconds)."""
    return [member.decode() for member in get_redis().zrangebyscore(ALIVE_KEY, "-inf", cutoff)]


def forget(run_id: str) -> None:
    get_redis().zrem(ALIVE_KEY, run_id)


def last_beat(run_id: str) -> float | None:
    """When `run_id` last beat (epoch seconds); None when it is not beating (not running, or already over)."""
    score = get_redis().zscore(ALIVE_KEY, run_id)
    return float(score) if score is not None else None
