"""Effective statuses: an object's own configured status, overridden by a paused, archived or deleted parent."""

from __future__ import annotations

from .schema import AD, ADSET, CAMPAIGN, CREATIVE, HIDDEN_BY_DEFAULT


def effective_status(objects: dict[str, dict], obj: dict) -> str:
    kind = obj["_kind"]
    cs = obj["configured_status"]
    if kind == CREATIVE:
        return cs
    if cs in HIDDEN_BY_DEFAULT:
        return cs
    camp = obj if kind == CAMPAIGN else objects[obj["campaign_id"]]
    adset = objects[obj["adset_id"]] if kind == AD else (obj if kind == ADSET else None)
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


def refresh_subtree(objects: dict[str, dict], obj: dict) -> None:
    """Recompute the effective status of `obj` and of everything below it (after a status change)."""
    obj["effective_status"] = effective_status(objects, obj)
    if obj["_kind"] == CAMPAIGN:
        for sid in obj["_adsets"]:
            objects[sid]["effective_status"] = effective_status(objects, objects[sid])
    if obj["_kind"] in (CAMPAIGN, ADSET):
        for aid in obj["_ads"]:
            objects[aid]["effective_status"] = effective_status(objects, objects[aid])
