"""The simulated ad world: configuration, deterministic objects, lazily generated insights.

Everything is derived from ``SimConfig.seed`` (and "today" in the account timezone), so two worlds built from the
same config on the same day are identical. Objects are plain dicts keyed by id; keys starting with ``_`` are
internal and never rendered.
"""

from __future__ import annotations

import bisect
import dataclasses
import gc
import random
import threading
import time
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from .errors import invalid_param, nonexisting_field
from .fields import FieldSpec, project
from .insights import InsightsEngine

CAMPAIGN, ADSET, AD, CREATIVE, ACCOUNT = "campaign", "adset", "ad", "creative", "account"
EDGE_KIND = {"campaigns": CAMPAIGN, "adsets": ADSET, "ads": AD, "adcreatives": CREATIVE}
NODE_TYPE = {CAMPAIGN: "Campaign", ADSET: "AdSet", AD: "Ad", CREATIVE: "AdCreative", ACCOUNT: "AdAccount"}
WEBHOOK_LEVEL = {CAMPAIGN: "CAMPAIGN", ADSET: "AD_SET", AD: "AD", CREATIVE: "CREATIVE"}

CAMPAIGN_EFFECTIVE = ("ACTIVE", "PAUSED", "DELETED", "ARCHIVED", "IN_PROCESS", "WITH_ISSUES")
ADSET_EFFECTIVE = CAMPAIGN_EFFECTIVE + ("CAMPAIGN_PAUSED",)
AD_EFFECTIVE = ADSET_EFFECTIVE + ("ADSET_PAUSED", "DISAPPROVED", "PENDING_REVIEW", "PREAPPROVED", "PENDING_BILLING_INFO")
ALL_EFFECTIVE = AD_EFFECTIVE
EFFECTIVE_BY_KIND = {CAMPAIGN: CAMPAIGN_EFFECTIVE, ADSET: ADSET_EFFECTIVE, AD: AD_EFFECTIVE}
HIDDEN_BY_DEFAULT = frozenset({"DELETED", "ARCHIVED"})
DELIVERING = frozenset({"ACTIVE", "WITH_ISSUES", "IN_PROCESS"})

COMMON_FIELDS = ("id", "account_id", "name", "status", "configured_status", "effective_status", "created_time",
                 "updated_time", "issues_info", "recommendations")
VALID_FIELDS: dict[str, frozenset[str]] = {
    ACCOUNT: frozenset({"id", "account_id", "name", "currency", "timezone_name", "timezone_offset_hours_utc",
                        "account_status", "disable_reason", "business_name", "created_time", "spend_cap", "balance",
                        "owner", "min_daily_budget", "age", "is_personal"}),
    CAMPAIGN: frozenset(COMMON_FIELDS + (
        "objective", "buying_type", "bid_strategy", "daily_budget", "lifetime_budget", "budget_remaining",
        "spend_cap", "special_ad_categories", "special_ad_category", "start_time", "stop_time", "pacing_type",
        "can_use_spend_cap", "source_campaign_id", "smart_promotion_type", "budget_rebalance_flag", "adlabels")),
    ADSET: frozenset(COMMON_FIELDS + (
        "campaign_id", "campaign", "optimization_goal", "billing_event", "bid_amount", "bid_strategy", "targeting",
        "promoted_object", "destination_type", "attribution_spec", "learning_stage_info", "daily_budget",
        "lifetime_budget", "budget_remaining", "start_time", "end_time", "pacing_type", "is_dynamic_creative",
        "adlabels", "source_adset_id")),
    AD: frozenset(COMMON_FIELDS + (
        "adset_id", "campaign_id", "adset", "campaign", "creative", "ad_review_feedback", "tracking_specs",
        "conversion_specs", "bid_amount", "source_ad_id", "preview_shareable_link", "adlabels",
        "last_updated_by_app_id")),
    CREATIVE: frozenset({
        "id", "account_id", "name", "status", "title", "body", "call_to_action_type", "image_url", "image_hash",
        "video_id", "thumbnail_url", "object_story_id", "effective_object_story_id", "url_tags", "asset_feed_spec",
        "object_story_spec", "object_type", "link_url", "instagram_permalink_url", "actor_id"}),
}
# Fields that reference another node: rendered as that node with the nested selection (default: id).
REF_FIELDS = {"campaign": "campaign_id", "adset": "adset_id", "creative": "_creative_id"}

OUTCOME_OBJECTIVES = ("OUTCOME_SALES", "OUTCOME_SALES", "OUTCOME_SALES", "OUTCOME_LEADS", "OUTCOME_LEADS",
                      "OUTCOME_TRAFFIC", "OUTCOME_AWARENESS", "OUTCOME_ENGAGEMENT", "OUTCOME_APP_PROMOTION")
LEGACY_OBJECTIVES = ("CONVERSIONS", "LINK_CLICKS", "LEAD_GENERATION", "BRAND_AWARENESS", "POST_ENGAGEMENT",
                     "VIDEO_VIEWS", "REACH", "APP_INSTALLS", "MESSAGES", "PAGE_LIKES")
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
BID_STRATEGIES = ("LOWEST_COST_WITHOUT_CAP", "LOWEST_COST_WITHOUT_CAP", "LOWEST_COST_WITHOUT_CAP",
                  "LOWEST_COST_WITH_BID_CAP", "COST_CAP", "LOWEST_COST_WITH_MIN_ROAS")
CTAS = ("SHOP_NOW", "LEARN_MORE", "SIGN_UP", "GET_OFFER", "ORDER_NOW", "SUBSCRIBE", "DOWNLOAD", "CONTACT_US")
PRODUCTS = ("Running Shoes", "Yoga Mats", "Coffee Beans", "Smart Watch", "Winter Jackets", "Skin Care Set",
            "Wireless Earbuds", "Desk Lamp", "Protein Bars", "Travel Backpack", "Été Collection", "Café Crème")
AUDIENCES = ("Prospecting", "Retargeting", "Lookalike 1%", "Broad", "Interests", "Cart Abandoners", "Advantage+")
COUNTRIES = ("US", "CA", "GB", "DE", "FR", "AU", "BR", "MX")
REGIONS = ({"key": "4081", "name": "California", "country": "US"}, {"key": "3886", "name": "New York", "country": "US"},
           {"key": "3847", "name": "Texas", "country": "US"}, {"key": "536", "name": "Ontario", "country": "CA"})
CITIES = ({"key": "2420605", "name": "San Francisco", "region": "California", "country": "US"},
          {"key": "2490299", "name": "New York", "region": "New York", "country": "US"},
          {"key": "2418779", "name": "Los Angeles", "region": "California", "country": "US"})
INTERESTS = ({"id": "6003139266461", "name": "Movies"}, {"id": "6003107902433", "name": "Association football (Soccer)"},
             {"id": "6003020834693", "name": "Music"}, {"id": "6003384248805", "name": "Fitness and wellness"},
             {"id": "6003346592981", "name": "Online shopping"}, {"id": "6003397425735", "name": "Tennis"},
             {"id": "6003277229526", "name": "Coffee"}, {"id": "6003263791114", "name": "Shopping"})
ISSUES = (
    {"error_code": 1815869, "error_message": "Ad post is not available. It may have been removed, or you may not "
     "have permission to view it.", "error_summary": "Ad post is not available", "error_type": "HARD_ERROR"},
    {"error_code": 2490468, "error_message": "The page associated with this ad is unpublished.",
     "error_summary": "Page unpublished", "error_type": "SOFT_ERROR"},
    {"error_code": 1885650, "error_message": "Your payment method was declined.",
     "error_summary": "Payment declined", "error_type": "HARD_ERROR"},
)
RECOMMENDATIONS = (
    {"title": "Use Advantage+ placements", "message": "Ad sets using Advantage+ placements get a lower cost per result.",
     "code": 1772120, "blame_field": "targeting", "confidence": "HIGH", "importance": "MEDIUM"},
    {"title": "Budget limited", "message": "This ad set could get more results with a higher budget.",
     "code": 1772121, "blame_field": "daily_budget", "confidence": "MEDIUM", "importance": "HIGH"},
    {"title": "Creative fatigue", "message": "Performance of this ad is dropping because people saw it many times.",
     "code": 1772122, "blame_field": "creative", "confidence": "LOW", "importance": "LOW"},
)
REVIEW_FEEDBACK = (
    {"global": {"Circumventing Systems": "Your ad was rejected because it doesn't comply with our Advertising "
                "Policies: Circumventing Systems."}},
    {"global": {"Personal Attributes": "Your ad mentions or implies personal attributes."},
     "placement_specific": {"instagram": {"Text in Image": "Your ad image contains too much text."}}},
)
ATTRIBUTION_SPEC = [{"event_type": "CLICK_THROUGH", "window_days": 7}, {"event_type": "VIEW_THROUGH", "window_days": 1}]
FAR_FUTURE_ORD = date(9999, 1, 1).toordinal()


@dataclass
class SimConfig:
    """Everything that shapes a simulated world and its server. All fields have working defaults."""

    campaigns: int = 5
    ad_sets_per_campaign: int = 2
    ads_per_ad_set: int = 2
    days: int = 30
    seed: int = 1
    latency_ms: int = 0
    error_rate: float = 0.0
    accounts: int = 1
    account_id: str = "act_1000000001"  # first account; further accounts count up from it
    account_name: str = "Simulated Ad Account"
    currency: str = "USD"
    timezone: str = "America/Los_Angeles"
    app_id: str = "111"
    app_secret: str | None = None  # when set: appsecret_proof required, client_secret checked, webhooks signed
    expired_tokens: tuple[str, ...] = ()  # any other non-empty token is valid
    today: str | None = None  # "YYYY-MM-DD" pins "today" in the account timezone (default: the real date)
    webhook_url: str | None = None
    webhook_verify_token: str = "metasync-sim"
    max_sync_insights_rows: int = 200_000  # estimated rows (objects x time buckets) above which sync insights fail
    report_polls: int = 3  # polls of a report run until "Job Completed"
    default_limit: int = 25
    max_limit: int = 500
    min_version: str = "v22.0"  # older versions answer error 2635
    latest_version: str = "v25.0"
    usage_window_s: int = 300  # sliding window for the usage headers
    app_call_capacity: int = 20_000  # calls per window that read as 100% in X-App-Usage
    account_call_capacity: int = 9_000  # calls per window and account that read as 100% (standard tier score)
    access_tier: str = "standard_access"
    enforce_usage_limits: bool = False  # when True, calls beyond 100% usage fail with error 17 / 80004 / 80000

    def replace(self, **changes: Any) -> "SimConfig":
        return dataclasses.replace(self, **changes)

    def as_dict(self) -> dict:
        d = dataclasses.asdict(self)
        d["expired_tokens"] = list(self.expired_tokens)
        return d


class World:
    """Deterministic accounts, campaigns, ad sets, ads and creatives, plus the insights engine.

    Thread-safe for concurrent readers; mutations take ``self.lock`` and bump ``self.version``.
    """

    def __init__(self, config: SimConfig | None = None) -> None:
        self.config = config or SimConfig()
        self.tz = ZoneInfo(self.config.timezone)
        self.lock = threading.RLock()
        self.version = 0
        self.objects: dict[str, dict] = {}
        self.accounts: list[dict] = []
        self.accounts_by_id: dict[str, dict] = {}
        self.ads: list[dict] = []  # every ad of every account, index = ad["_idx"]
        self._edge_cache: dict[tuple, tuple[list[dict], list[int]]] = {}
        self._today_override = date.fromisoformat(self.config.today) if self.config.today else None
        started = time.perf_counter()
        gc_was_enabled = gc.isenabled()
        gc.disable()  # building creates ~10 dicts per ad: cyclic GC passes would dominate
        try:
            self._build()
            self.insights = InsightsEngine(self)
        finally:
            if gc_was_enabled:
                gc.enable()
        if len(self.ads) >= 5_000:
            # Keep the (large, long-lived) world out of future GC passes: otherwise every generation-2
            # collection walks millions of objects and insights pages get 2-3x slower.
            gc.freeze()
        self.build_seconds = time.perf_counter() - started

    # ----------------------------------------------------------------- time
    def today(self) -> date:
        if self._today_override is not None:
            return self._today_override
        return datetime.now(self.tz).date()

    def data_window(self) -> tuple[int, int]:
        """(first, last) ordinal of the days that have insights data."""
        t = self.today().toordinal()
        return t - self.config.days + 1, t

    def day_start_ts(self, ordinal: int) -> int:
        d = date.fromordinal(ordinal)
        return int(datetime(d.year, d.month, d.day, tzinfo=self.tz).timestamp())

    def fmt_time(self, ts: float) -> str:
        return datetime.fromtimestamp(ts, self.tz).strftime("%Y-%m-%dT%H:%M:%S%z")

    def local_date(self, ts: float) -> date:
        return datetime.fromtimestamp(ts, self.tz).date()

    def utc_offset_hours(self) -> float:
        off = datetime.now(self.tz).utcoffset()
        return off.total_seconds() / 3600 if off else 0.0

    # ---------------------------------------------------------------- build
    def _build(self) -> None:
        cfg = self.config
        digits = int(cfg.account_id.removeprefix("act_"))
        today_ord = self.today().toordinal()
        self.today_at_build = today_ord
        self.window_start_at_build = today_ord - cfg.days + 1
        today_start = self.day_start_ts(today_ord)
        # Generated timestamps never pass this point: noon of a pinned day, else today's local midnight (so a
        # world is identical all day long and nothing is in the future). Mutations use the real clock.
        self.reference_ts = today_start + 12 * 3600 if self._today_override is not None else today_start
        # ids: one ascending counter over every object of every account (creation order = id order)
        self._next_id = 120_200_000_000_000_000 + (cfg.seed % 997) * 1_000_000_000 + 1000
        for a in range(max(1, cfg.accounts)):
            rng = random.Random(f"{cfg.seed}:account:{a}")
            self._build_account(rng, digits + a, a)

    def _new_id(self, rng: random.Random) -> str:
        self._next_id += rng.randint(1, 9)
        return str(self._next_id)

    def _ts_on(self, rng: random.Random, ordinal: int) -> int:
        """A time during local day `ordinal`, never after the reference "now"."""
        start = self.day_start_ts(ordinal)
        offset = int(rng.random() * 86_400)  # fixed rng consumption: the clock only clamps
        return max(start, min(start + offset, self.reference_ts - 1))

    def _set_times(self, obj: dict, created: int, updated: int) -> None:
        obj["_created_ts"] = created
        obj["_updated_ts"] = updated
        obj["created_time"] = self.fmt_time(created)
        obj["updated_time"] = self.fmt_time(updated)

    def _build_account(self, rng: random.Random, digits: int, index: int) -> None:
        cfg = self.config
        act_id = f"act_{digits}"
        acct_digits = str(digits)
        today_ord = self.today_at_build
        wstart = self.window_start_at_build
        created = self.day_start_ts(wstart - 400) + 3600 * 10
        account = {
            "_kind": ACCOUNT, "id": act_id, "account_id": acct_digits,
            "name": cfg.account_name if index == 0 else f"{cfg.account_name} {index + 1}",
            "currency": cfg.currency, "timezone_name": cfg.timezone, "account_status": 1, "disable_reason": 0,
            "business_name": "Simulated Business", "spend_cap": "0", "balance": "0", "min_daily_budget": 100,
            "owner": str(3_000_000_000_000 + digits), "age": 400.0, "is_personal": 0,
            "created_time": self.fmt_time(created),
            "_lists": {CAMPAIGN: [], ADSET: [], AD: [], CREATIVE: []},
        }
        self.accounts.append(account)
        self.accounts_by_id[act_id] = account
        page_id = str(100_000_000_000_000 + digits)
        pixel_id = str(700_000_000_000_000 + digits)
        app_store_id = str(900_000_000_000 + digits)
        lists = account["_lists"]

        for c in range(cfg.campaigns):
            legacy = rng.random() < 0.1
            objective = rng.choice(LEGACY_OBJECTIVES if legacy else OUTCOME_OBJECTIVES)
            conv_kind, goals, destination = OBJECTIVE_PROFILE[objective]
            # creation day: most before the data window, some inside it
            c_start = wstart - rng.randint(1, 150) if rng.random() < 0.95 else wstart + rng.randint(0, max(0, cfg.days - 2))
            c_start = min(c_start, today_ord)
            roll = rng.random()
            c_status = "ACTIVE" if roll < 0.78 else "PAUSED" if roll < 0.89 else "ARCHIVED" if roll < 0.96 else "DELETED"
            override = None
            if c_status == "ACTIVE":
                r2 = rng.random()
                override = "WITH_ISSUES" if r2 < 0.04 else "IN_PROCESS" if r2 < 0.06 else None
            camp_stop = FAR_FUTURE_ORD if c_status == "ACTIVE" else self._stop_day(rng, c_start)
            product = rng.choice(PRODUCTS)
            cid = self._new_id(rng)
            name = f"{product} | {objective.replace('OUTCOME_', '').title()} | {rng.choice(COUNTRIES)} | C{c + 1:03d}"
            if rng.random() < 0.05:
                name += " 🚀"
            camp = {"_kind": CAMPAIGN, "_account": act_id, "id": cid, "account_id": acct_digits, "name": name,
                    "objective": objective, "status": c_status, "configured_status": c_status,
                    "_override": override, "buying_type": "AUCTION", "special_ad_categories": [],
                    "special_ad_category": "NONE", "pacing_type": ["standard"], "can_use_spend_cap": True,
                    "source_campaign_id": "0", "budget_rebalance_flag": False,
                    "_adsets": [], "_ads": [], "_stop_ord": camp_stop, "_conv": conv_kind}
            if rng.random() < 0.06:
                camp["special_ad_categories"] = ["EMPLOYMENT"]
                camp["special_ad_category"] = "EMPLOYMENT"
            created_ts = self._ts_on(rng, c_start)
            camp["start_time"] = self.fmt_time(created_ts + rng.randint(0, 3600))
            cbo = rng.random() < 0.4
            camp["_cbo"] = cbo
            if cbo:
                camp["bid_strategy"] = rng.choice(BID_STRATEGIES)
                if rng.random() < 0.8:
                    budget = rng.choice((2000, 5000, 10000, 25000, 50000, 150000))
                    camp["daily_budget"] = str(budget)
                    camp["budget_remaining"] = str(rng.randint(0, budget))
                else:
                    budget = rng.choice((100000, 500000, 2000000))
                    camp["lifetime_budget"] = str(budget)
                    camp["budget_remaining"] = str(rng.randint(0, budget))
                    camp["stop_time"] = self.fmt_time(self.day_start_ts(today_ord + rng.randint(5, 90)) + 7 * 3600)
            else:
                camp["budget_remaining"] = "0"
            if rng.random() < 0.15:
                camp["spend_cap"] = str(rng.choice((1000000, 5000000, 10000000)))
            if override == "WITH_ISSUES":
                camp["issues_info"] = [dict(rng.choice(ISSUES), level="CAMPAIGN", mid=cid)]
            if rng.random() < 0.2:
                camp["recommendations"] = [rng.choice(RECOMMENDATIONS)]
            upd = self._updated_ts(rng, created_ts, camp_stop)
            self._set_times(camp, created_ts, upd)
            self._register(account, camp)

            for s in range(cfg.ad_sets_per_campaign):
                s_start = min(today_ord, c_start + (rng.randint(0, 6) if rng.random() < 0.97 else rng.randint(0, 20)))
                roll = rng.random()
                s_status = "ACTIVE" if roll < 0.87 else "PAUSED" if roll < 0.94 else "ARCHIVED" if roll < 0.98 else "DELETED"
                s_override = "WITH_ISSUES" if s_status == "ACTIVE" and rng.random() < 0.03 else None
                own_stop = FAR_FUTURE_ORD if s_status == "ACTIVE" else self._stop_day(rng, s_start)
                set_stop = min(own_stop, camp_stop)
                sid = self._new_id(rng)
                audience = rng.choice(AUDIENCES)
                goal = rng.choice(goals)
                adset = {"_kind": ADSET, "_account": act_id, "id": sid, "account_id": acct_digits,
                         "campaign_id": cid, "name": f"{audience} | {goal.lower()} | S{s + 1:02d}",
                         "status": s_status, "configured_status": s_status, "_override": s_override,
                         "optimization_goal": goal, "billing_event": "IMPRESSIONS",
                         "destination_type": destination, "targeting": self._targeting(rng),
                         "attribution_spec": ATTRIBUTION_SPEC, "pacing_type": ["standard"],
                         "is_dynamic_creative": False, "source_adset_id": "0",
                         "_ads": [], "_stop_ord": set_stop}
                if conv_kind == "purchase" and destination != "APP":
                    adset["promoted_object"] = {"pixel_id": pixel_id, "custom_event_type": "PURCHASE"}
                elif destination == "APP":
                    adset["promoted_object"] = {"application_id": cfg.app_id, "object_store_url":
                                                f"https://apps.apple.com/app/id{app_store_id}"}
                elif conv_kind == "lead":
                    adset["promoted_object"] = {"page_id": page_id}
                if not cbo:
                    strategy = rng.choice(BID_STRATEGIES)
                    adset["bid_strategy"] = strategy
                    if strategy in ("LOWEST_COST_WITH_BID_CAP", "COST_CAP"):
                        adset["bid_amount"] = rng.choice((150, 300, 500, 1200, 2500))
                    if rng.random() < 0.85:
                        budget = rng.choice((1000, 2000, 5000, 10000, 20000))
                        adset["daily_budget"] = str(budget)
                        adset["budget_remaining"] = str(rng.randint(0, budget))
                    else:
                        budget = rng.choice((50000, 200000, 1000000))
                        adset["lifetime_budget"] = str(budget)
                        adset["budget_remaining"] = str(rng.randint(0, budget))
                        adset["end_time"] = self.fmt_time(self.day_start_ts(today_ord + rng.randint(3, 60)) + 5 * 3600)
                else:
                    adset["bid_strategy"] = camp["bid_strategy"]
                    adset["budget_remaining"] = "0"
                s_created = self._ts_on(rng, s_start)
                adset["start_time"] = self.fmt_time(s_created + rng.randint(0, 1800))
                if rng.random() < 0.5:
                    adset["learning_stage_info"] = {
                        "status": rng.choice(("LEARNING", "SUCCESS", "SUCCESS", "FAIL")),
                        "conversions": rng.randint(0, 80),
                        "last_sig_edit_ts": s_created + rng.randint(0, 86400 * 3),
                        "attribution_windows": ["1d_view", "7d_click"],
                    }
                if s_override:
                    adset["issues_info"] = [dict(rng.choice(ISSUES), level="AD_SET", mid=sid)]
                if rng.random() < 0.25:
                    adset["recommendations"] = [rng.choice(RECOMMENDATIONS)]
                self._set_times(adset, s_created, self._updated_ts(rng, s_created, own_stop))
                self._register(account, adset)
                camp["_adsets"].append(sid)

                for a in range(cfg.ads_per_ad_set):
                    self._build_ad(rng, account, camp, adset, a, s_start, set_stop, page_id, pixel_id, app_store_id)
        for kind in (CAMPAIGN, ADSET, AD):
            for obj in lists[kind]:
                obj["effective_status"] = self._effective(obj)

    def _stop_day(self, rng: random.Random, start: int) -> int:
        """The day a paused / archived / deleted object stopped delivering: skewed towards recent days."""
        back = int(self.config.days * rng.random() ** 3)
        return max(start, self.window_start_at_build, self.today_at_build - back)

    def _updated_ts(self, rng: random.Random, created: int, stop_ord: int) -> int:
        if stop_ord < FAR_FUTURE_ORD:  # paused/archived/deleted on that day
            return max(created, self._ts_on(rng, stop_ord))
        hi = max(created, self.reference_ts - 3600)
        return created + int(rng.random() * (hi - created))

    def _targeting(self, rng: random.Random) -> dict:
        geo: dict = {"countries": sorted(set(rng.sample(COUNTRIES, rng.randint(1, 3))))}
        if rng.random() < 0.3:
            geo["regions"] = [dict(r) for r in rng.sample(REGIONS, rng.randint(1, 2))]
        if rng.random() < 0.2:
            geo["cities"] = [dict(rng.choice(CITIES), radius=rng.choice((10, 25)), distance_unit="mile")]
        geo["location_types"] = ["home", "recent"]
        t: dict = {"geo_locations": geo, "age_min": rng.choice((18, 18, 21, 25)),
                   "age_max": rng.choice((45, 55, 65, 65))}
        g = rng.random()
        if g < 0.2:
            t["genders"] = [1]
        elif g < 0.4:
            t["genders"] = [2]
        if rng.random() < 0.6:
            t["flexible_spec"] = [{"interests": [dict(i) for i in rng.sample(INTERESTS, rng.randint(1, 3))]}]
        if rng.random() < 0.7:
            t["publisher_platforms"] = rng.choice((["facebook", "instagram"], ["facebook"], ["instagram"],
                                                   ["facebook", "instagram", "audience_network", "messenger"]))
            if "facebook" in t["publisher_platforms"]:
                t["facebook_positions"] = ["feed", "story"]
            if "instagram" in t["publisher_platforms"]:
                t["instagram_positions"] = ["stream", "story", "reels"]
        t["targeting_automation"] = {"advantage_audience": 1 if rng.random() < 0.5 else 0}
        return t

    def _build_ad(self, rng, account, camp, adset, a, s_start, set_stop, page_id, pixel_id, app_store_id) -> None:
        today_ord = self.today_at_build
        act_id = account["id"]
        acct_digits = account["account_id"]
        roll = rng.random()
        status = "ACTIVE" if roll < 0.87 else "PAUSED" if roll < 0.94 else "ARCHIVED" if roll < 0.98 else "DELETED"
        override = None
        ad_start = min(today_ord, s_start + (rng.randint(0, 3) if rng.random() < 0.95 else rng.randint(0, 20)))
        if status == "ACTIVE":
            r2 = rng.random()
            override = ("WITH_ISSUES" if r2 < 0.03 else "DISAPPROVED" if r2 < 0.06 else
                        "PENDING_REVIEW" if r2 < 0.08 else None)
        if override == "PENDING_REVIEW":
            ad_start = today_ord
        own_stop = FAR_FUTURE_ORD if status == "ACTIVE" else self._stop_day(rng, ad_start)
        if override == "DISAPPROVED":
            own_stop = self._stop_day(rng, ad_start)
        stop = min(own_stop, set_stop)
        if override == "PENDING_REVIEW":
            data_start, stop = FAR_FUTURE_ORD, 0  # not delivered yet
        else:
            data_start = ad_start
        # creative
        crid = self._new_id(rng)
        aid = self._new_id(rng)
        product = camp["name"].split(" | ")[0]
        headline = f"{rng.choice(('New', 'Save 20% on', 'Discover', 'Limited:', 'Best'))} {product}"
        body = rng.choice(("Free shipping on every order.", "Loved by 10,000+ customers.", "Sign up in 30 seconds.",
                           "Offer ends Sunday!", "Made to last. Try it risk-free."))
        cta = rng.choice(CTAS)
        link = f"https://shop.example.com/{product.lower().replace(' ', '-')}?ref={a}"
        video = rng.random() < 0.25
        post_id = f"{page_id}_{200_000_000_000_000 + int(aid) % 10**12}"
        image_hash = "%032x" % rng.getrandbits(128)
        creative = {"_kind": CREATIVE, "_account": act_id, "id": crid, "account_id": acct_digits,
                    "name": f"{product} creative {a + 1} {'video' if video else 'image'}", "status": "ACTIVE",
                    "actor_id": page_id, "object_type": "VIDEO" if video else "SHARE",
                    "effective_object_story_id": post_id, "url_tags": "utm_source=facebook&utm_medium=paid",
                    "thumbnail_url": f"https://scontent.example.com/t/{crid}_thumb.jpg"}
        if video:
            video_id = str(800_000_000_000_000 + int(crid) % 10**12)
            creative["video_id"] = video_id
            creative["object_story_spec"] = {"page_id": page_id, "video_data": {
                "video_id": video_id, "title": headline, "message": body,
                "image_url": f"https://scontent.example.com/v/{crid}.jpg",
                "call_to_action": {"type": cta, "value": {"link": link}}}}
        else:
            creative["image_hash"] = image_hash
            creative["image_url"] = f"https://scontent.example.com/i/{image_hash}.jpg"
            creative["link_url"] = link
            creative["object_story_spec"] = {"page_id": page_id, "link_data": {
                "name": headline, "message": body, "link": link, "description": "Shop the collection",
                "picture": creative["image_url"], "call_to_action": {"type": cta, "value": {"link": link}}}}
        if rng.random() < 0.3:  # legacy creatives also carry the top-level copies
            creative["title"] = headline
            creative["body"] = body
            creative["call_to_action_type"] = cta
        if rng.random() < 0.1:
            creative["asset_feed_spec"] = {"titles": [{"text": headline}, {"text": f"{product} sale"}],
                                           "bodies": [{"text": body}], "call_to_action_types": [cta],
                                           "link_urls": [{"website_url": link}]}
        if rng.random() < 0.4:
            creative["instagram_permalink_url"] = f"https://www.instagram.com/p/{image_hash[:11]}/"
        created = self._ts_on(rng, ad_start)
        self._set_times(creative, created, created)
        creative["_created_ts"] = created
        self._register(account, creative)

        ad = {"_kind": AD, "_account": act_id, "id": aid, "account_id": acct_digits, "adset_id": adset["id"],
              "campaign_id": camp["id"], "_creative_id": crid,
              "name": f"{product} | {'Video' if video else 'Image'} {a + 1} | {rng.choice(('v1', 'v2', 'UGC', 'static'))}",
              "status": status, "configured_status": status, "_override": override,
              "tracking_specs": [{"action.type": ["offsite_conversion"], "fb_pixel": [pixel_id]},
                                 {"action.type": ["post_engagement"], "page": [page_id], "post": [post_id]}],
              "conversion_specs": [{"action.type": ["offsite_conversion"], "conversion_id": [pixel_id]}],
              "source_ad_id": "0", "last_updated_by_app_id": self.config.app_id,
              "preview_shareable_link": f"https://fb.me/sim{aid[-8:]}"}
        if override == "DISAPPROVED":
            ad["ad_review_feedback"] = dict(rng.choice(REVIEW_FEEDBACK))
        elif rng.random() < 0.03:
            ad["ad_review_feedback"] = {"placement_specific": {"instagram": {
                "Text in Image": "Your ad image contains too much text and may reach fewer people."}}}
        if override == "WITH_ISSUES":
            ad["issues_info"] = [dict(rng.choice(ISSUES), level="AD", mid=aid)]
        if rng.random() < 0.1:
            ad["recommendations"] = [rng.choice(RECOMMENDATIONS)]
        self._set_times(ad, created, self._updated_ts(rng, created, own_stop if override != "PENDING_REVIEW" else FAR_FUTURE_ORD))
        ad["_idx"] = len(self.ads)
        ad["_profile"] = self._ad_profile(rng, camp, video, data_start, stop)
        self.ads.append(ad)
        self._register(account, ad)
        adset["_ads"].append(aid)
        camp["_ads"].append(aid)

    def _ad_profile(self, rng: random.Random, camp: dict, video: bool, start: int, stop: int) -> tuple:
        """Per-ad constants for the insights generator (see insights.InsightsEngine.ad_day)."""
        conv = camp["_conv"]
        base_impr = int(10 ** rng.uniform(2.3, 4.3))  # ~200 .. 20,000 impressions a day
        ctr_ppm = rng.randint(4_000, 30_000)  # 0.4% .. 3% click-through
        cpm_cents = rng.randint(300, 2_500)  # $3 .. $25 per 1000 impressions
        cvr_ppm = rng.randint(8_000, 90_000) if conv != "none" else 0
        aov_cents = rng.choice((1999, 2999, 4999, 8900, 12900, 19900))
        web_pct = rng.choice((100, 100, 90, 80, 70)) if conv == "purchase" else 0
        shop_pct = 100 - web_pct
        app = camp["objective"] in ("OUTCOME_APP_PROMOTION", "APP_INSTALLS")
        form_pct = rng.choice((100, 80, 60, 0)) if conv == "lead" else 0
        channel_only_pct = rng.choice((0, 0, 5, 15))  # share of rows without omni/aggregate action types
        return (start, stop, base_impr, ctr_ppm, cpm_cents, conv, cvr_ppm, aov_cents, web_pct, shop_pct, app,
                form_pct, video, channel_only_pct)

    def _register(self, account: dict, obj: dict) -> None:
        self.objects[obj["id"]] = obj
        account["_lists"][obj["_kind"]].append(obj)

    # ------------------------------------------------------------ statuses
    def _effective(self, obj: dict) -> str:
        kind = obj["_kind"]
        cs = obj["configured_status"]
        if kind == CREATIVE:
            return cs
        if cs in HIDDEN_BY_DEFAULT:
            return cs
        camp = obj if kind == CAMPAIGN else self.objects[obj["campaign_id"]]
        adset = self.objects[obj["adset_id"]] if kind == AD else (obj if kind == ADSET else None)
        if kind != CAMPAIGN and camp["configured_status"] in HIDDEN_BY_DEFAULT:
            return camp["configured_status"]
        if kind == AD and adset["configured_status"] in HIDDEN_BY_DEFAULT:
            return adset["configured_status"]
        if cs == "PAUSED":
            return "PAUSED"
        if kind != CAMPAIGN and camp["configured_status"] == "PAUSED":
            return "CAMPAIGN_PAUSED"
        if kind == AD and adset["configured_status"] == "PAUSED":
            return "ADSET_PAUSED"
        return obj.get("_override") or "ACTIVE"

    def _refresh_subtree(self, obj: dict) -> None:
        obj["effective_status"] = self._effective(obj)
        if obj["_kind"] == CAMPAIGN:
            for sid in obj["_adsets"]:
                self.objects[sid]["effective_status"] = self._effective(self.objects[sid])
        if obj["_kind"] in (CAMPAIGN, ADSET):
            for aid in obj["_ads"]:
                self.objects[aid]["effective_status"] = self._effective(self.objects[aid])

    # ------------------------------------------------------------- lookups
    def account(self, act_id: str) -> dict | None:
        return self.accounts_by_id.get(act_id)

    def get(self, object_id: str) -> dict | None:
        return self.objects.get(object_id) or self.accounts_by_id.get(object_id)

    def account_of(self, obj: dict) -> dict:
        return obj if obj["_kind"] == ACCOUNT else self.accounts_by_id[obj["_account"]]

    # ------------------------------------------------------------ rendering
    def render(self, obj: dict, spec: FieldSpec | None) -> dict:
        """The node as Graph returns it: the requested fields that have a value, then `id`."""
        kind = obj["_kind"]
        valid = VALID_FIELDS[kind]
        if not spec:
            out = {"id": obj["id"]}
            if kind == ACCOUNT:
                out = {"account_id": obj["account_id"], "id": obj["id"]}
            return out
        out = {}
        for name, sub in spec:
            if name not in valid:
                raise nonexisting_field(name, NODE_TYPE[kind])
            if name == "timezone_offset_hours_utc":
                out[name] = self.utc_offset_hours()
                continue
            ref = REF_FIELDS.get(name)
            if ref is not None:
                target = self.objects.get(obj.get(ref, ""))
                if target is not None:
                    out[name] = self.render(target, sub) if sub else {"id": target["id"]}
                continue
            if name in obj:
                value = obj[name]
                out[name] = project(value, sub) if sub else value
        if "id" not in out:
            out["id"] = obj["id"]
        return out

    def check_fields(self, kind: str, spec: FieldSpec | None) -> None:
        """Validate a field selection up front (so an empty page still errors on a bad field)."""
        if not spec:
            return
        valid = VALID_FIELDS[kind]
        for name, sub in spec:
            if name not in valid:
                raise nonexisting_field(name, NODE_TYPE[kind])
            if sub and name in REF_FIELDS:
                self.check_fields({"campaign": CAMPAIGN, "adset": ADSET, "creative": CREATIVE}[name], sub)

    # --------------------------------------------------------------- edges
    def parse_edge_filters(self, kind: str, filtering: list | None, effective_status: list | None) -> tuple:
        """Normalise `filtering` + `effective_status` into a hashable filter tuple; raises code 100 when invalid."""
        filters: list[tuple] = []
        own_status_filter = False
        if effective_status is not None:
            allowed = EFFECTIVE_BY_KIND.get(kind, ALL_EFFECTIVE)
            for i, v in enumerate(effective_status):
                if v not in ALL_EFFECTIVE:
                    raise invalid_param(f"(#100) Param effective_status[{i}] must be one of {{{', '.join(ALL_EFFECTIVE)}}}")
            filters.append(("self", "effective_status", "IN", tuple(v for v in effective_status if v in allowed)))
            own_status_filter = True
        for f in filtering or []:
            target, fname, op, value = self._normalise_filter(kind, f)
            if target == "self" and fname == "effective_status" and op in ("IN", "EQUAL"):
                own_status_filter = True
            filters.append((target, fname, op, value))
        if not own_status_filter and kind in (CAMPAIGN, ADSET, AD):
            filters.insert(0, ("self", "effective_status", "NOT_IN", tuple(sorted(HIDDEN_BY_DEFAULT))))
        return tuple(filters)

    def _normalise_filter(self, kind: str, f: Any) -> tuple:
        if not isinstance(f, dict) or "field" not in f or "operator" not in f:
            raise invalid_param("(#100) filtering[] must be an array of objects with field, operator and value")
        raw_field = str(f["field"])
        op = str(f["operator"]).upper()
        value = f.get("value")
        prefix, _, fname = raw_field.rpartition(".")
        kind_prefix = {"campaign": CAMPAIGN, "adset": ADSET, "ad": AD, "adcreative": CREATIVE}
        if prefix:
            pk = kind_prefix.get(prefix)
            if pk is None or not self._is_self_or_parent(kind, pk):
                raise invalid_param(f"(#100) Filtering field {raw_field} is invalid.")
            target = "self" if pk == kind else pk
        else:
            target = "self"
        ops_by_field = {
            "effective_status": ("IN", "NOT_IN", "EQUAL", "NOT_EQUAL"),
            "configured_status": ("IN", "NOT_IN", "EQUAL", "NOT_EQUAL"),
            "status": ("IN", "NOT_IN", "EQUAL", "NOT_EQUAL"),
            "id": ("IN", "NOT_IN", "EQUAL", "NOT_EQUAL"),
            "name": ("CONTAIN", "NOT_CONTAIN", "EQUAL", "NOT_EQUAL"),
            "updated_time": ("GREATER_THAN", "LESS_THAN", "GREATER_THAN_OR_EQUAL", "LESS_THAN_OR_EQUAL"),
            "created_time": ("GREATER_THAN", "LESS_THAN", "GREATER_THAN_OR_EQUAL", "LESS_THAN_OR_EQUAL"),
            "objective": ("IN", "NOT_IN", "EQUAL", "NOT_EQUAL"),
        }
        if fname in ("campaign_id", "adset_id") and not prefix:  # e.g. ads filtered by campaign_id
            pk = CAMPAIGN if fname == "campaign_id" else ADSET
            if not self._is_self_or_parent(kind, pk) or pk == kind:
                raise invalid_param(f"(#100) Filtering field {raw_field} is invalid.")
            target, fname = pk, "id"
        allowed_ops = ops_by_field.get(fname)
        if allowed_ops is None:
            raise invalid_param(f"(#100) Filtering field {raw_field} is invalid.")
        if op not in allowed_ops:
            raise invalid_param(f"(#100) Filtering field {raw_field} with operation {op.lower()} is not supported")
        if op in ("IN", "NOT_IN"):
            if not isinstance(value, list):
                raise invalid_param(f"(#100) Filtering value for {raw_field} with operation {op.lower()} must be an array")
            value = tuple(str(v) for v in value)
            if fname == "effective_status":
                for v in value:
                    if v not in ALL_EFFECTIVE:
                        raise invalid_param(f"(#100) Filtering field {raw_field} with operation {op.lower()} and "
                                            f"value {v} is not supported")
        elif fname in ("updated_time", "created_time"):
            try:
                value = int(float(value))
            except (TypeError, ValueError):
                raise invalid_param(f"(#100) Filtering value for {raw_field} must be a unix timestamp") from None
        else:
            value = str(value)
        return target, fname, op, value

    @staticmethod
    def _is_self_or_parent(kind: str, other: str) -> bool:
        order = {CAMPAIGN: 0, ADSET: 1, AD: 2}
        if kind == CREATIVE or other == CREATIVE:
            return kind == other
        return order[other] <= order[kind]

    def _matches(self, obj: dict, filters: tuple) -> bool:
        objects = self.objects
        for target, fname, op, value in filters:
            o = obj if target == "self" else objects[obj[f"{target}_id"]]
            if fname == "updated_time":
                v = o["_updated_ts"]
            elif fname == "created_time":
                v = o["_created_ts"]
            else:
                v = o.get(fname)
            if op == "IN":
                ok = v in value
            elif op == "NOT_IN":
                ok = v not in value
            elif op == "EQUAL":
                ok = v == value
            elif op == "NOT_EQUAL":
                ok = v != value
            elif op == "GREATER_THAN":
                ok = v > value
            elif op == "LESS_THAN":
                ok = v < value
            elif op == "GREATER_THAN_OR_EQUAL":
                ok = v >= value
            elif op == "LESS_THAN_OR_EQUAL":
                ok = v <= value
            elif op == "CONTAIN":
                ok = value.lower() in str(v).lower()
            elif op == "NOT_CONTAIN":
                ok = value.lower() not in str(v).lower()
            else:  # pragma: no cover - rejected by _normalise_filter
                ok = False
            if not ok:
                return False
        return True

    def edge_base(self, scope: dict, kind: str) -> list[dict]:
        """The unfiltered, id-ordered list of `kind` objects under `scope` (account, campaign or ad set)."""
        if scope["_kind"] == ACCOUNT:
            return scope["_lists"][kind]
        key = "_adsets" if kind == ADSET else "_ads"
        return [self.objects[i] for i in scope[key]]

    def edge_list(self, scope: dict, kind: str, filters: tuple) -> tuple[list[dict], list[int]]:
        """Filtered objects and their integer ids (ascending), cached per (scope, kind, filters, world version)."""
        key = (self.version, scope["id"], kind, filters)
        hit = self._edge_cache.get(key)
        if hit is not None:
            return hit
        base = self.edge_base(scope, kind)
        objs = [o for o in base if self._matches(o, filters)] if filters else list(base)
        result = (objs, [int(o["id"]) for o in objs])
        with self.lock:
            if len(self._edge_cache) > 256:
                self._edge_cache.clear()
            self._edge_cache[key] = result
        return result

    @staticmethod
    def page_bounds(keys: list[int], limit: int, after: int | None, before: int | None) -> tuple[int, int]:
        if before is not None:
            end = bisect.bisect_left(keys, before)
            return max(0, end - limit), end
        start = bisect.bisect_right(keys, after) if after is not None else 0
        return start, min(len(keys), start + limit)

    # ------------------------------------------------------------- mutation
    def mutate(self, action: str, object_id: str, **kw: Any) -> dict:
        """Apply one control-plane mutation; bumps updated_time (to now) and the world version."""
        with self.lock:
            obj = self.get(object_id)
            if obj is None or obj["_kind"] == ACCOUNT and action != "add_spend":
                raise KeyError(object_id)
            now = int(time.time())
            if action == "rename":
                if "name" not in kw:
                    raise ValueError("rename needs 'name'")
                obj["name"] = str(kw["name"])
            elif action in ("pause", "activate", "archive", "delete"):
                if obj["_kind"] == CREATIVE:
                    raise ValueError("status changes apply to campaigns, ad sets and ads")
                new = {"pause": "PAUSED", "activate": "ACTIVE", "archive": "ARCHIVED", "delete": "DELETED"}[action]
                obj["status"] = obj["configured_status"] = new
                self._refresh_subtree(obj)
            elif action == "add_spend":
                cents = int(kw.get("cents", 0))
                impressions = int(kw.get("impressions", 0))
                day = kw.get("date")
                ordinal = date.fromisoformat(day).toordinal() if day else self.today().toordinal()
                ad = obj
                if obj["_kind"] in (CAMPAIGN, ADSET):
                    ad = self.objects[obj["_ads"][0]] if obj["_ads"] else None
                elif obj["_kind"] == ACCOUNT:
                    ad = obj["_lists"][AD][0] if obj["_lists"][AD] else None
                if ad is None or ad["_kind"] != AD:
                    raise ValueError("add_spend needs an ad (or a campaign / ad set / account with ads)")
                self.insights.add_extra(ad["_idx"], ordinal, cents, impressions)
                obj = ad
            else:
                raise ValueError(f"unknown action {action!r}")
            if action != "add_spend":
                obj["_updated_ts"] = now
                obj["updated_time"] = self.fmt_time(now)
            self.version += 1
            return obj

    # -------------------------------------------------------------- summary
    def summary(self, first: int = 5) -> dict:
        accounts = []
        for acct in self.accounts:
            lists = acct["_lists"]
            statuses: dict[str, dict[str, int]] = {}
            for kind in (CAMPAIGN, ADSET, AD):
                counts: dict[str, int] = {}
                for o in lists[kind]:
                    counts[o["effective_status"]] = counts.get(o["effective_status"], 0) + 1
                statuses[kind] = counts
            accounts.append({
                "id": acct["id"], "name": acct["name"],
                "counts": {"campaigns": len(lists[CAMPAIGN]), "adsets": len(lists[ADSET]), "ads": len(lists[AD]),
                           "adcreatives": len(lists[CREATIVE])},
                "effective_status": {"campaigns": statuses[CAMPAIGN], "adsets": statuses[ADSET], "ads": statuses[AD]},
                "first_ids": {"campaigns": [o["id"] for o in lists[CAMPAIGN][:first]],
                              "adsets": [o["id"] for o in lists[ADSET][:first]],
                              "ads": [o["id"] for o in lists[AD][:first]],
                              "adcreatives": [o["id"] for o in lists[CREATIVE][:first]]},
            })
        lo, hi = self.data_window()
        return {"version": self.version, "seed": self.config.seed, "today": self.today().isoformat(),
                "data_window": [date.fromordinal(lo).isoformat(), date.fromordinal(hi).isoformat()],
                "build_seconds": round(self.build_seconds, 3), "accounts": accounts,
                "totals": {"campaigns": sum(a["counts"]["campaigns"] for a in accounts),
                           "adsets": sum(a["counts"]["adsets"] for a in accounts),
                           "ads": sum(a["counts"]["ads"] for a in accounts)}}

    def public_view(self, obj: dict) -> dict:
        """Every public field of an object (for control-plane answers and debugging)."""
        return {k: v for k, v in obj.items() if not k.startswith("_")}

