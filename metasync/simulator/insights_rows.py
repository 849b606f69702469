"""Insights rows as Graph answers them: id and name fields of the row's objects, then the rendered metrics."""

from __future__ import annotations

from datetime import date
from typing import Any

from .insights_metrics import (
    ACTION_TYPES,
    ACTION_VALUE_TYPES,
    CLICKS,
    IMPR,
    LINK,
    P_OMNI,
    REACH,
    SPEND,
    V_OMNI,
    V_PIXEL,
)
from .insights_query import ID_FIELDS, LEVEL_RANK, Group, InsightsQuery


def money(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    cents = abs(cents)
    return f"{sign}{cents // 100}.{cents % 100:02d}"


def _ratio(num: float, den: float) -> str:
    return f"{num / den:.6f}"


class RowRenderer:
    """Renders the rows of a query; an object's id / name part is computed once per query fields."""

    def __init__(self, objects: dict[str, dict]) -> None:
        self.objects = objects

    def render(self, q: InsightsQuery, group: Group, bucket: tuple[int, int], vec: list[int]) -> dict[str, Any]:
        row = dict(self._id_part(q, group))
        for f in q.fields:
            fn = METRIC_RENDERERS.get(f)
            if fn is not None:
                value = fn(vec)
                if value is not None:
                    row[f] = value
        lo, hi = bucket
        row["date_start"] = _iso(lo)
        row["date_stop"] = _iso(hi)
        return row

    def _id_part(self, q: InsightsQuery, group: Group) -> dict[str, str]:
        """The id / name fields of a row: fixed per object, so computed once per (query, object)."""
        cached = group.ids.get(q.fields)
        if cached is not None:
            return cached
        objects = self.objects
        rank = LEVEL_RANK[q.level]
        obj = group.obj
        camp = adset = ad = None
        if q.level == "campaign":
            camp = obj
        elif q.level == "adset":
            adset, camp = obj, objects[obj["campaign_id"]]
        elif q.level == "ad":
            ad, adset, camp = obj, objects[obj["adset_id"]], objects[obj["campaign_id"]]
        account = q.account
        source = {
            "account_id": (account, "account_id"),
            "account_name": (account, "name"),
            "account_currency": (account, "currency"),
            "campaign_id": (camp, "id"),
            "campaign_name": (camp, "name"),
            "objective": (camp, "objective"),
            "buying_type": (camp, "buying_type"),
            "adset_id": (adset, "id"),
            "adset_name": (adset, "name"),
            "optimization_goal": (adset, "optimization_goal"),
            "ad_id": (ad, "id"),
            "ad_name": (ad, "name"),
        }
        out = {}
        for f in q.fields:
            need = ID_FIELDS.get(f)
            if need is not None and need <= rank:
                o, key = source[f]
                out[f] = o[key]
        group.ids[q.fields] = out
        return out


_ISO_CACHE: dict[int, str] = {}


def _iso(ordinal: int) -> str:
    s = _ISO_CACHE.get(ordinal)
    if s is None:
        s = _ISO_CACHE[ordinal] = date.fromordinal(ordinal).isoformat()
    return s


def _list_or_none(items: list) -> list | None:
    return items or None


METRIC_RENDERERS: dict[str, Any] = {
    "impressions": lambda v: str(v[IMPR]),
    "clicks": lambda v: str(v[CLICKS]),
    "spend": lambda v: money(v[SPEND]),
    "reach": lambda v: str(v[REACH]),
    "frequency": lambda v: _ratio(v[IMPR], v[REACH]),
    "ctr": lambda v: _ratio(v[CLICKS] * 100, v[IMPR]),
    "cpc": lambda v: _ratio(v[SPEND] / 100, v[CLICKS]) if v[CLICKS] else None,
    "cpm": lambda v: _ratio(v[SPEND] * 10, v[IMPR]),
    "cpp": lambda v: _ratio(v[SPEND] * 10, v[REACH]),
    "inline_link_clicks": lambda v: str(v[LINK]),
    "inline_link_click_ctr": lambda v: _ratio(v[LINK] * 100, v[IMPR]),
    "cost_per_inline_link_click": lambda v: _ratio(v[SPEND] / 100, v[LINK]) if v[LINK] else None,
    "actions": lambda v: _list_or_none([{"action_type": t, "value": str(v[i])} for t, i in ACTION_TYPES if v[i]]),
    "action_values": lambda v: _list_or_none(
        [{"action_type": t, "value": money(v[i])} for t, i in ACTION_VALUE_TYPES if v[i]]
    ),
    "conversions": lambda v: _list_or_none(
        [{"action_type": t, "value": str(v[i])} for t, i in ACTION_TYPES if v[i] and i >= P_OMNI]
    ),
    "cost_per_action_type": lambda v: _list_or_none(
        [{"action_type": t, "value": _ratio(v[SPEND] / 100, v[i])} for t, i in ACTION_TYPES if v[i]]
    ),
    "purchase_roas": lambda v: (
        [{"action_type": "omni_purchase", "value": _ratio(v[V_OMNI], v[SPEND])}] if v[SPEND] and v[V_OMNI] else None
    ),
    "website_purchase_roas": lambda v: (
        [{"action_type": "offsite_conversion.fb_pixel_purchase", "value": _ratio(v[V_PIXEL], v[SPEND])}]
        if v[SPEND] and v[V_PIXEL]
        else None
    ),
    "attribution_setting": lambda v: "7d_click_1d_view",
}
