"""Breakdowns, attribution windows, action breakdowns and the documented insights fields, over HTTP."""

from __future__ import annotations

import json
from collections import defaultdict

import pytest

from metasync.graph.insights_vocabulary import INSIGHTS_FIELDS
from metasync.simulator.insights_breakdowns import apportion, split_vector
from metasync.simulator.insights_metrics import CLICKS, IMPR, REACH, SPEND, VECTOR_LEN
from tests.simulator_helpers import cents, err, insights_rows, shared_server_fixtures

sim, http, _clean_faults = shared_server_fixtures()
RANGE = json.dumps({"since": "2026-03-01", "until": "2026-03-03"})
FIELDS = "ad_id,impressions,clicks,spend,reach,inline_link_clicks,actions,action_values"
ADDITIVE = ("impressions", "clicks", "inline_link_clicks")
PRESET_BREAKDOWNS = (
    "age,gender",
    "country",
    "region",
    "publisher_platform,platform_position,impression_device",
    "device_platform",
    "hourly_stats_aggregated_by_advertiser_time_zone",
)


def _sums(rows, windows=()):
    out = defaultdict(lambda: defaultdict(int))
    for row in rows:
        key = (row["ad_id"], row["date_start"])
        for name in ADDITIVE:
            out[key][name] += int(row.get(name, 0))
        out[key]["spend"] += cents(row["spend"])
        for entry in row.get("actions", []):
            out[key]["a:" + entry["action_type"]] += int(entry["value"])
            for window in windows:
                if window in entry:
                    out[key][f"a:{entry['action_type']}:{window}"] += int(entry[window])
        for entry in row.get("action_values", []):
            out[key]["v:" + entry["action_type"]] += cents(entry["value"])
    return {k: dict(v) for k, v in out.items()}


@pytest.mark.parametrize("breakdowns", PRESET_BREAKDOWNS)
def test_breakdown_rows_sum_exactly_to_the_unbroken_rows(sim, http, breakdowns):
    fields = FIELDS.replace("reach,", "") if breakdowns.startswith("hourly") else FIELDS
    plain = insights_rows(http, sim, level="ad", time_increment=1, time_range=RANGE, fields=fields)
    broken = insights_rows(
        http, sim, level="ad", time_increment=1, time_range=RANGE, fields=fields, breakdowns=breakdowns
    )
    assert len(broken) > len(plain)
    assert _sums(broken) == _sums(plain)
    names = breakdowns.split(",")
    assert all(all(row.get(name) for name in names) for row in broken)
    assert all(int(row["impressions"]) > 0 for row in broken)  # sparse: no row without delivery


def test_values_without_delivery_have_no_row(sim, http):
    rows = insights_rows(http, sim, level="ad", time_increment=1, time_range=RANGE, breakdowns="age,gender")
    per_ad_day = defaultdict(set)
    for row in rows:
        per_ad_day[(row["ad_id"], row["date_start"])].add((row["age"], row["gender"]))
    assert min(len(v) for v in per_ad_day.values()) < 18  # 6 ages x 3 genders, some without delivery


def test_breakdown_sums_hold_at_campaign_level_and_reach_is_not_additive(sim, http):
    plain = insights_rows(http, sim, level="campaign", time_range=RANGE, fields="campaign_id,impressions,spend,reach")
    broken = insights_rows(
        http,
        sim,
        level="campaign",
        time_range=RANGE,
        fields="campaign_id,impressions,spend,reach",
        breakdowns="country",
    )
    spend, reach = defaultdict(int), defaultdict(int)
    for row in broken:
        spend[row["campaign_id"]] += cents(row["spend"])
        reach[row["campaign_id"]] += int(row["reach"])
    assert spend == {row["campaign_id"]: cents(row["spend"]) for row in plain}
    assert any(reach[row["campaign_id"]] != int(row["reach"]) for row in plain)


def test_attribution_windows_are_keys_on_each_entry_and_unreturned_ones_are_absent(sim, http):
    windows = ("7d_click", "1d_view", "1d_click", "28d_view")
    rows = insights_rows(
        http,
        sim,
        level="ad",
        time_increment=1,
        time_range=RANGE,
        fields=FIELDS,
        action_attribution_windows=json.dumps(windows),
    )
    purchases = [a for row in rows for a in row.get("actions", []) if a["action_type"] == "omni_purchase"]
    assert purchases
    for entry in purchases:
        assert "28d_view" not in entry
        assert int(entry["7d_click"]) + int(entry["1d_view"]) == int(entry["value"])
        assert int(entry["1d_click"]) <= int(entry["7d_click"])
    broken = insights_rows(
        http,
        sim,
        level="ad",
        time_increment=1,
        time_range=RANGE,
        fields=FIELDS,
        breakdowns="age,gender",
        action_attribution_windows=",".join(windows),
    )
    assert _sums(broken, windows) == _sums(rows, windows)


@pytest.mark.parametrize(
    ("action_breakdowns", "key"),
    [("action_device", "action_device"), ("action_type,action_target_id,action_destination", "action_target_id")],
)
def test_action_breakdowns_split_entries_exactly(sim, http, action_breakdowns, key):
    plain = insights_rows(http, sim, level="ad", time_increment=1, time_range=RANGE, fields=FIELDS)
    split = insights_rows(
        http, sim, level="ad", time_increment=1, time_range=RANGE, fields=FIELDS, action_breakdowns=action_breakdowns
    )
    assert _sums(split) == _sums(plain)
    assert all(key in entry for row in split for entry in row.get("actions", []))


def test_every_documented_field_is_accepted_and_modelled_ones_are_answered(sim, http):
    fields = ",".join(sorted(INSIGHTS_FIELDS))
    rows = insights_rows(http, sim, level="ad", time_range=RANGE, fields=fields)
    assert rows
    answered = set().union(*rows)
    for name in (
        "reach",
        "frequency",
        "unique_clicks",
        "inline_link_clicks",
        "outbound_clicks",
        "video_p25_watched_actions",
        "video_p100_watched_actions",
        "video_play_actions",
        "video_thruplay_watched_actions",
        "quality_ranking",
        "engagement_rate_ranking",
        "conversion_rate_ranking",
        "purchase_roas",
        "cost_per_action_type",
        "ctr",
        "cpc",
        "cpm",
    ):
        assert name in answered, name
    assert "marketing_messages_sent" not in answered  # documented, not modelled: omitted, not refused


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({"fields": "impressions,bogus_field"}, "bogus_field is not valid for fields param"),
        ({"breakdowns": "age,country"}, "combination of data breakdown columns"),
        ({"breakdowns": "hourly_stats_aggregated_by_advertiser_time_zone,age"}, "cannot be combined"),
        ({"breakdowns": "hourly_stats_aggregated_by_advertiser_time_zone", "fields": "reach"}, "no reach by hour"),
        ({"breakdowns": "platform_position"}, "needs publisher_platform"),
        ({"breakdowns": "astrology"}, "breakdowns[0] must be one of"),
        ({"action_breakdowns": "action_mood"}, "action_breakdowns[0] must be one of"),
        ({"action_attribution_windows": '["3d_click"]'}, "action_attribution_windows[0] must be one of"),
    ],
)
def test_invalid_fields_and_combinations_are_error_100(sim, http, params, words):
    from tests.simulator_helpers import get

    params = {"fields": "impressions", **params}
    body = err(get(http, sim, "act_1000000001/insights", level="ad", time_range=RANGE, **params))
    assert body["code"] == 100 and words in body["message"]


def test_apportion_is_exact_and_split_parts_sum_to_the_vector():
    assert apportion(10, [1, 1, 1]) == [4, 3, 3]
    assert sum(apportion(12345, [7, 0, 3, 9])) == 12345 and apportion(5, [0, 2])[0] == 0
    vec = [0] * VECTOR_LEN
    vec[IMPR], vec[CLICKS], vec[SPEND], vec[REACH] = 1000, 37, 12345, 2
    parts = [p for p in split_vector(vec, [5, 0, 2, 9]) if p is not None]
    assert len(parts) == 3  # the value with no weight has no row
    assert all(p[REACH] >= 1 for p in parts)  # everyone who saw an ad counts, so reach does not add up
    assert [sum(p[i] for p in parts) for i in range(VECTOR_LEN) if i != REACH] == [
        v for i, v in enumerate(vec) if i != REACH
    ]
