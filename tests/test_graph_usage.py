"""Meta's usage headers read without any server: the highest percentage and the longest wait, and how long an
ad account is left alone after a response."""

from __future__ import annotations

import json

import pytest

from metasync.graph.usage import parse_usage_headers, pause_seconds_for

THRESHOLD = 85  # META_USAGE_PAUSE_THRESHOLD's default


def usage_of(**headers: object) -> dict[str, str]:
    return {
        name.replace("_", "-"): value if isinstance(value, str) else json.dumps(value)
        for name, value in headers.items()
    }


@pytest.mark.parametrize(
    "headers, highest, regain",
    [
        (usage_of(X_App_Usage={"call_count": 40, "total_time": 12, "total_cputime": 3}), 40, 0),
        (usage_of(X_App_Usage={"call_count": 10}, X_Ad_Account_Usage={"acc_id_util_pct": 86.5}), 86.5, 0),
        (
            usage_of(
                X_Business_Use_Case_Usage={
                    "9": [
                        {
                            "type": "ads_insights",
                            "call_count": 20,
                            "total_time": 88,
                            "estimated_time_to_regain_access": 12,
                        }
                    ],
                    "10": [{"type": "ads_management", "call_count": 95}],
                }
            ),
            95,
            12 * 60,
        ),
        (usage_of(X_FB_Ads_Insights_Throttle={"app_id_util_pct": 60, "acc_id_util_pct": 70}), 70, 0),
        (
            usage_of(
                X_App_Usage="not json", X_Ad_Account_Usage="[1, 2]", X_Business_Use_Case_Usage={"9": "not a list"}
            ),
            0,
            0,
        ),
        ({}, 0, 0),
    ],
)
def test_the_highest_percentage_and_the_longest_wait_over_all_headers(headers, highest, regain):
    usage = parse_usage_headers(headers)
    assert (usage.max_pct, usage.regain_seconds) == (highest, regain)


@pytest.mark.parametrize(
    "headers, seconds",
    [
        (usage_of(X_App_Usage={"call_count": 84}), 0),
        (usage_of(X_App_Usage={"call_count": 85}), 120),
        (usage_of(X_Ad_Account_Usage={"acc_id_util_pct": 90, "reset_time_duration": 300}), 300),
        (usage_of(X_App_Usage={"call_count": 95}), 600),
        (
            usage_of(
                X_Business_Use_Case_Usage={
                    "9": [{"type": "ads_management", "call_count": 10, "estimated_time_to_regain_access": 3}]
                }
            ),
            180,
        ),
        (usage_of(X_Ad_Account_Usage={"acc_id_util_pct": 10, "reset_time_duration": 300}), 0),
    ],
)
def test_an_account_is_paused_at_the_threshold_longer_near_the_limit_and_as_long_as_meta_says(headers, seconds):
    assert pause_seconds_for(parse_usage_headers(headers), THRESHOLD) == seconds
