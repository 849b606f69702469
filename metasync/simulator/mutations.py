"""Changes to a world: the control plane's renames, status changes and extra spend, and Graph writes
(`update_object`); each bumps the world version."""

from __future__ import annotations

import time
from datetime import date

from .schema import ACCOUNT, AD, ADSET, CAMPAIGN, CREATIVE
from .statuses import refresh_subtree
from .world import World

STATUS_ACTIONS = {"pause": "PAUSED", "activate": "ACTIVE", "archive": "ARCHIVED", "delete": "DELETED"}
ACCOUNT_ACTIONS = ("add_spend", "set_account_status")


def mutate(world: World, action: str, object_id: str, **kw) -> dict:
    """Apply one mutation; returns the changed object. A rename or status change sets updated_time to now."""
    with world.lock:
        obj = world.get(object_id)
        if obj is None or obj["_kind"] == ACCOUNT and action not in ACCOUNT_ACTIONS:
            raise KeyError(object_id)
        now = int(time.time())
        if action == "add_spend":
            obj = _add_spend(world, obj, kw)
        elif action == "set_account_status":
            _set_account_status(obj, kw)
        else:
            _change(world, obj, action, kw)
            obj["_updated_ts"] = now
            obj["updated_time"] = world.clock.fmt_time(now)
        world.version += 1
        return obj


def _change(world: World, obj: dict, action: str, kw: dict) -> None:
    if action == "rename":
        if "name" not in kw:
            raise ValueError("rename needs 'name'")
        obj["name"] = str(kw["name"])
    elif action in STATUS_ACTIONS:
        if obj["_kind"] == CREATIVE:
            raise ValueError("status changes apply to campaigns, ad sets and ads")
        obj["status"] = obj["configured_status"] = STATUS_ACTIONS[action]
        refresh_subtree(world.objects, obj)
    else:
        raise ValueError(f"unknown action {action!r}")


def _set_account_status(account: dict, kw: dict) -> None:
    """Meta disables, closes or re-enables an ad account: `account_status` (1 active, 2 disabled, 3 unsettled ...)
    and, with it, `disable_reason` (0 when none)."""
    try:
        account["account_status"] = int(kw["account_status"])
        account["disable_reason"] = int(kw.get("disable_reason", 0))
    except (KeyError, TypeError, ValueError):
        raise ValueError("set_account_status needs an integer 'account_status'") from None


def _add_spend(world: World, obj: dict, kw: dict) -> dict:
    """Extra spend and impressions on a day of an ad (or the first ad of a campaign, ad set or account)."""
    cents = int(kw.get("cents", 0))
    impressions = int(kw.get("impressions", 0))
    day = kw.get("date")
    ordinal = date.fromisoformat(day).toordinal() if day else world.clock.today().toordinal()
    ad = obj
    if obj["_kind"] in (CAMPAIGN, ADSET):
        ad = world.objects[obj["_ads"][0]] if obj["_ads"] else None
    elif obj["_kind"] == ACCOUNT:
        ad = obj["_lists"][AD][0] if obj["_lists"][AD] else None
    if ad is None or ad["_kind"] != AD:
        raise ValueError("add_spend needs an ad (or a campaign / ad set / account with ads)")
    world.insights.add_extra(ad["_idx"], ordinal, cents, impressions)
    return ad


WRITE_MONEY = ("daily_budget", "lifetime_budget", "spend_cap")
BUDGET_KINDS = ("daily_budget", "lifetime_budget")


def update_object(world: World, obj: dict, changes: dict, now: float) -> None:
    """A Graph write of checked fields: Meta's string money, formatted times, statuses down the tree, and the
    delivery of the ads below from today on (nothing when not delivering; in proportion to the budget)."""
    with world.lock:
        for name, value in changes.items():
            if name in WRITE_MONEY:
                obj.setdefault("_budget0", {}).setdefault(name, int(obj.get(name) or 0))
                obj[name] = str(value)
            elif name in ("stop_time", "end_time"):
                obj[name] = world.clock.fmt_time(value)
            elif name == "status":
                obj["status"] = obj["configured_status"] = value
                refresh_subtree(world.objects, obj)
            else:
                obj[name] = value
        obj["_updated_ts"] = int(now)
        obj["updated_time"] = world.clock.fmt_time(now)
        _adjust_delivery(world, obj)
        world.version += 1


def _adjust_delivery(world: World, obj: dict) -> None:
    today = world.clock.today().toordinal()
    ads = [obj] if obj["_kind"] == AD else [world.objects[i] for i in obj.get("_ads", [])]
    for ad in ads:
        if ad["effective_status"] not in ("ACTIVE", "WITH_ISSUES"):
            pct = 0
        else:
            pct = 100
            for owner in (world.objects[ad["campaign_id"]], world.objects[ad["adset_id"]]):
                pct = pct * _budget_ratio(owner) // 100
        world.insights.metrics.scale_from(ad["_idx"], today, pct)


def _budget_ratio(owner: dict) -> int:
    """The owner's budget now against the one it was generated with, in percent (100 when unchanged)."""
    for kind in BUDGET_KINDS:
        original = (owner.get("_budget0") or {}).get(kind)
        if original:
            return int(owner.get(kind) or 0) * 100 // original
    return 100
