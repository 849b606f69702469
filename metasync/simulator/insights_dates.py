"""Insights date ranges: Meta's date presets, `time_range` and the `time_increment` buckets of a range."""

from __future__ import annotations

import calendar
import json
from datetime import date, timedelta

from .errors import invalid_param

DATE_PRESETS = (
    "today",
    "yesterday",
    "this_month",
    "last_month",
    "this_quarter",
    "maximum",
    "data_maximum",
    "last_3d",
    "last_7d",
    "last_14d",
    "last_28d",
    "last_30d",
    "last_90d",
    "last_week_mon_sun",
    "last_week_sun_sat",
    "last_quarter",
    "last_year",
    "this_week_mon_today",
    "this_week_sun_today",
    "this_year",
)


def _month_start(d: date) -> date:
    return d.replace(day=1)


def _add_months(d: date, months: int) -> date:
    y, m = divmod(d.month - 1 + months, 12)
    y += d.year
    m += 1
    return date(y, m, min(d.day, calendar.monthrange(y, m)[1]))


def preset_range(preset: str, today: date, data_start: date) -> tuple[date, date]:
    """Meta's date presets, relative to `today` in the account timezone. `last_Nd` excludes today."""
    one = timedelta(days=1)
    if preset == "today":
        return today, today
    if preset == "yesterday":
        return today - one, today - one
    if preset.startswith("last_") and preset.endswith("d") and preset[5:-1].isdigit():
        n = int(preset[5:-1])
        return today - timedelta(days=n), today - one
    if preset == "this_week_mon_today":
        return today - timedelta(days=today.weekday()), today
    if preset == "this_week_sun_today":
        return today - timedelta(days=(today.weekday() + 1) % 7), today
    if preset == "last_week_mon_sun":
        start = today - timedelta(days=today.weekday() + 7)
        return start, start + timedelta(days=6)
    if preset == "last_week_sun_sat":
        start = today - timedelta(days=(today.weekday() + 1) % 7 + 7)
        return start, start + timedelta(days=6)
    if preset == "this_month":
        return _month_start(today), today
    if preset == "last_month":
        end = _month_start(today) - one
        return _month_start(end), end
    q_start = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    if preset == "this_quarter":
        return q_start, today
    if preset == "last_quarter":
        prev_end = q_start - one
        return _add_months(q_start, -3), prev_end
    if preset == "this_year":
        return date(today.year, 1, 1), today
    if preset == "last_year":
        return date(today.year - 1, 1, 1), date(today.year - 1, 12, 31)
    if preset in ("maximum", "data_maximum"):
        return data_start, today
    raise invalid_param("(#100) date_preset must be one of the following values: " + ", ".join(DATE_PRESETS))


def parse_time_range(raw: str) -> tuple[date, date]:
    try:
        tr = json.loads(raw)
        since = date.fromisoformat(str(tr["since"]))
        until = date.fromisoformat(str(tr["until"]))
    except (ValueError, TypeError, KeyError):
        raise invalid_param(
            '(#100) time_range must be a JSON object like {"since":"YYYY-MM-DD","until":"YYYY-MM-DD"}'
        ) from None
    return since, until


def time_buckets(since: date, until: date, raw: str | None) -> list[tuple[int, int]]:
    """(first, last) day ordinals of each row period: the whole range, calendar months or N days."""
    lo, hi = since.toordinal(), until.toordinal()
    if raw in (None, "", "all_days"):
        return [(lo, hi)]
    if raw == "monthly":
        out = []
        cur = since
        while cur <= until:
            end = date(cur.year, cur.month, calendar.monthrange(cur.year, cur.month)[1])
            out.append((cur.toordinal(), min(end, until).toordinal()))
            cur = end + timedelta(days=1)
        return out
    try:
        step = int(raw)
    except ValueError:
        step = 0
    if not 1 <= step <= 90:
        raise invalid_param("(#100) time_increment must be all_days, monthly or an integer from 1 to 90")
    return [(d, min(hi, d + step - 1)) for d in range(lo, hi + 1, step)]
