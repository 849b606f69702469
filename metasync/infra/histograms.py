"""Histograms every process shares, built on `infra/counters.py`: an observation adds 1 to the bucket it falls in
and its value to the sum, so any reader rebuilds the same cumulative Prometheus histogram."""

from __future__ import annotations

import math
from collections.abc import Sequence

import redis

from metasync.infra.counters import count, parse_labels, totals

# Runs last from a second (one webhook object) to most of an hour (a full sync of a large account).
RUN_DURATION_BUCKETS = (1.0, 5.0, 15.0, 60.0, 300.0, 900.0, 1800.0, 3600.0)


def _bound(le: float) -> str:
    return "+Inf" if math.isinf(le) else f"{le:g}"


def observe(
    name: str, value: float, buckets: Sequence[float], client: redis.Redis | None = None, **labels: str
) -> None:
    """Record one observation of `name` (e.g. a run's seconds) with these labels."""
    le = next((b for b in buckets if value <= b), math.inf)
    count(f"{name}_bucket", 1, client, le=_bound(le), **labels)
    count(f"{name}_sum", value, client, **labels)


def histograms(
    name: str, buckets: Sequence[float], client: redis.Redis | None = None
) -> dict[tuple[tuple[str, str], ...], tuple[list[tuple[str, float]], float]]:
    """Per label set (sorted (name, value) pairs): ([(le, cumulative count)...] ending with +Inf, sum)."""
    per_bucket: dict[tuple[tuple[str, str], ...], dict[str, float]] = {}
    for field, n in totals(f"{name}_bucket", client).items():
        labels = parse_labels(field)
        le = labels.pop("le", "+Inf")
        per_bucket.setdefault(tuple(sorted(labels.items())), {})[le] = n
    sums = {tuple(sorted(parse_labels(f).items())): v for f, v in totals(f"{name}_sum", client).items()}
    out = {}
    for labels, counts in per_bucket.items():
        running, cumulative = 0.0, []
        for le in [*map(_bound, buckets), "+Inf"]:
            running += counts.get(le, 0.0)
            cumulative.append((le, running))
        out[labels] = (cumulative, sums.get(labels, 0.0))
    return out
