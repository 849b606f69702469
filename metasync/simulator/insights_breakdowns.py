"""Breakdowns: each (ad, day) vector split exactly over the values of the asked-for breakdowns.

An ad's audience leans its own way (per-ad weights from a hash of seed, ad id and value; some values get none, so
rows are sparse). Impressions are apportioned by those weights with the largest-remainder rule, and every other
metric by the parts of the metric it derives from (clicks by impressions, revenue by purchases, a window by its
conversions), so the parts of every additive metric sum exactly to the unbroken vector and no part has revenue
without purchases or a 1-day-view count above its conversions.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from hashlib import blake2b
from itertools import product

from .insights_metrics import (
    CLICK_1D,
    CLICKS,
    CONVERSION_INDEXES,
    COUNT_OF_VALUE,
    IMPR,
    LINK,
    LPV,
    OUTBOUND,
    REACH,
    THRUPLAY,
    VECTOR_LEN,
    VIDEO_P25,
    VIDEO_P50,
    VIDEO_P75,
    VIDEO_P95,
    VIDEO_P100,
    VIDEO_PLAY,
    VIEW_1D,
)

PLACEMENTS = {
    "facebook": ("feed", "marketplace", "video_feeds", "story", "facebook_reels", "right_hand_column", "search"),
    "instagram": ("stream", "story", "explore", "reels", "profile_feed"),
    "audience_network": ("classic", "rewarded_video"),
    "messenger": ("messenger_inbox", "messenger_stories"),
}
HOURS = tuple(f"{h:02d}:00:00 - {h:02d}:59:59" for h in range(24))
# Share of a day's delivery per hour (percent x 10): quiet nights, a lunch bump, a busy evening.
HOUR_SHAPE = (12, 8, 6, 5, 5, 8, 18, 32, 44, 50, 52, 56, 60, 56, 52, 50, 52, 58, 66, 72, 74, 66, 48, 28)
AXIS_VALUES: dict[str, tuple[str, ...]] = {
    "age": ("18-24", "25-34", "35-44", "45-54", "55-64", "65+"),
    "gender": ("female", "male", "unknown"),
    "country": ("US", "GB", "DE", "FR", "CA", "AU", "ES", "IT", "NL", "BR"),
    "region": ("California", "Texas", "New York", "Florida", "Ontario", "England", "Bavaria", "Catalonia"),
    "dma": ("New York", "Los Angeles", "Chicago", "Philadelphia", "Dallas-Ft. Worth", "San Francisco-Oak-San Jose"),
    "impression_device": ("iphone", "android_smartphone", "ipad", "android_tablet", "desktop", "other"),
    "device_platform": ("mobile_app", "mobile_web", "desktop"),
    "publisher_platform": tuple(PLACEMENTS),
    "hourly_stats_aggregated_by_advertiser_time_zone": HOURS,
    "hourly_stats_aggregated_by_audience_time_zone": HOURS,
}
# Breakdowns the world models; Meta's others (product_id, frequency_value) need catalogs and people it has not.
MODELLED = frozenset(AXIS_VALUES) | {"platform_position"}


def _parent_of() -> dict[int, int]:
    """The metric whose parts apportion each metric (impressions, the root, is split by the audience weights)."""
    parent = {i: IMPR for i in range(VECTOR_LEN)}
    parent.update({LINK: CLICKS, LPV: LINK, OUTBOUND: LINK, VIDEO_P25: VIDEO_PLAY, THRUPLAY: VIDEO_PLAY})
    parent.update({VIDEO_P50: VIDEO_P25, VIDEO_P75: VIDEO_P50, VIDEO_P95: VIDEO_P75, VIDEO_P100: VIDEO_P95})
    parent.update(COUNT_OF_VALUE)
    for i in CONVERSION_INDEXES:
        parent[VIEW_1D[i]] = i
    for value, count in COUNT_OF_VALUE.items():
        # A value's windows go where its count's windows went.
        parent[VIEW_1D[value]] = VIEW_1D[count]
        parent[CLICK_1D[value]] = CLICK_1D[count]
    del parent[IMPR]
    return parent


PARENT = _parent_of()


def _depth(i: int) -> int:
    depth = 0
    while i in PARENT:
        i, depth = PARENT[i], depth + 1
    return depth


# Parents before children; the counts' 1-day-click parts are apportioned by their 7-day-click parts, then the
# values' 1-day-click parts by those.
ORDER = sorted((i for i in PARENT if i not in CLICK_1D.values()), key=_depth)
VALUE_CLICKS = tuple(CLICK_1D[value] for value in COUNT_OF_VALUE)


def apportion(total: int, weights: list[int]) -> list[int]:
    """`total` split in proportion to `weights`, exactly (largest remainder, ties to the first)."""
    n = len(weights)
    if total == 0:
        return [0] * n
    whole = sum(weights)
    if whole <= 0:
        return [total] + [0] * (n - 1)
    parts = [total * w // whole for w in weights]
    left = total - sum(parts)
    if left:
        by_remainder = sorted(range(n), key=lambda j: (-(total * weights[j] % whole), j))
        for j in by_remainder[:left]:
            parts[j] += 1
    return parts


def split_vector(vec: list[int], weights: list[int]) -> list[list[int] | None]:
    """The vector's part per combination (None where it had no impressions)."""
    n = len(weights)
    cols: list[list[int] | None] = [None] * VECTOR_LEN
    cols[IMPR] = apportion(vec[IMPR], weights)
    zero = [0] * n
    for i in ORDER:
        if not vec[i]:
            cols[i] = zero
            continue
        base = cols[PARENT[i]]
        cols[i] = apportion(vec[i], base if vec[PARENT[i]] else cols[IMPR])
    for i in CONVERSION_INDEXES:
        j = CLICK_1D[i]
        if i in COUNT_OF_VALUE or not vec[j]:
            cols[j] = zero
            continue
        seven_day = [a - b for a, b in zip(cols[i], cols[VIEW_1D[i]], strict=True)]
        cols[j] = apportion(vec[j], seven_day if any(seven_day) else cols[IMPR])
    for j in VALUE_CLICKS:
        if vec[j]:
            cols[j] = apportion(vec[j], cols[PARENT[j]] if vec[PARENT[j]] else cols[IMPR])
    impressions = cols[IMPR]
    parts: list[list[int] | None] = [None] * n
    for k in range(n):
        if impressions[k] > 0:
            part = parts[k] = [col[k] for col in cols]
            # Reach counts people, not impressions: a value that had impressions reached someone (and reach is
            # never additive, so the parts need not sum to the whole).
            part[REACH] = max(1, part[REACH])
    return parts


@dataclass(frozen=True)
class BreakdownSet:
    """The asked-for breakdowns: their names (in the order asked) and every combination of values."""

    names: tuple[str, ...]
    axes: tuple[str, ...]  # value axes: "placement" stands for publisher_platform + platform_position
    sizes: tuple[int, ...]  # values per axis
    combos: tuple[tuple[str, ...], ...]  # one value per axis

    def row_values(self, combo: tuple[str, ...]) -> dict[str, str]:
        out: dict[str, str] = {}
        for axis, value in zip(self.axes, combo, strict=True):
            if axis == "placement":
                out["publisher_platform"], out["platform_position"] = value.split("/", 1)
            else:
                out[axis] = value
        return {name: out[name] for name in self.names}


def breakdown_set(names: tuple[str, ...]) -> BreakdownSet | None:
    if not names:
        return None
    axes: list[str] = []
    values: list[tuple[str, ...]] = []
    for name in names:
        if name == "platform_position":
            continue
        if name == "publisher_platform" and "platform_position" in names:
            axes.append("placement")
            values.append(tuple(f"{p}/{pos}" for p, positions in PLACEMENTS.items() for pos in positions))
        else:
            axes.append(name)
            values.append(AXIS_VALUES[name])
    return BreakdownSet(tuple(names), tuple(axes), tuple(map(len, values)), tuple(product(*values)))


class AudienceWeights:
    """Per-ad weights of every combination of a breakdown set, computed once per (ad, set)."""

    def __init__(self, seed: int, ads: list[dict]) -> None:
        self._ids = [ad["id"] for ad in ads]
        self._seed = seed
        self._cache: dict[tuple[int, tuple[str, ...]], list[int]] = {}
        self._lock = threading.Lock()

    def weights(self, idx: int, bset: BreakdownSet) -> list[int]:
        key = (idx, bset.names)
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        per_axis = [self._axis(idx, axis, bset) for axis in range(len(bset.axes))]
        out = []
        for combo in product(*(range(len(w)) for w in per_axis)):
            weight = 1
            for axis, k in enumerate(combo):
                weight *= per_axis[axis][k]
            out.append(weight)
        with self._lock:
            if len(self._cache) > 500_000:
                self._cache.clear()
            self._cache[key] = out
        return out

    def _axis(self, idx: int, axis: int, bset: BreakdownSet) -> list[int]:
        name = bset.axes[axis]
        count = bset.sizes[axis]
        digest = blake2b(f"{self._seed}:{self._ids[idx]}:{name}".encode(), digest_size=64).digest()
        raw = [digest[k % 64] ^ (k * 37 % 256) for k in range(count)]
        # About one value in six gets no delivery from this ad (sparse rows), never all of them.
        weights = [0 if r % 6 == 0 else 1 + r for r in raw]
        if name.startswith("hourly"):
            weights = [HOUR_SHAPE[k] * (20 + raw[k] % 10) for k in range(count)]
        if not any(weights):
            weights[0] = 1
        return weights
