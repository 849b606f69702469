"""Freshness colours: ages against the schedule interval, and a connection that cannot sync is stale."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from metasync.control.freshness import ConnectionFreshness, age_of, human_duration

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("minutes_ago", "level"), [(0, "fresh"), (90, "fresh"), (91, "late"), (180, "late"), (181, "stale")]
)
def test_an_age_is_coloured_by_schedule_intervals(minutes_ago, level):
    assert age_of(NOW - timedelta(minutes=minutes_ago), 60, NOW).level == level


def test_never_synced_is_stale_and_says_never():
    age = age_of(None, 60, NOW)
    assert (age.level, age.text) == ("stale", "never")


def test_a_connection_that_cannot_sync_is_stale_however_fresh_its_data():
    fresh = age_of(NOW, 60, NOW)
    row = ConnectionFreshness("c", "t", "act_1", None, "EXPIRED", "token expired", NOW, fresh, fresh)
    assert row.level == "stale"
    assert ConnectionFreshness("c", "t", "act_1", None, "ACTIVE", None, None, fresh, age_of(None, 60, NOW)).level == (
        "stale"
    )


@pytest.mark.parametrize(("seconds", "text"), [(5, "5 s"), (600, "10 min"), (7200, "2.0 h"), (3 * 86400, "3.0 d")])
def test_durations_read_in_the_largest_sensible_unit(seconds, text):
    assert human_duration(seconds) == text
