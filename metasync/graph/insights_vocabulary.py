"""What Meta's insights edge accepts: its fields, breakdowns, action breakdowns and attribution windows, and the
rules it applies to their combinations (facts sheet, sections 3 and 11). One table, read by the report definitions
(refused when defined) and by the local simulator (refused when asked), so both speak the same rules.

`check_insights_request` raises `InvalidInsightsRequest` whose message states Meta's rule in one line.
"""

from __future__ import annotations

from collections.abc import Iterable

# Every field of an AdsInsights row (Graph API v25).
INSIGHTS_FIELDS = frozenset(
    """
account_currency account_id account_name action_values actions ad_click_actions ad_id ad_impression_actions
ad_name adset_end adset_id adset_name adset_start advanced_actions_28d_view advanced_reach_1d_lookback
advanced_reach_28d_lookback advanced_reach_7d_lookback age_targeting aggregated_play_time_per_reach
anchor_event_attribution_setting anchor_events_performance_indicator attribution_setting auction_bid
auction_competitiveness auction_max_competitor_bid average_purchases_conversion_value buying_type campaign_id
campaign_name canvas_avg_view_percent canvas_avg_view_time catalog_segment_actions catalog_segment_value
catalog_segment_value_mobile_purchase_roas catalog_segment_value_omni_purchase_roas
catalog_segment_value_website_purchase_roas clicks configurable_attribution_action
configurable_attribution_actionvalue configurable_audience_overlap_reach
configurable_audience_overlap_with_conv_action configurable_audience_overlap_with_conv_converters
configurable_audience_overlap_with_conv_exposure_cost
configurable_audience_overlap_with_conv_exposure_impressions
configurable_audience_overlap_with_conv_exposure_reach configurable_creative_format_performance_adset_count
configurable_creative_format_performance_clicks configurable_creative_format_performance_conversions
configurable_creative_format_performance_converters configurable_creative_format_performance_impressions
configurable_creative_format_performance_spend configurable_placement_ptc_conversions
configurable_placement_ptc_converters configurable_placement_ptc_reach configurable_reachbyfrequency_action
configurable_reachbyfrequency_converters_count configurable_reachbyfrequency_impressions_cost
configurable_reachbyfrequency_impressions_count configurable_reachbyfrequency_reach conversion_lead_rate
conversion_leads conversion_rate_ranking conversion_values conversions
converted_product_app_custom_event_fb_mobile_purchase
converted_product_app_custom_event_fb_mobile_purchase_value converted_product_offline_purchase
converted_product_offline_purchase_value converted_product_omni_purchase converted_product_omni_purchase_values
converted_product_quantity converted_product_value converted_product_website_pixel_purchase
converted_product_website_pixel_purchase_value converted_promoted_product_app_custom_event_fb_mobile_purchase
converted_promoted_product_app_custom_event_fb_mobile_purchase_value converted_promoted_product_offline_purchase
converted_promoted_product_offline_purchase_value converted_promoted_product_omni_purchase
converted_promoted_product_omni_purchase_values converted_promoted_product_quantity
converted_promoted_product_value converted_promoted_product_website_pixel_purchase
converted_promoted_product_website_pixel_purchase_value cost_per_15_sec_video_view
cost_per_2_sec_continuous_video_view cost_per_6_sec_video_view cost_per_action_type cost_per_ad_click
cost_per_conversion cost_per_conversion_lead cost_per_dda_countby_convs cost_per_estimated_ad_recallers
cost_per_inline_link_click cost_per_inline_post_engagement cost_per_message_delivered
cost_per_mmp_credited_install cost_per_objective_result cost_per_one_thousand_ad_impression
cost_per_outbound_click cost_per_result cost_per_thruplay cost_per_unique_action_type cost_per_unique_click
cost_per_unique_conversion cost_per_unique_inline_link_click cost_per_unique_outbound_click cpc cpm cpp
created_time creative_diversity_data creative_diversity_label creative_diversity_score creative_fatigue_summary
creative_fatigued_ads creative_media_type ctr date_start date_stop dda_countby_convs dda_results
engagement_rate_ranking estimated_ad_recall_rate estimated_ad_recall_rate_lower_bound
estimated_ad_recall_rate_upper_bound estimated_ad_recallers estimated_ad_recallers_lower_bound
estimated_ad_recallers_upper_bound frequency full_view_impressions full_view_reach gender_targeting impressions
inline_link_click_ctr inline_link_clicks inline_post_engagement instagram_profile_follow
instagram_profile_visits instagram_upcoming_event_reminders_set instant_experience_clicks_to_open
instant_experience_clicks_to_start instant_experience_outbound_clicks interactive_component_tap labels
landing_page_view_actions_per_link_click landing_page_view_per_link_click landing_page_view_per_purchase_rate
link_clicks_per_results location marketing_messages_click_rate_benchmark marketing_messages_cost_per_delivered
marketing_messages_cost_per_link_btn_click marketing_messages_delivered marketing_messages_delivery_rate
marketing_messages_link_btn_click marketing_messages_link_btn_click_rate marketing_messages_media_view_rate
marketing_messages_phone_call_btn_click_rate marketing_messages_quick_reply_btn_click
marketing_messages_quick_reply_btn_click_rate marketing_messages_read marketing_messages_read_rate
marketing_messages_read_rate_benchmark marketing_messages_sent marketing_messages_spend
marketing_messages_spend_currency messages_delivered messages_delivered_ctr mmp_credited_install
mobile_app_purchase_roas msa_seller_budget multi_event_conversion_attribution_setting objective
objective_result_rate objective_results onsite_conversion_messaging_detected_purchase_deduped
opportunity_score_l4 optimization_goal outbound_clicks outbound_clicks_ctr place_page_name
playable_average_game_length playable_game_start_rate product_group_retailer_id product_retailer_id
product_views purchase_per_landing_page_view purchase_roas purchases_per_link_click
qualifying_question_qualify_answer_rate quality_ranking reach read_rate result_rate
result_values_performance_indicator results shop_clicks shops_assisted_purchases social_spend spend
total_card_view total_postbacks total_postbacks_detailed total_postbacks_detailed_v4 unique_actions
unique_clicks unique_conversions unique_ctr unique_inline_link_click_ctr unique_inline_link_clicks
unique_link_clicks_ctr unique_outbound_clicks unique_outbound_clicks_ctr
unique_video_continuous_2_sec_watched_actions unique_video_view_15_sec updated_time video_15_sec_watched_actions
video_30_sec_watched_actions video_6_sec_watched_actions video_avg_time_watched_actions
video_continuous_2_sec_watched_actions video_p100_watched_actions video_p25_watched_actions
video_p50_watched_actions video_p75_watched_actions video_p95_watched_actions video_play_actions
video_play_curve_actions video_play_retention_0_to_15s_actions video_play_retention_20_to_60s_actions
video_play_retention_graph_actions video_thruplay_watched_actions video_time_watched_actions
video_view_per_impression website_ctr website_purchase_roas wish_bid
    """.split()
)

HOURLY_BREAKDOWNS = (
    "hourly_stats_aggregated_by_advertiser_time_zone",
    "hourly_stats_aggregated_by_audience_time_zone",
)
# The breakdowns documented in the facts sheet, in the groups Meta lets combine: a request's breakdowns must all
# come from one group (age with gender; the placement columns together; each other one alone).
BREAKDOWN_GROUPS: tuple[frozenset[str], ...] = (
    frozenset({"age", "gender"}),
    frozenset({"country"}),
    frozenset({"region"}),
    frozenset({"dma"}),
    frozenset({"publisher_platform", "platform_position", "impression_device", "device_platform"}),
    frozenset({"product_id"}),
    frozenset({"frequency_value"}),
    *(frozenset({hourly}) for hourly in HOURLY_BREAKDOWNS),
)
BREAKDOWNS = frozenset().union(*BREAKDOWN_GROUPS)
ACTION_BREAKDOWNS = frozenset(
    {
        "action_type",
        "action_device",
        "action_destination",
        "action_target_id",
        "action_reaction",
        "action_video_sound",
        "action_video_type",
        "action_carousel_card_id",
        "action_carousel_card_name",
        "action_canvas_component_name",
        "conversion_destination",
        "standard_event_content_type",
        "signal_source_bucket",
    }
)
ATTRIBUTION_WINDOWS = frozenset(
    {"1d_view", "7d_view", "28d_view", "1d_click", "7d_click", "28d_click", "1d_ev", "dda", "default"}
)
# Metrics that count people: Meta computes none of them by hour.
REACH_FIELDS = frozenset({"reach", "frequency", "cpp"} | {f for f in INSIGHTS_FIELDS if f.startswith("unique_")})


DOCS = "https://developers.facebook.com/docs/marketing-api/reference/ads-insights/"


class InvalidInsightsRequest(ValueError):
    """A query Meta refuses with error 100; the message is Meta's rule."""


def _unknown(kind: str, names: Iterable[str], known: frozenset[str]) -> None:
    for position, name in enumerate(names):
        if name in known:
            continue
        if kind == "fields":
            raise InvalidInsightsRequest(
                f"{name} is not valid for fields param. please check {DOCS} for all valid values"
            )
        raise InvalidInsightsRequest(
            f"{kind}[{position}] must be one of the following values: {', '.join(sorted(known))} (got {name[:60]!r})"
        )


def check_insights_request(
    fields: Iterable[str] = (),
    breakdowns: Iterable[str] = (),
    action_breakdowns: Iterable[str] = (),
    windows: Iterable[str] = (),
) -> None:
    """Refuse what Meta refuses, in the order Meta checks: names first, then combinations."""
    fields, breakdowns = list(fields), list(breakdowns)
    _unknown("fields", fields, INSIGHTS_FIELDS)
    _unknown("breakdowns", breakdowns, BREAKDOWNS)
    _unknown("action_breakdowns", action_breakdowns, ACTION_BREAKDOWNS)
    _unknown("action_attribution_windows", windows, ATTRIBUTION_WINDOWS)
    chosen = set(breakdowns)
    hourly = chosen.intersection(HOURLY_BREAKDOWNS)
    if hourly and len(chosen) > 1:
        raise InvalidInsightsRequest(
            f"breakdowns {','.join(breakdowns)}: an hourly breakdown cannot be combined with any other breakdown"
        )
    if hourly and REACH_FIELDS.intersection(fields):
        people = ",".join(sorted(REACH_FIELDS.intersection(fields)))
        raise InvalidInsightsRequest(f"{people} cannot be asked with an hourly breakdown: Meta counts no reach by hour")
    if "platform_position" in chosen and "publisher_platform" not in chosen:
        raise InvalidInsightsRequest("breakdown platform_position needs publisher_platform in the same breakdowns")
    if chosen and not any(chosen <= group for group in BREAKDOWN_GROUPS):
        raise InvalidInsightsRequest(
            f"current combination of data breakdown columns ({','.join(breakdowns)}) is invalid: age and gender "
            "combine, the placement columns (publisher_platform, platform_position, impression_device, "
            "device_platform) combine, every other breakdown stands alone"
        )
