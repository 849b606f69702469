"""`InsightsEngine`: a world's insights rows, computed when asked for (group totals per day cached per world
version) and paged by position (see `insights_query`)."""

from __future__ import annotations

import threading

from .insights_breakdowns import AudienceWeights, split_vector
from .insights_metrics import IMPR, DailyMetrics, combine
from .insights_query import Group, InsightsQuery, QueryBuilder
from .insights_rows import RowRenderer
from .store import ObjectStore


class InsightsEngine:
    def __init__(self, world: ObjectStore) -> None:
        self.world = world
        self.metrics = DailyMetrics(world.config.seed, world.ads)
        self.queries = QueryBuilder(world)
        self.rows = RowRenderer(world.objects)
        self.audience = AudienceWeights(world.config.seed, world.ads)
        self._cell_cache: dict[tuple, list[int] | None] = {}
        self._parts_cache: dict[tuple, list[list[int] | None]] = {}
        self._lock = threading.Lock()

    def build_query(self, account: dict, scope: dict, params: dict[str, str]) -> InsightsQuery:
        return self.queries.build(account, scope, params)

    def add_extra(self, ad_idx: int, ordinal: int, cents: int, impressions: int) -> None:
        self.metrics.add_extra(ad_idx, ordinal, cents, impressions)

    # --------------------------------------------------------------- cells
    def group_day(self, group: Group, ordinal: int) -> list[int] | None:
        extra = self.metrics.extra
        if ordinal < group.first or ordinal > group.last:
            if not extra:
                return None
        if len(group.ads) == 1:
            return self.metrics.ad_day(group.ads[0], ordinal)
        key = (self.world.version, group.key, ordinal)
        try:
            return self._cell_cache[key]
        except KeyError:
            pass
        ad_day = self.metrics.ad_day
        vecs = [v for v in (ad_day(i, ordinal) for i in group.ads) if v is not None]
        cell = combine(vecs)
        with self._lock:
            if len(self._cell_cache) > 200_000:
                self._cell_cache.clear()
            self._cell_cache[key] = cell
        return cell

    def group_bucket(
        self, group: Group, bucket: tuple[int, int], window: tuple[int, int] | None = None
    ) -> list[int] | None:
        lo, hi = bucket
        w_lo, w_hi = window or self.world.clock.data_window()
        lo, hi = max(lo, w_lo), min(hi, w_hi)
        if not self.metrics.extra:
            lo, hi = max(lo, group.first), min(hi, group.last)
        if lo > hi:
            return None
        if lo == hi:
            return self.group_day(group, lo)
        vecs = [v for v in (self.group_day(group, d) for d in range(lo, hi + 1)) if v is not None]
        return combine(vecs)

    def group_bucket_parts(
        self, q: InsightsQuery, group: Group, bucket: tuple[int, int], window: tuple[int, int]
    ) -> list[list[int] | None]:
        """The group's vector over the bucket, per breakdown combination: each (ad, day) split, then summed."""
        key = (self.world.version, group.key, bucket, window, q.breakdowns.names)
        hit = self._parts_cache.get(key)
        if hit is not None:
            return hit
        combos = len(q.breakdowns.combos)
        lo, hi = max(bucket[0], window[0]), min(bucket[1], window[1])
        if not self.metrics.extra:
            lo, hi = max(lo, group.first), min(hi, group.last)
        per_combo: list[list[list[int]]] = [[] for _ in range(combos)]
        for ad in group.ads:
            weights = None
            for day in range(lo, hi + 1):
                vec = self.metrics.ad_day(ad, day)
                if vec is None:
                    continue
                weights = weights or self.audience.weights(ad, q.breakdowns)
                for c, part in enumerate(split_vector(vec, weights)):
                    if part is not None:
                        per_combo[c].append(part)
        parts = [combine(vecs) for vecs in per_combo]
        with self._lock:
            if len(self._parts_cache) > 4096:
                self._parts_cache.clear()
            self._parts_cache[key] = parts
        return parts

    def estimate_rows(self, q: InsightsQuery) -> int:
        """Meta-style up-front estimate: objects x time buckets that touch the data window (x combinations)."""
        w_lo, w_hi = self.world.clock.data_window()
        live = sum(1 for lo, hi in q.buckets if hi >= w_lo and lo <= w_hi)
        return live * q.per_bucket

    # -------------------------------------------------------------- paging
    def _vec_at(self, q: InsightsQuery, pos: int, window: tuple[int, int]) -> list[int] | None:
        b, rest = divmod(pos, q.per_bucket)
        gi, c = divmod(rest, q.combos)
        if q.breakdowns is None:
            vec = self.group_bucket(q.groups[gi], q.buckets[b], window)
        else:
            vec = self.group_bucket_parts(q, q.groups[gi], q.buckets[b], window)[c]
        return vec if vec is not None and vec[IMPR] > 0 else None

    def _row_at(self, q: InsightsQuery, pos: int, window: tuple[int, int]) -> dict | None:
        vec = self._vec_at(q, pos, window)
        if vec is None:
            return None
        b, rest = divmod(pos, q.per_bucket)
        gi, c = divmod(rest, q.combos)
        return self.rows.render(q, q.groups[gi], q.buckets[b], vec, c)

    @staticmethod
    def _bucket_live(q: InsightsQuery, b: int, window: tuple[int, int]) -> bool:
        lo, hi = q.buckets[b]
        return hi >= window[0] and lo <= window[1]

    def page(
        self, q: InsightsQuery, limit: int, after: int | None = None, before: int | None = None
    ) -> tuple[list[dict], int | None, int | None, bool, bool]:
        """Rows of one page: (rows, first position, last position, has_previous, has_next)."""
        total = q.positions
        g = q.per_bucket
        rows: list[dict] = []
        positions: list[int] = []
        if total == 0:
            return rows, None, None, False, False
        window = self.world.clock.data_window()
        if before is not None:
            pos = min(before, total) - 1
            while pos >= 0 and len(rows) < limit:
                b = pos // g
                if not self._bucket_live(q, b, window):
                    pos = b * g - 1
                    continue
                row = self._row_at(q, pos, window)
                if row is not None:
                    rows.append(row)
                    positions.append(pos)
                pos -= 1
            rows.reverse()
            positions.reverse()
            has_prev = self._find(q, pos, -1, window) is not None
            has_next = bool(positions) and self._find(q, positions[-1] + 1, 1, window) is not None
        else:
            pos = 0 if after is None else after + 1
            while pos < total and len(rows) < limit:
                b = pos // g
                if not self._bucket_live(q, b, window):
                    pos = (b + 1) * g
                    continue
                row = self._row_at(q, pos, window)
                if row is not None:
                    rows.append(row)
                    positions.append(pos)
                pos += 1
            has_next = bool(positions) and self._find(q, pos, 1, window) is not None
            has_prev = bool(positions) and after is not None and positions[0] > 0
        if not positions:
            return rows, None, None, False, False
        return rows, positions[0], positions[-1], has_prev, has_next

    def _find(self, q: InsightsQuery, pos: int, step: int, window: tuple[int, int]) -> int | None:
        """The next position (scanning by `step`) that has a row, or None."""
        total = q.positions
        g = q.per_bucket
        while 0 <= pos < total:
            b = pos // g
            if not self._bucket_live(q, b, window):
                pos = (b + 1) * g if step > 0 else b * g - 1
                continue
            if self._vec_at(q, pos, window) is not None:
                return pos
            pos += step
        return None

    def all_rows(self, q: InsightsQuery) -> list[dict]:
        rows, _, _, _, _ = self.page(q, limit=10**9)
        return rows
