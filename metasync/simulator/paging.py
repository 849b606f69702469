"""Cursor paging as Graph does it: `limit`, opaque `after` / `before` cursors, absolute next / previous links.
Object edges page by object id (cursor prefix "o"), insights by row position (prefix "r")."""

from __future__ import annotations

import base64
import bisect
from collections.abc import Callable
from urllib.parse import urlencode

from .call import Call
from .config import SimConfig
from .errors import invalid_param
from .faults import Faults
from .insights import InsightsEngine
from .insights_query import InsightsQuery


def encode_cursor(prefix: str, value: int) -> str:
    raw = f"{prefix}:{value}:sim".encode()
    return base64.urlsafe_b64encode(b"\x01QVF" + raw).decode().rstrip("=")


def decode_cursor(prefix: str, cursor: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        tag, value, tail = raw[4:].decode().split(":")
        if tag != prefix or tail != "sim" or not raw.startswith(b"\x01QVF"):
            raise ValueError
        return int(value)
    except (ValueError, UnicodeDecodeError):
        raise invalid_param("(#100) Invalid cursor", subcode=None) from None


def page_bounds(keys: list[int], limit: int, after: int | None, before: int | None) -> tuple[int, int]:
    """The slice of ascending `keys` for a page: after the `after` key, or up to (not including) `before`."""
    if before is not None:
        end = bisect.bisect_left(keys, before)
        return max(0, end - limit), end
    start = bisect.bisect_right(keys, after) if after is not None else 0
    return start, min(len(keys), start + limit)


class Pager:
    """Reads a call's paging parameters and writes the `paging` part of its answer."""

    def __init__(self, config: SimConfig, faults: Faults) -> None:
        self.config = config
        self.faults = faults

    def limit(self, call: Call) -> int:
        raw = call.params.get("limit")
        if raw in (None, ""):
            limit = self.config.default_limit
        else:
            try:
                limit = int(raw)
            except ValueError:
                raise invalid_param("(#100) Param limit must be a non-negative integer") from None
            if limit <= 0:
                limit = self.config.default_limit
        limit = min(limit, self.config.max_limit)
        self.faults.check_page_size(limit)
        return limit

    @staticmethod
    def cursor(call: Call, prefix: str, name: str) -> int | None:
        raw = call.params.get(name)
        return decode_cursor(prefix, raw) if raw else None

    def object_page(
        self,
        call: Call,
        objects: list[dict],
        keys: list[int],
        limit: int,
        render: Callable[[dict], dict],
        backwards: bool = True,
    ) -> dict:
        """One page of id-ordered objects; `backwards=False` ignores `before` (as /me/adaccounts does)."""
        after = self.cursor(call, "o", "after")
        before = self.cursor(call, "o", "before") if backwards and after is None else None
        start, end = page_bounds(keys, limit, after, before)
        body: dict = {"data": [render(o) for o in objects[start:end]]}
        if end > start:
            body["paging"] = self.paging(call, limit, "o", keys[start], keys[end - 1], start > 0, end < len(keys))
        return body

    def insights_page(self, call: Call, insights: InsightsEngine, query: InsightsQuery, limit: int) -> dict:
        after = self.cursor(call, "r", "after")
        before = self.cursor(call, "r", "before") if after is None else None
        rows, first, last, has_prev, has_next = insights.page(query, limit, after, before)
        body: dict = {"data": rows}
        if rows:
            body["paging"] = self.paging(call, limit, "r", first, last, has_prev, has_next)
        return body

    def paging(
        self, call: Call, limit: int, prefix: str, first: int, last: int, has_prev: bool, has_next: bool
    ) -> dict:
        first_cursor, last_cursor = encode_cursor(prefix, first), encode_cursor(prefix, last)
        paging: dict = {"cursors": {"before": first_cursor, "after": last_cursor}}
        if has_prev:
            paging["previous"] = self._page_url(call, limit, before=first_cursor)
        if has_next:
            paging["next"] = self._page_url(call, limit, after=last_cursor)
        return paging

    def _page_url(self, call: Call, limit: int, after: str | None = None, before: str | None = None) -> str:
        pairs = [(k, v) for k, v in call.query_pairs if k not in ("after", "before", "limit")]
        pairs.append(("limit", str(limit)))
        if after is not None:
            pairs.append(("after", after))
        if before is not None:
            pairs.append(("before", before))
        path = call.path if call.path.startswith("/") else "/" + call.path
        if call.version is None:  # Meta's next links always carry the version
            path = f"/{self.config.latest_version}{path}"
        return f"{call.base_url}{path}?{urlencode(pairs)}"
