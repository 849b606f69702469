"""`WorldClock`: "today" and timestamps in the ad account's timezone (a pinned day makes worlds reproducible)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo


class WorldClock:
    """Days are date ordinals in the account timezone; insights exist for the last `days` of them."""

    def __init__(self, timezone: str, days: int, today: str | None = None) -> None:
        self.tz = ZoneInfo(timezone)
        self.days = days
        self.pinned_today = date.fromisoformat(today) if today else None

    def today(self) -> date:
        if self.pinned_today is not None:
            return self.pinned_today
        return datetime.now(self.tz).date()

    def data_window(self) -> tuple[int, int]:
        """(first, last) ordinal of the days that have insights data."""
        t = self.today().toordinal()
        return t - self.days + 1, t

    def day_start_ts(self, ordinal: int) -> int:
        d = date.fromordinal(ordinal)
        return int(datetime(d.year, d.month, d.day, tzinfo=self.tz).timestamp())

    def fmt_time(self, ts: float) -> str:
        return datetime.fromtimestamp(ts, self.tz).strftime("%Y-%m-%dT%H:%M:%S%z")

    def utc_offset_hours(self) -> float:
        off = datetime.now(self.tz).utcoffset()
        return off.total_seconds() / 3600 if off else 0.0
