"""`WorldBuilder`: generates accounts, campaigns, ad sets, ads and creatives from a config's seed."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date

from .generated_content import insights_profile, media_image, media_video, random_creative, random_targeting
from .schema import ACCOUNT, AD, ADSET, BUSINESS, CAMPAIGN, CREATIVE, IMAGE, VIDEO
from .statuses import effective_status
from .store import ObjectStore
from .vocabulary import (
    ATTRIBUTION_SPEC,
    AUDIENCES,
    BID_STRATEGIES,
    COUNTRIES,
    ISSUES,
    LEGACY_OBJECTIVES,
    OBJECTIVE_PROFILE,
    OUTCOME_OBJECTIVES,
    PRODUCTS,
    RECOMMENDATIONS,
    REVIEW_FEEDBACK,
)

FAR_FUTURE_ORD = date(9999, 1, 1).toordinal()  # the stop day of objects that still deliver
CAMPAIGN_STATUS_ODDS = (0.78, 0.89, 0.96)  # cumulative: ACTIVE, PAUSED, ARCHIVED, else DELETED
CHILD_STATUS_ODDS = (0.87, 0.94, 0.98)  # ad sets and ads


@dataclass(frozen=True)
class Budgets:
    """How a campaign (CBO) or ad set picks its budget: daily most of the time, else lifetime with an end."""

    daily_share: float
    daily: tuple[int, ...]
    lifetime: tuple[int, ...]
    end_field: str
    end_days: tuple[int, int]  # the end is this many days after today ...
    end_hour: int  # ... at this local hour


CAMPAIGN_BUDGETS = Budgets(
    0.8, (2000, 5000, 10000, 25000, 50000, 150000), (100000, 500000, 2000000), "stop_time", (5, 90), 7
)
ADSET_BUDGETS = Budgets(0.85, (1000, 2000, 5000, 10000, 20000), (50000, 200000, 1000000), "end_time", (3, 60), 5)


@dataclass(frozen=True)
class AccountRefs:
    """The page, pixel and app store id an account's ad sets and ads point at."""

    page_id: str
    pixel_id: str
    app_store_id: str


@dataclass(frozen=True)
class Plan:
    """What a campaign or ad set hands down: its days, its objective's profile, whether the campaign has the budget."""

    start: int  # ordinal of its first day
    stop: int  # ordinal of its last delivering day
    goals: tuple[str, ...]
    destination: str
    conversion: str
    cbo: bool


@dataclass(frozen=True)
class AdSchedule:
    status: str
    override: str | None  # an effective status that wins over ACTIVE (WITH_ISSUES, DISAPPROVED, ...)
    start: int
    own_stop: int
    data_start: int  # first day with insights
    stop: int  # last day with insights


def _roll_status(rng: random.Random, odds: tuple[float, float, float]) -> str:
    roll = rng.random()
    active, paused, archived = odds
    return "ACTIVE" if roll < active else "PAUSED" if roll < paused else "ARCHIVED" if roll < archived else "DELETED"


class WorldBuilder:
    """Fills an `ObjectStore` with the objects of `store.config.accounts` ad accounts.

    Every random draw comes from one seeded generator per account, in a fixed order: the same config on the same
    day gives the same world. Changing the order of draws changes every world (and what tests and benchmarks see).
    """

    def __init__(self, store: ObjectStore) -> None:
        self.store = store
        self.config = store.config
        self.clock = store.clock
        self.today = self.clock.today().toordinal()
        self.window_start = self.today - self.config.days + 1
        today_start = self.clock.day_start_ts(self.today)
        # Generated timestamps never pass this point: noon of a pinned day, else today's local midnight (so a
        # world is identical all day long and nothing is in the future). Mutations use the real clock.
        self.reference_ts = today_start + 12 * 3600 if self.clock.pinned_today is not None else today_start
        # ids: one ascending counter over every object of every account (creation order = id order)
        self._next_id = 120_200_000_000_000_000 + (self.config.seed % 997) * 1_000_000_000 + 1000

    def build(self) -> None:
        cfg = self.config
        digits = int(cfg.account_id.removeprefix("act_"))
        business = self._business(digits)
        for a in range(max(1, cfg.accounts)):
            rng = random.Random(f"{cfg.seed}:account:{a}")
            account = self._build_account(rng, digits + a, a)
            account["_business_id"] = business["id"]
            # Every other account belongs to a client of the business (its `client_ad_accounts`), the rest it owns.
            business["_client_ad_accounts" if a % 2 else "_owned_ad_accounts"].append(account["id"])

    def _business(self, digits: int) -> dict:
        business = {
            "_kind": BUSINESS,
            "id": str(4_000_000_000_000 + digits),
            "name": "Simulated Business",
            "verification_status": "verified",
            "created_time": self.clock.fmt_time(self.clock.day_start_ts(self.window_start - 500) + 3600 * 9),
            "_owned_ad_accounts": [],
            "_client_ad_accounts": [],
        }
        self.store.objects[business["id"]] = business
        return business

    # ------------------------------------------------------------ accounts
    def _build_account(self, rng: random.Random, digits: int, index: int) -> dict:
        cfg = self.config
        account = self._account(digits, index)
        self.store.add_account(account)
        refs = AccountRefs(
            page_id=str(100_000_000_000_000 + digits),
            pixel_id=str(700_000_000_000_000 + digits),
            app_store_id=str(900_000_000_000 + digits),
        )
        for c in range(cfg.campaigns):
            camp, plan = self._campaign(rng, account, c)
            for s in range(cfg.ad_sets_per_campaign):
                adset, stop = self._adset(rng, account, camp, plan, s, refs)
                for a in range(cfg.ads_per_ad_set):
                    self._ad(rng, account, camp, adset, stop, a, refs)
        for kind in (CAMPAIGN, ADSET, AD):
            for obj in account["_lists"][kind]:
                obj["effective_status"] = effective_status(self.store.objects, obj)
        self._media_library(account)
        return account

    def _media_library(self, account: dict) -> None:
        """The account's images and videos: the ones its creatives use (derived from them, no random draws, so the
        rest of the world is unchanged), in id order as the edges page them."""
        for creative in account["_lists"][CREATIVE]:
            times = (creative["_created_ts"], creative["_updated_ts"])
            if creative.get("image_hash"):
                self.store.add(account, media_image(account, creative, *times))
            if creative.get("video_id"):
                self.store.add(account, media_video(account, creative, *times))
        account["_lists"][IMAGE].sort(key=lambda image: image["_key"])
        account["_lists"][VIDEO].sort(key=lambda video: int(video["id"]))

    def _account(self, digits: int, index: int) -> dict:
        cfg = self.config
        created = self.clock.day_start_ts(self.window_start - 400) + 3600 * 10
        return {
            "_kind": ACCOUNT,
            "id": f"act_{digits}",
            "account_id": str(digits),
            "name": cfg.account_name if index == 0 else f"{cfg.account_name} {index + 1}",
            "currency": cfg.currency,
            "timezone_name": cfg.timezone,
            "account_status": 1,
            "disable_reason": 0,
            "business_name": "Simulated Business",
            "spend_cap": "0",
            "amount_spent": str(2_500_000 + 100_000 * index),
            "balance": str(4_217 + index),
            "min_daily_budget": 100,
            "owner": str(3_000_000_000_000 + digits),
            "age": 400.0,
            "is_personal": 0,
            "created_time": self.clock.fmt_time(created),
            "_lists": {CAMPAIGN: [], ADSET: [], AD: [], CREATIVE: [], IMAGE: [], VIDEO: []},
        }

    # ----------------------------------------------------------- campaigns
    def _campaign(self, rng: random.Random, account: dict, c: int) -> tuple[dict, Plan]:
        cfg = self.config
        legacy = rng.random() < 0.1
        objective = rng.choice(LEGACY_OBJECTIVES if legacy else OUTCOME_OBJECTIVES)
        conv_kind, goals, destination = OBJECTIVE_PROFILE[objective]
        wstart = self.window_start
        # creation day: most before the data window, some inside it
        c_start = wstart - rng.randint(1, 150) if rng.random() < 0.95 else wstart + rng.randint(0, max(0, cfg.days - 2))
        c_start = min(c_start, self.today)
        c_status = _roll_status(rng, CAMPAIGN_STATUS_ODDS)
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
        camp = {
            "_kind": CAMPAIGN,
            "_account": account["id"],
            "id": cid,
            "account_id": account["account_id"],
            "name": name,
            "objective": objective,
            "status": c_status,
            "configured_status": c_status,
            "_override": override,
            "buying_type": "AUCTION",
            "special_ad_categories": [],
            "special_ad_category": "NONE",
            "pacing_type": ["standard"],
            "can_use_spend_cap": True,
            "source_campaign_id": "0",
            "budget_rebalance_flag": False,
            "_adsets": [],
            "_ads": [],
            "_stop_ord": camp_stop,
            "_conv": conv_kind,
        }
        if rng.random() < 0.06:
            camp["special_ad_categories"] = ["EMPLOYMENT"]
            camp["special_ad_category"] = "EMPLOYMENT"
        created_ts = self._ts_on(rng, c_start)
        camp["start_time"] = self.clock.fmt_time(created_ts + rng.randint(0, 3600))
        cbo = rng.random() < 0.4  # campaign budget optimisation: the campaign, not its ad sets, has the budget
        camp["_cbo"] = cbo
        if cbo:
            camp["bid_strategy"] = rng.choice(BID_STRATEGIES)
            self._set_budget(rng, camp, CAMPAIGN_BUDGETS)
        else:
            camp["budget_remaining"] = "0"
        if rng.random() < 0.15:
            camp["spend_cap"] = str(rng.choice((1000000, 5000000, 10000000)))
        self._issues_and_recommendations(rng, camp, override == "WITH_ISSUES", "CAMPAIGN", 0.2)
        self._set_times(camp, created_ts, self._updated_ts(rng, created_ts, camp_stop))
        self.store.add(account, camp)
        return camp, Plan(c_start, camp_stop, goals, destination, conv_kind, cbo)

    # -------------------------------------------------------------- ad sets
    def _adset(
        self, rng: random.Random, account: dict, camp: dict, plan: Plan, s: int, refs: AccountRefs
    ) -> tuple[dict, Plan]:
        """One ad set, and the plan its ads follow (the campaign's, with the ad set's own days)."""
        s_start = min(self.today, plan.start + (rng.randint(0, 6) if rng.random() < 0.97 else rng.randint(0, 20)))
        s_status = _roll_status(rng, CHILD_STATUS_ODDS)
        s_override = "WITH_ISSUES" if s_status == "ACTIVE" and rng.random() < 0.03 else None
        own_stop = FAR_FUTURE_ORD if s_status == "ACTIVE" else self._stop_day(rng, s_start)
        set_stop = min(own_stop, plan.stop)
        sid = self._new_id(rng)
        audience = rng.choice(AUDIENCES)
        goal = rng.choice(plan.goals)
        adset = {
            "_kind": ADSET,
            "_account": account["id"],
            "id": sid,
            "account_id": account["account_id"],
            "campaign_id": camp["id"],
            "name": f"{audience} | {goal.lower()} | S{s + 1:02d}",
            "status": s_status,
            "configured_status": s_status,
            "_override": s_override,
            "optimization_goal": goal,
            "billing_event": "IMPRESSIONS",
            "destination_type": plan.destination,
            "targeting": random_targeting(rng),
            "attribution_spec": ATTRIBUTION_SPEC,
            "pacing_type": ["standard"],
            "is_dynamic_creative": False,
            "source_adset_id": "0",
            "_ads": [],
            "_stop_ord": set_stop,
        }
        promoted = self._promoted_object(plan, refs)
        if promoted is not None:
            adset["promoted_object"] = promoted
        if plan.cbo:
            adset["bid_strategy"] = camp["bid_strategy"]
            adset["budget_remaining"] = "0"
        else:
            strategy = rng.choice(BID_STRATEGIES)
            adset["bid_strategy"] = strategy
            if strategy in ("LOWEST_COST_WITH_BID_CAP", "COST_CAP"):
                adset["bid_amount"] = rng.choice((150, 300, 500, 1200, 2500))
            self._set_budget(rng, adset, ADSET_BUDGETS)
        s_created = self._ts_on(rng, s_start)
        adset["start_time"] = self.clock.fmt_time(s_created + rng.randint(0, 1800))
        if rng.random() < 0.5:
            adset["learning_stage_info"] = {
                "status": rng.choice(("LEARNING", "SUCCESS", "SUCCESS", "FAIL")),
                "conversions": rng.randint(0, 80),
                "last_sig_edit_ts": s_created + rng.randint(0, 86400 * 3),
                "attribution_windows": ["1d_view", "7d_click"],
            }
        self._issues_and_recommendations(rng, adset, s_override is not None, "AD_SET", 0.25)
        self._set_times(adset, s_created, self._updated_ts(rng, s_created, own_stop))
        self.store.add(account, adset)
        camp["_adsets"].append(sid)
        return adset, Plan(s_start, set_stop, plan.goals, plan.destination, plan.conversion, plan.cbo)

    def _promoted_object(self, plan: Plan, refs: AccountRefs) -> dict | None:
        if plan.conversion == "purchase" and plan.destination != "APP":
            return {"pixel_id": refs.pixel_id, "custom_event_type": "PURCHASE"}
        if plan.destination == "APP":
            return {
                "application_id": self.config.app_id,
                "object_store_url": f"https://apps.apple.com/app/id{refs.app_store_id}",
            }
        if plan.conversion == "lead":
            return {"page_id": refs.page_id}
        return None

    # ------------------------------------------------------------------ ads
    def _ad(
        self, rng: random.Random, account: dict, camp: dict, adset: dict, set_plan: Plan, a: int, refs: AccountRefs
    ) -> None:
        schedule = self._ad_schedule(rng, set_plan)
        crid = self._new_id(rng)
        aid = self._new_id(rng)
        product = camp["name"].split(" | ")[0]
        creative = random_creative(rng, account, crid, aid, product, a, refs.page_id)
        created = self._ts_on(rng, schedule.start)
        self._set_times(creative, created, created)
        self.store.add(account, creative)
        video = creative["object_type"] == "VIDEO"
        ad = {
            "_kind": AD,
            "_account": account["id"],
            "id": aid,
            "account_id": account["account_id"],
            "adset_id": adset["id"],
            "campaign_id": camp["id"],
            "_creative_id": crid,
            "name": f"{product} | {'Video' if video else 'Image'} {a + 1} | "
            f"{rng.choice(('v1', 'v2', 'UGC', 'static'))}",
            "status": schedule.status,
            "configured_status": schedule.status,
            "_override": schedule.override,
            "tracking_specs": [
                {"action.type": ["offsite_conversion"], "fb_pixel": [refs.pixel_id]},
                {
                    "action.type": ["post_engagement"],
                    "page": [refs.page_id],
                    "post": [creative["effective_object_story_id"]],
                },
            ],
            "conversion_specs": [{"action.type": ["offsite_conversion"], "conversion_id": [refs.pixel_id]}],
            "source_ad_id": "0",
            "last_updated_by_app_id": self.config.app_id,
            "preview_shareable_link": f"https://fb.me/sim{aid[-8:]}",
        }
        if schedule.override == "DISAPPROVED":
            ad["ad_review_feedback"] = dict(rng.choice(REVIEW_FEEDBACK))
        elif rng.random() < 0.03:
            ad["ad_review_feedback"] = {
                "placement_specific": {
                    "instagram": {"Text in Image": "Your ad image contains too much text and may reach fewer people."}
                }
            }
        self._issues_and_recommendations(rng, ad, schedule.override == "WITH_ISSUES", "AD", 0.1)
        pending = schedule.override == "PENDING_REVIEW"
        self._set_times(ad, created, self._updated_ts(rng, created, FAR_FUTURE_ORD if pending else schedule.own_stop))
        ad["_idx"] = len(self.store.ads)
        ad["_profile"] = insights_profile(rng, camp, video, schedule.data_start, schedule.stop)
        self.store.ads.append(ad)
        self.store.add(account, ad)
        adset["_ads"].append(aid)
        camp["_ads"].append(aid)

    def _ad_schedule(self, rng: random.Random, set_plan: Plan) -> AdSchedule:
        today = self.today
        status = _roll_status(rng, CHILD_STATUS_ODDS)
        override = None
        start = min(today, set_plan.start + (rng.randint(0, 3) if rng.random() < 0.95 else rng.randint(0, 20)))
        if status == "ACTIVE":
            r2 = rng.random()
            override = (
                "WITH_ISSUES" if r2 < 0.03 else "DISAPPROVED" if r2 < 0.06 else "PENDING_REVIEW" if r2 < 0.08 else None
            )
        if override == "PENDING_REVIEW":
            start = today
        own_stop = FAR_FUTURE_ORD if status == "ACTIVE" else self._stop_day(rng, start)
        if override == "DISAPPROVED":
            own_stop = self._stop_day(rng, start)
        stop = min(own_stop, set_plan.stop)
        data_start = start
        if override == "PENDING_REVIEW":
            data_start, stop = FAR_FUTURE_ORD, 0  # not delivered yet
        return AdSchedule(status, override, start, own_stop, data_start, stop)

    # ------------------------------------------------------------- helpers
    def _new_id(self, rng: random.Random) -> str:
        self._next_id += rng.randint(1, 9)
        return str(self._next_id)

    def _ts_on(self, rng: random.Random, ordinal: int) -> int:
        """A time during local day `ordinal`, never after the reference "now"."""
        start = self.clock.day_start_ts(ordinal)
        offset = int(rng.random() * 86_400)  # fixed rng consumption: the clock only clamps
        return max(start, min(start + offset, self.reference_ts - 1))

    def _set_times(self, obj: dict, created: int, updated: int) -> None:
        obj["_created_ts"] = created
        obj["_updated_ts"] = updated
        obj["created_time"] = self.clock.fmt_time(created)
        obj["updated_time"] = self.clock.fmt_time(updated)

    def _stop_day(self, rng: random.Random, start: int) -> int:
        """The day a paused / archived / deleted object stopped delivering: skewed towards recent days."""
        back = int(self.config.days * rng.random() ** 3)
        return max(start, self.window_start, self.today - back)

    def _updated_ts(self, rng: random.Random, created: int, stop_ord: int) -> int:
        if stop_ord < FAR_FUTURE_ORD:  # paused/archived/deleted on that day
            return max(created, self._ts_on(rng, stop_ord))
        hi = max(created, self.reference_ts - 3600)
        return created + int(rng.random() * (hi - created))

    def _set_budget(self, rng: random.Random, obj: dict, budgets: Budgets) -> None:
        if rng.random() < budgets.daily_share:
            budget = rng.choice(budgets.daily)
            obj["daily_budget"] = str(budget)
            obj["budget_remaining"] = str(rng.randint(0, budget))
        else:
            budget = rng.choice(budgets.lifetime)
            obj["lifetime_budget"] = str(budget)
            obj["budget_remaining"] = str(rng.randint(0, budget))
            end_day = self.today + rng.randint(*budgets.end_days)
            obj[budgets.end_field] = self.clock.fmt_time(self.clock.day_start_ts(end_day) + budgets.end_hour * 3600)

    @staticmethod
    def _issues_and_recommendations(
        rng: random.Random, obj: dict, with_issues: bool, level: str, recommendation_share: float
    ) -> None:
        if with_issues:
            obj["issues_info"] = [dict(rng.choice(ISSUES), level=level, mid=obj["id"])]
        if rng.random() < recommendation_share:
            obj["recommendations"] = [rng.choice(RECOMMENDATIONS)]
