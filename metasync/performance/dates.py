"""Date presets and ranges for insights: validated before any Graph call, resolved in the ad account's timezone."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# Every `date_preset` Meta accepts (facts sheet, section 3).
DATE_PRESETS = (
    "today",
    "yesterday",
    "this_week_mon_today",
    "this_week_sun_today",
    "last_week_mon_sun",
    "last_week_sun_sat",
    "this_month",
    "last_month",
    "this_quarter",
    "last_quarter",
    "this_year",
    "last_year",
    "last_3d",
    "last_7d",
    "last_14d",
    "last_28d",
    "last_30d",
    "last_90d",
    "maximum",
    "data_maximum",
)
# Meta keeps insights for 37 months; a few days of margin so a range at the edge is not refused by Meta.
MAX_DAYS_BACK = 1120
ONE_DAY = timedelta(days=1)


class InvalidDateRange(ValueError):
    """A preset or since/until range Meta would refuse; raised before any Graph call."""


@dataclass(frozen=True)
class DateRange:
    """Account-local days from `since` to `until`, both included."""

    since: date
    until: date

    @property
    def days(self) -> int:
        return (self.until - self.since).days + 1

    def halves(self) -> tuple[DateRange, DateRange]:
        middle = self.since + timedelta(days=self.days // 2 - 1)
        return DateRange(self.since, middle), DateRange(middle + ONE_DAY, self.until)

    def as_param(self) -> dict[str, str]:
        return {"since": self.since.isoformat(), "until": self.until.isoformat()}

    def __str__(self) -> str:
        return f"{self.since.isoformat()}..{self.until.isoformat()}"


@dataclass(frozen=True)
class DateRequest:
    """What the caller asked for: a preset, or an explicit range. Resolved once the account's "today" is known."""

    preset: str | None = None
    since: date | None = None
    until: date | None = None

    def resolve(self, today: date) -> DateRange:
        if self.preset is None:
            return DateRange(self.since, self.until)
        return preset_range(self.preset, today)

    def __str__(self) -> str:
        return self.preset or f"{self.since}..{self.until}"


def parse_date_request(
    date_preset: str | None = None,
    since: str | date | None = None,
    until: str | date | None = None,
    today: date | None = None,
) -> DateRequest:
    """Check a preset or a since/until pair (ISO dates, until inclusive); an explicit range wins over a preset."""
    if since is None and until is None:
        if date_preset is None:
            raise InvalidDateRange("give a date preset, or both since and until")
        preset = str(date_preset).strip().lower()
        if preset not in DATE_PRESETS:
            raise InvalidDateRange(f"unknown date preset {date_preset!r}; use one of: {', '.join(DATE_PRESETS)}")
        return DateRequest(preset=preset)
    if since is None or until is None:
        raise InvalidDateRange("give both since and until (YYYY-MM-DD), or a date preset")
    first, last = _parse_day("since", since), _parse_day("until", until)
    if first > last:
        raise InvalidDateRange(f"since ({first}) must be on or before until ({last})")
    # The account's own "today" is not known yet; UTC is at most a day away from it either way.
    today = today or datetime.now(timezone.utc).date()
    if last > today + ONE_DAY:
        raise InvalidDateRange(f"until ({last}) is in the future")
    if first < earliest_day(today):
        raise InvalidDateRange(
            f"since ({first}) is too far back: Meta keeps insights for 37 months, "
            f"so since must be on or after {earliest_day(today)}"
        )
    return DateRequest(since=first, until=last)


def _parse_day(name: str, value: str | date) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise InvalidDateRange(f"{name} must be a date like 2026-01-31, got {str(value)[:40]!r}") from None


def earliest_day(today: date) -> date:
    return today - timedelta(days=MAX_DAYS_BACK)


def _add_months(day: date, months: int) -> date:
    year, month = divmod(day.month - 1 + months, 12)
    year, month = day.year + year, month + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def preset_range(preset: str, today: date) -> DateRange:
    """Meta's meaning of each preset, relative to the account-local `today`; `last_<n>d` ends yesterday."""
    if preset == "today":
        return DateRange(today, today)
    if preset == "yesterday":
        return DateRange(today - ONE_DAY, today - ONE_DAY)
    if preset.startswith("last_") and preset.endswith("d") and preset[5:-1].isdigit():
        return DateRange(today - timedelta(days=int(preset[5:-1])), today - ONE_DAY)
    if preset in ("this_week_mon_today", "this_week_sun_today"):
        offset = today.weekday() if preset.endswith("mon_today") else (today.weekday() + 1) % 7
        return DateRange(today - timedelta(days=offset), today)
    if preset in ("last_week_mon_sun", "last_week_sun_sat"):
        offset = today.weekday() if preset.endswith("mon_sun") else (today.weekday() + 1) % 7
        start = today - timedelta(days=offset + 7)
        return DateRange(start, start + timedelta(days=6))
    month_start = today.replace(day=1)
    if preset == "this_month":
        return DateRange(month_start, today)
    if preset == "last_month":
        return DateRange(_add_months(month_start, -1), month_start - ONE_DAY)
    quarter_start = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    if preset == "this_quarter":
        return DateRange(quarter_start, today)
    if preset == "last_quarter":
        return DateRange(_add_months(quarter_start, -3), quarter_start - ONE_DAY)
    if preset == "this_year":
        return DateRange(date(today.year, 1, 1), today)
    if preset == "last_year":
        return DateRange(date(today.year - 1, 1, 1), date(today.year - 1, 12, 31))
    if preset in ("maximum", "data_maximum"):
        return DateRange(earliest_day(today), today)
    raise InvalidDateRange(f"unknown date preset {preset!r}")


def account_zone(timezone_name: str | None) -> tzinfo:
    """The ad account's timezone; UTC when Meta did not say or named one this machine does not know."""
    if timezone_name:
        try:
            return ZoneInfo(timezone_name)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return timezone.utc


def local_today(timezone_name: str | None, now: datetime | None = None) -> date:
    return (now or datetime.now(timezone.utc)).astimezone(account_zone(timezone_name)).date()


def local_midnight(day: date, timezone_name: str | None) -> datetime:
    """The UTC instant at which `day` starts in the account's timezone."""
    return datetime.combine(day, datetime.min.time(), tzinfo=account_zone(timezone_name)).astimezone(timezone.utc)
