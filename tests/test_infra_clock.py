"""Stored times: aware UTC, at MongoDB's millisecond precision."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from metasync.infra.clock import as_utc, now_ms, utcnow


@pytest.mark.parametrize(
    "value, expected",
    [
        (None, None),
        (datetime(2026, 1, 2, 3, 4, 5), datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)),  # as MongoDB returns it
        (
            datetime(2026, 1, 2, 4, 4, 5, tzinfo=timezone(timedelta(hours=1))),
            datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc),
        ),
    ],
)
def test_times_read_back_from_mongodb_become_aware_utc(value, expected):
    result = as_utc(value)
    assert result == expected and (result is None or result.tzinfo == timezone.utc)


def test_now_is_aware_and_truncated_to_milliseconds():
    before = utcnow()
    stamp = now_ms()
    assert stamp.tzinfo == timezone.utc and stamp.microsecond % 1000 == 0
    assert before - timedelta(milliseconds=1) <= stamp <= utcnow()
