"""What generated worlds are made of: objectives, bid strategies, products, audiences, places, issues and copy."""

from __future__ import annotations

OUTCOME_OBJECTIVES = (
    "OUTCOME_SALES",
    "OUTCOME_SALES",
    "OUTCOME_SALES",
    "OUTCOME_LEADS",
    "OUTCOME_LEADS",
    "OUTCOME_TRAFFIC",
    "OUTCOME_AWARENESS",
    "OUTCOME_ENGAGEMENT",
    "OUTCOME_APP_PROMOTION",
)
LEGACY_OBJECTIVES = (
    "CONVERSIONS",
    "LINK_CLICKS",
    "LEAD_GENERATION",
    "BRAND_AWARENESS",
    "POST_ENGAGEMENT",
    "VIDEO_VIEWS",
    "REACH",
    "APP_INSTALLS",
    "MESSAGES",
    "PAGE_LIKES",
)
# objective -> (conversion kind, optimization goals, destination type)
OBJECTIVE_PROFILE = {
    "OUTCOME_SALES": ("purchase", ("OFFSITE_CONVERSIONS", "VALUE"), "WEBSITE"),
    "CONVERSIONS": ("purchase", ("OFFSITE_CONVERSIONS",), "WEBSITE"),
    "OUTCOME_LEADS": ("lead", ("LEAD_GENERATION", "OFFSITE_CONVERSIONS"), "ON_AD"),
    "LEAD_GENERATION": ("lead", ("LEAD_GENERATION",), "ON_AD"),
    "OUTCOME_APP_PROMOTION": ("purchase", ("APP_INSTALLS", "OFFSITE_CONVERSIONS"), "APP"),
    "APP_INSTALLS": ("purchase", ("APP_INSTALLS",), "APP"),
    "OUTCOME_TRAFFIC": ("none", ("LINK_CLICKS", "LANDING_PAGE_VIEWS"), "WEBSITE"),
    "LINK_CLICKS": ("none", ("LINK_CLICKS",), "WEBSITE"),
    "OUTCOME_AWARENESS": ("none", ("REACH", "IMPRESSIONS", "AD_RECALL_LIFT"), "UNDEFINED"),
    "BRAND_AWARENESS": ("none", ("AD_RECALL_LIFT",), "UNDEFINED"),
    "REACH": ("none", ("REACH",), "UNDEFINED"),
    "OUTCOME_ENGAGEMENT": ("none", ("POST_ENGAGEMENT", "THRUPLAY"), "ON_POST"),
    "POST_ENGAGEMENT": ("none", ("POST_ENGAGEMENT",), "ON_POST"),
    "VIDEO_VIEWS": ("none", ("THRUPLAY",), "ON_VIDEO"),
    "MESSAGES": ("lead", ("CONVERSATIONS",), "MESSENGER"),
    "PAGE_LIKES": ("none", ("PAGE_LIKES",), "ON_PAGE"),
}
BID_STRATEGIES = (
    "LOWEST_COST_WITHOUT_CAP",
    "LOWEST_COST_WITHOUT_CAP",
    "LOWEST_COST_WITHOUT_CAP",
    "LOWEST_COST_WITH_BID_CAP",
    "COST_CAP",
    "LOWEST_COST_WITH_MIN_ROAS",
)
CTAS = ("SHOP_NOW", "LEARN_MORE", "SIGN_UP", "GET_OFFER", "ORDER_NOW", "SUBSCRIBE", "DOWNLOAD", "CONTACT_US")
PRODUCTS = (
    "Running Shoes",
    "Yoga Mats",
    "Coffee Beans",
    "Smart Watch",
    "Winter Jackets",
    "Skin Care Set",
    "Wireless Earbuds",
    "Desk Lamp",
    "Protein Bars",
    "Travel Backpack",
    "Été Collection",
    "Café Crème",
)
AUDIENCES = ("Prospecting", "Retargeting", "Lookalike 1%", "Broad", "Interests", "Cart Abandoners", "Advantage+")
COUNTRIES = ("US", "CA", "GB", "DE", "FR", "AU", "BR", "MX")
REGIONS = (
    {"key": "4081", "name": "California", "country": "US"},
    {"key": "3886", "name": "New York", "country": "US"},
    {"key": "3847", "name": "Texas", "country": "US"},
    {"key": "536", "name": "Ontario", "country": "CA"},
)
CITIES = (
    {"key": "2420605", "name": "San Francisco", "region": "California", "country": "US"},
    {"key": "2490299", "name": "New York", "region": "New York", "country": "US"},
    {"key": "2418779", "name": "Los Angeles", "region": "California", "country": "US"},
)
INTERESTS = (
    {"id": "6003139266461", "name": "Movies"},
    {"id": "6003107902433", "name": "Association football (Soccer)"},
    {"id": "6003020834693", "name": "Music"},
    {"id": "6003384248805", "name": "Fitness and wellness"},
    {"id": "6003346592981", "name": "Online shopping"},
    {"id": "6003397425735", "name": "Tennis"},
    {"id": "6003277229526", "name": "Coffee"},
    {"id": "6003263791114", "name": "Shopping"},
)
ISSUES = (
    {
        "error_code": 1815869,
        "error_message": "Ad post is not available. It may have been removed, or you may not "
        "have permission to view it.",
        "error_summary": "Ad post is not available",
        "error_type": "HARD_ERROR",
    },
    {
        "error_code": 2490468,
        "error_message": "The page associated with this ad is unpublished.",
        "error_summary": "Page unpublished",
        "error_type": "SOFT_ERROR",
    },
    {
        "error_code": 1885650,
        "error_message": "Your payment method was declined.",
        "error_summary": "Payment declined",
        "error_type": "HARD_ERROR",
    },
)
RECOMMENDATIONS = (
    {
        "title": "Use Advantage+ placements",
        "message": "Ad sets using Advantage+ placements get a lower cost per result.",
        "code": 1772120,
        "blame_field": "targeting",
        "confidence": "HIGH",
        "importance": "MEDIUM",
    },
    {
        "title": "Budget limited",
        "message": "This ad set could get more results with a higher budget.",
        "code": 1772121,
        "blame_field": "daily_budget",
        "confidence": "MEDIUM",
        "importance": "HIGH",
    },
    {
        "title": "Creative fatigue",
        "message": "Performance of this ad is dropping because people saw it many times.",
        "code": 1772122,
        "blame_field": "creative",
        "confidence": "LOW",
        "importance": "LOW",
    },
)
REVIEW_FEEDBACK = (
    {
        "global": {
            "Circumventing Systems": "Your ad was rejected because it doesn't comply with our Advertising "
            "Policies: Circumventing Systems."
        }
    },
    {
        "global": {"Personal Attributes": "Your ad mentions or implies personal attributes."},
        "placement_specific": {"instagram": {"Text in Image": "Your ad image contains too much text."}},
    },
)
ATTRIBUTION_SPEC = [{"event_type": "CLICK_THROUGH", "window_days": 7}, {"event_type": "VIEW_THROUGH", "window_days": 1}]
