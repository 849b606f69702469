"""What every task shares: retry countdowns that double from a minute and never come sooner than Meta asked."""

from __future__ import annotations

import pytest

from tasks.base import retry_countdown

JITTER = 30  # seconds at most, so retries of many connections do not line up


@pytest.mark.parametrize("retries, minutes", [(0, 1), (1, 2), (2, 4), (3, 8), (4, 16)])
def test_retry_countdowns_double_each_time_plus_a_little_jitter(retries, minutes):
    assert minutes * 60 <= retry_countdown(retries) <= minutes * 60 + JITTER


@pytest.mark.parametrize("asked", [0, 300, 12 * 60 * 60])
def test_a_retry_never_comes_sooner_than_meta_asked(asked):
    assert max(asked, 60) <= retry_countdown(0, at_least=asked) <= max(asked, 60) + JITTER
