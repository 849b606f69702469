"""Date presets and ranges as Meta means them, the reasons a request is refused, account-local days."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from metasync.performance.dates import (
    DATE_PRESETS,
    DateRange,
    InvalidDateRange,
    local_midnight,
    local_today,
    parse_date_request,
    preset_range,
)


@pytest.mark.parametrize("preset", DATE_PRESETS)
def test_every_meta_preset_is_accepted_and_resolves_to_a_range(preset):
    request = parse_date_request(preset)
    window = request.resolve(date(2026, 3, 4))
    assert window.since <= window.until <= date(2026, 3, 4)


@pytest.mark.parametrize(
    "preset, since, until",
    [
        ("today", "2026-03-04", "2026-03-04"),
        ("yesterday", "2026-03-03", "2026-03-03"),
        ("last_7d", "2026-02-25", "2026-03-03"),
        ("this_week_mon_today", "2026-03-02", "2026-03-04"),
        ("last_week_sun_sat", "2026-02-22", "2026-02-28"),
        ("last_month", "2026-02-01", "2026-02-28"),
        ("last_quarter", "2025-10-01", "2025-12-31"),
    ],
)
def test_presets_mean_what_meta_means(preset, since, until):
    assert preset_range(preset, date(2026, 3, 4)) == DateRange(date.fromisoformat(since), date.fromisoformat(until))


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"date_preset": "last_8d"}, "unknown date preset"),
        ({"since": "2026-03-05", "until": "2026-03-01"}, "on or before"),
        ({"since": "2026/03/01", "until": "2026-03-02"}, "since must be a date"),
        ({"since": "2026-03-01"}, "both since and until"),
        ({"since": "2022-01-01", "until": "2022-01-02"}, "37 months"),
        ({"since": "2026-03-01", "until": "2026-04-01"}, "future"),
    ],
)
def test_invalid_requests_say_why(kwargs, message):
    with pytest.raises(InvalidDateRange, match=message):
        parse_date_request(**kwargs, today=date(2026, 3, 4))


def test_halves_split_a_range_without_gaps():
    first, second = DateRange(date(2026, 1, 1), date(2026, 1, 31)).halves()
    assert (first.days + second.days, first.until.toordinal() + 1) == (31, second.since.toordinal())


def test_account_local_days_follow_the_account_timezone():
    late_utc = datetime(2026, 3, 4, 3, 0, tzinfo=timezone.utc)
    assert local_today("America/Los_Angeles", late_utc) == date(2026, 3, 3)
    assert local_today("Asia/Tokyo", late_utc) == date(2026, 3, 4)
    assert local_today("Not/AZone", late_utc) == date(2026, 3, 4)
    assert local_midnight(date(2026, 3, 4), "America/Los_Angeles") == datetime(2026, 3, 4, 8, tzinfo=timezone.utc)
