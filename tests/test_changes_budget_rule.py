"""Meta's four-budget-changes-per-ad-set-per-hour limit, kept in Redis."""

from __future__ import annotations

import pytest

from metasync.changes.budget_rule import BudgetChangeRule

pytestmark = pytest.mark.services


class Clock:
    now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def rule(redis_client):
    return BudgetChangeRule(clock=Clock())


def test_four_changes_an_hour_then_the_fifth_waits_for_the_oldest(rule):
    for n in range(4):
        rule._clock.now += 60
        assert rule.reserve("act_1", "9", f"c{n}").allowed
    fifth = rule.reserve("act_1", "9", "c4")
    assert not fifth.allowed and fifth.wait_seconds == 3600 - 180
    assert rule.reserve("act_1", "8", "other-ad-set").allowed
    rule._clock.now += 3600 - 180
    assert rule.reserve("act_1", "9", "c4").allowed


def test_a_change_asked_again_counts_once_and_a_refused_one_not_at_all(rule):
    for _ in range(5):
        assert rule.reserve("act_1", "9", "same").allowed
    assert rule.used("act_1", "9") == 1
    rule.release("act_1", "9", "same")
    assert rule.used("act_1", "9") == 0


def test_meta_s_block_uses_the_whole_hour(rule):
    rule.block("act_1", "9")
    assert not rule.reserve("act_1", "9", "c").allowed
    rule._clock.now += 3601
    assert rule.reserve("act_1", "9", "c").allowed
