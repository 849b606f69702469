"""Counters every process shares, in Redis: totals (for Prometheus) and per-hour series (for the dashboard).

`count("graph_calls", edge="campaigns", outcome="ok")` adds to the labelled total and to the current UTC hour's
bucket, in one round trip. Web workers, Celery workers and the CLI all count into the same keys, so every reader
(any gunicorn worker answering `/metrics`, the dashboard) sees the same numbers. Hour buckets expire after
`HOURS_KEPT`; totals never do (Prometheus computes rates from them). Counting never breaks the caller: a Redis
error is logged once per process and the count is dropped.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable

import redis

from metasync.infra.redis_client import get_redis

log = logging.getLogger(__name__)

PREFIX = "metasync:counts:"
HOURS_KEPT = 48
_warned = False


def _labels(labels: dict[str, str]) -> str:
    """A stable field name for a label set: `edge=campaigns,outcome=ok` (sorted; `,` and `=` removed from values)."""
    return ",".join(f"{k}={str(v).replace(',', '_').replace('=', '_')}" for k, v in sorted(labels.items()))


def parse_labels(field: str) -> dict[str, str]:
    return dict(part.split("=", 1) for part in field.split(",") if "=" in part)


def _hour(ts: float) -> int:
    return int(ts // 3600) * 3600


def count(name: str, n: float = 1, client: redis.Redis | None = None, now: float | None = None, **labels: str) -> None:
    """Add `n` to counter `name` with these labels (total and the current hour)."""
    global _warned
    field = _labels(labels)
    hour_key = f"{PREFIX}{name}:h:{_hour(now if now is not None else time.time())}"
    try:
        pipe = (client or get_redis()).pipeline(transaction=False)
        pipe.hincrbyfloat(f"{PREFIX}{name}:total", field, n)
        pipe.hincrbyfloat(hour_key, field, n)
        pipe.expire(hour_key, HOURS_KEPT * 3600)
        pipe.execute()
    except redis.RedisError as exc:
        if not _warned:
            _warned = True
            log.warning("counter %s not recorded (Redis: %s)", name, exc.__class__.__name__)


def totals(name: str, client: redis.Redis | None = None) -> dict[str, float]:
    """Every label set of `name` with its total since counting began: `{"edge=campaigns,outcome=ok": 12.0}`."""
    raw = (client or get_redis()).hgetall(f"{PREFIX}{name}:total")
    return {_decode(k): float(v) for k, v in raw.items()}


def hourly(
    name: str, hours: int = 24, client: redis.Redis | None = None, now: float | None = None
) -> list[tuple[int, dict[str, float]]]:
    """The last `hours` UTC hours (oldest first) as (hour start, unix seconds; {labels: count}); empty hours too."""
    end = _hour(now if now is not None else time.time())
    starts = [end - 3600 * i for i in range(hours - 1, -1, -1)]
    pipe = (client or get_redis()).pipeline(transaction=False)
    for start in starts:
        pipe.hgetall(f"{PREFIX}{name}:h:{start}")
    return [
        (start, {_decode(k): float(v) for k, v in raw.items()})
        for start, raw in zip(starts, pipe.execute(), strict=True)
    ]


def summed(buckets: Iterable[tuple[int, dict[str, float]]], **match: str) -> list[tuple[int, float]]:
    """Per hour, the sum over label sets that have every `match` label: e.g. `summed(hourly(...), outcome="ok")`."""
    out = []
    for start, values in buckets:
        total = 0.0
        for field, value in values.items():
            labels = parse_labels(field)
            if all(labels.get(k) == v for k, v in match.items()):
                total += value
        out.append((start, total))
    return out


def _decode(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
