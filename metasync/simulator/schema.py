"""The object kinds of the ad world: their Graph node types, edges, readable fields and effective statuses."""

from __future__ import annotations

from .node_fields import DOCUMENTED_FIELDS

CAMPAIGN, ADSET, AD, CREATIVE, ACCOUNT = "campaign", "adset", "ad", "creative", "account"
IMAGE, VIDEO, BUSINESS = "image", "video", "business"
EDGE_KIND = {
    "campaigns": CAMPAIGN,
    "adsets": ADSET,
    "ads": AD,
    "adcreatives": CREATIVE,
    "adimages": IMAGE,
    "advideos": VIDEO,
}
NODE_TYPE = {
    CAMPAIGN: "Campaign",
    ADSET: "AdSet",
    AD: "Ad",
    CREATIVE: "AdCreative",
    ACCOUNT: "AdAccount",
    IMAGE: "AdImage",
    VIDEO: "AdVideo",
    BUSINESS: "Business",
}
WEBHOOK_LEVEL = {CAMPAIGN: "CAMPAIGN", ADSET: "AD_SET", AD: "AD", CREATIVE: "CREATIVE"}

CAMPAIGN_EFFECTIVE = ("ACTIVE", "PAUSED", "DELETED", "ARCHIVED", "IN_PROCESS", "WITH_ISSUES")
ADSET_EFFECTIVE = CAMPAIGN_EFFECTIVE + ("CAMPAIGN_PAUSED",)
AD_EFFECTIVE = ADSET_EFFECTIVE + (
    "ADSET_PAUSED",
    "DISAPPROVED",
    "PENDING_REVIEW",
    "PREAPPROVED",
    "PENDING_BILLING_INFO",
)
ALL_EFFECTIVE = AD_EFFECTIVE
EFFECTIVE_BY_KIND = {CAMPAIGN: CAMPAIGN_EFFECTIVE, ADSET: ADSET_EFFECTIVE, AD: AD_EFFECTIVE}
HIDDEN_BY_DEFAULT = frozenset({"DELETED", "ARCHIVED"})
# The child edges of a node: /<campaign>/adsets, /<adset>/ads, /<ad>/adcreatives (the ad's creative)
CHILD_EDGES = {
    CAMPAIGN: {"adsets": ADSET, "ads": AD},
    ADSET: {"ads": AD},
    AD: {"adcreatives": CREATIVE},
    BUSINESS: {"owned_ad_accounts": ACCOUNT, "client_ad_accounts": ACCOUNT},
}

COMMON_FIELDS = (
    "id",
    "account_id",
    "name",
    "status",
    "configured_status",
    "effective_status",
    "created_time",
    "updated_time",
    "issues_info",
    "recommendations",
)
# The fields the world models (answered when the object has a value); every other documented field is accepted and
# omitted (see VALID_FIELDS at the end).
MODELED_FIELDS: dict[str, frozenset[str]] = {
    ACCOUNT: frozenset(
        {
            "id",
            "account_id",
            "name",
            "currency",
            "timezone_name",
            "timezone_offset_hours_utc",
            "account_status",
            "disable_reason",
            "business_name",
            "business",
            "created_time",
            "spend_cap",
            "amount_spent",
            "balance",
            "owner",
            "min_daily_budget",
            "age",
            "is_personal",
        }
    ),
    CAMPAIGN: frozenset(
        COMMON_FIELDS
        + (
            "objective",
            "buying_type",
            "bid_strategy",
            "daily_budget",
            "lifetime_budget",
            "budget_remaining",
            "spend_cap",
            "special_ad_categories",
            "special_ad_category",
            "start_time",
            "stop_time",
            "pacing_type",
            "can_use_spend_cap",
            "source_campaign_id",
            "smart_promotion_type",
            "budget_rebalance_flag",
            "adlabels",
        )
    ),
    ADSET: frozenset(
        COMMON_FIELDS
        + (
            "campaign_id",
            "campaign",
            "optimization_goal",
            "billing_event",
            "bid_amount",
            "bid_strategy",
            "targeting",
            "promoted_object",
            "destination_type",
            "attribution_spec",
            "learning_stage_info",
            "daily_budget",
            "lifetime_budget",
            "budget_remaining",
            "start_time",
            "end_time",
            "pacing_type",
            "is_dynamic_creative",
            "adlabels",
            "source_adset_id",
        )
    ),
    AD: frozenset(
        COMMON_FIELDS
        + (
            "adset_id",
            "campaign_id",
            "adset",
            "campaign",
            "creative",
            "ad_review_feedback",
            "tracking_specs",
            "conversion_specs",
            "bid_amount",
            "source_ad_id",
            "preview_shareable_link",
            "adlabels",
            "last_updated_by_app_id",
        )
    ),
    CREATIVE: frozenset(
        {
            "id",
            "account_id",
            "name",
            "status",
            "title",
            "body",
            "call_to_action_type",
            "image_url",
            "image_hash",
            "video_id",
            "thumbnail_url",
            "object_story_id",
            "effective_object_story_id",
            "url_tags",
            "asset_feed_spec",
            "object_story_spec",
            "object_type",
            "link_url",
            "instagram_permalink_url",
            "actor_id",
        }
    ),
    IMAGE: frozenset(
        {
            "id",
            "account_id",
            "hash",
            "name",
            "url",
            "url_128",
            "permalink_url",
            "width",
            "height",
            "original_width",
            "original_height",
            "status",
            "created_time",
            "updated_time",
        }
    ),
    VIDEO: frozenset({"id", "title", "length", "picture", "status", "created_time", "updated_time", "permalink_url"}),
    BUSINESS: frozenset({"id", "name", "created_time", "verification_status"}),
}
# What a `fields=` selection may name on each kind: what Meta documents (node_fields) and what the world models.
VALID_FIELDS: dict[str, frozenset[str]] = {
    kind: modeled | DOCUMENTED_FIELDS[NODE_TYPE[kind]] for kind, modeled in MODELED_FIELDS.items()
}
# Fields that reference another node: rendered as that node with the nested selection (default: id).
REF_FIELDS = {"campaign": "campaign_id", "adset": "adset_id", "creative": "_creative_id", "business": "_business_id"}
REF_KIND = {"campaign": CAMPAIGN, "adset": ADSET, "creative": CREATIVE, "business": BUSINESS}
