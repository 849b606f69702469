"""Report definitions are checked against Meta's rules when they are defined, one rule per case."""

from __future__ import annotations

import pytest

from metasync.reports.spec import PRESETS, InvalidReport, ReportSpec, validate

HOURLY = "hourly_stats_aggregated_by_advertiser_time_zone"


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"fields": ("impressions", "landing_page_views_total")}, "landing_page_views_total is not valid for fields"),
        ({"breakdowns": (HOURLY, "age")}, "cannot be combined with any other breakdown"),
        ({"breakdowns": (HOURLY,), "fields": ("reach",)}, "no reach by hour"),
        ({"breakdowns": ("platform_position",)}, "platform_position needs publisher_platform"),
        ({"breakdowns": ("age", "country")}, "combination of data breakdown columns (age,country) is invalid"),
        ({"breakdowns": ("zodiac",)}, "breakdowns[0] must be one of the following values"),
        ({"action_breakdowns": ("action_mood",)}, "action_breakdowns[0] must be one of"),
        ({"attribution_windows": ("7d_click", "3d_click")}, "action_attribution_windows[1] must be one of"),
        ({"level": "business"}, "Meta's insights levels are account, campaign, adset, ad"),
        ({"time_increment": 0}, "Meta accepts 1 to 90 days per row"),
        ({"lookback_days": 2000}, "37 months"),
        ({"name": "Bad Name!"}, "report name"),
    ],
)
def test_a_definition_meta_would_refuse_is_refused_with_the_rule(changes, words):
    with pytest.raises(InvalidReport) as caught:
        validate(ReportSpec(**{"name": "r", **changes}))
    message = str(caught.value)
    assert words in message and "\n" not in message


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_every_preset_is_valid_and_asks_its_breakdowns(name):
    spec = validate(PRESETS[name])
    level = spec.insights_level()
    assert level.query_params()["breakdowns"] == list(spec.breakdowns)
    assert level.query_params()["action_attribution_windows"] == ["7d_click", "1d_view"]
    assert level.sync_max_days == 1  # breakdown pulls go to asynchronous reports past one day


def test_placement_preset_asks_publisher_platform_position_and_device():
    assert PRESETS["placement"].breakdowns == ("publisher_platform", "platform_position", "impression_device")


def test_hourly_preset_leaves_out_the_reach_fields_meta_refuses_by_hour():
    fields = PRESETS["hourly"].insights_level().fields_param().split(",")
    assert "reach" not in fields and "frequency" not in fields and "spend" in fields


def test_extra_fields_follow_the_base_fields_once():
    spec = validate(ReportSpec("r", level="campaign", fields=("spend", "outbound_clicks", "quality_ranking")))
    fields = spec.requested_fields()
    assert fields[:4] == ("account_id", "account_name", "campaign_id", "campaign_name")
    assert fields.count("spend") == 1 and fields[-2:] == ("outbound_clicks", "quality_ranking")
