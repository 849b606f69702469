"""Control-plane changes to a world: renames, status changes and extra spend (each bumps the world version)."""

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
