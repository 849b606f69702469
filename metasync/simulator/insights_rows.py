"""Insights rows as Graph answers them: id and name fields of the row's objects, then the rendered metrics."""

from __future__ import annotations

from datetime import date
from typing import Any

from .insights_actions import ActionLists
from .insights_metrics import (
    CLICKS,
    IMPR,
    LINK,
    OUTBOUND,
    REACH,
    SPEND,
    THRUPLAY,
    V_APP,
    V_OMNI,
    V_PIXEL,
    VIDEO_P25,
    VIDEO_P50,
    VIDEO_P75,
    VIDEO_P95,
    VIDEO_P100,
    VIDEO_PLAY,
    money,
    ratio,
)
from .insights_query import ID_FIELDS, LEVEL_RANK, Group, InsightsQuery


class RowRenderer:
    """Renders the rows of a query; an object's id / name part is computed once per query fields."""

    def __init__(self, objects: dict[str, dict]) -> None:
        self.objects = objects

    def render(
        self, q: InsightsQuery, group: Group, bucket: tuple[int, int], vec: list[int], combo: int = 0
    ) -> dict[str, Any]:
        row = dict(self._id_part(q, group))
        lists = ActionLists(q, group.key, vec)
        for f in q.fields:
            fn = METRIC_RENDERERS.get(f)
            value = fn(vec) if fn is not None else lists.render(f)
            if value is not None:
                row[f] = value
        if q.breakdowns is not None:
            row.update(q.breakdowns.row_values(q.breakdowns.combos[combo]))
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


def _roas(value_index: int, action_type: str) -> Any:
    return lambda v: (
        [{"action_type": action_type, "value": ratio(v[value_index], v[SPEND])}]
        if v[SPEND] and v[value_index]
        else None
    )


def _one_action(index: int, action_type: str) -> Any:
    return lambda v: [{"action_type": action_type, "value": str(v[index])}] if v[index] else None


def _unique(index: int) -> Any:
    """People who did it at least once: the count scaled by reach / impressions (never additive)."""
    return lambda v: str(min(v[index], max(1, v[index] * v[REACH] // v[IMPR]))) if v[index] else "0"


METRIC_RENDERERS: dict[str, Any] = {
    "impressions": lambda v: str(v[IMPR]),
    "clicks": lambda v: str(v[CLICKS]),
    "spend": lambda v: money(v[SPEND]),
    "reach": lambda v: str(v[REACH]),
    "frequency": lambda v: ratio(v[IMPR], v[REACH]),
    "ctr": lambda v: ratio(v[CLICKS] * 100, v[IMPR]),
    "cpc": lambda v: ratio(v[SPEND] / 100, v[CLICKS]) if v[CLICKS] else None,
    "cpm": lambda v: ratio(v[SPEND] * 10, v[IMPR]),
    "cpp": lambda v: ratio(v[SPEND] * 10, v[REACH]),
    "inline_link_clicks": lambda v: str(v[LINK]),
    "inline_link_click_ctr": lambda v: ratio(v[LINK] * 100, v[IMPR]),
    "cost_per_inline_link_click": lambda v: ratio(v[SPEND] / 100, v[LINK]) if v[LINK] else None,
    "unique_clicks": _unique(CLICKS),
    "unique_inline_link_clicks": _unique(LINK),
    "unique_ctr": lambda v: ratio(int(_unique(CLICKS)(v)) * 100, v[REACH]),
    "outbound_clicks": _one_action(OUTBOUND, "outbound_click"),
    "unique_outbound_clicks": lambda v: (
        [{"action_type": "outbound_click", "value": _unique(OUTBOUND)(v)}] if v[OUTBOUND] else None
    ),
    "outbound_clicks_ctr": lambda v: (
        [{"action_type": "outbound_click", "value": ratio(v[OUTBOUND] * 100, v[IMPR])}] if v[OUTBOUND] else None
    ),
    "cost_per_outbound_click": lambda v: (
        [{"action_type": "outbound_click", "value": ratio(v[SPEND] / 100, v[OUTBOUND])}] if v[OUTBOUND] else None
    ),
    "video_play_actions": _one_action(VIDEO_PLAY, "video_view"),
    "video_p25_watched_actions": _one_action(VIDEO_P25, "video_view"),
    "video_p50_watched_actions": _one_action(VIDEO_P50, "video_view"),
    "video_p75_watched_actions": _one_action(VIDEO_P75, "video_view"),
    "video_p95_watched_actions": _one_action(VIDEO_P95, "video_view"),
    "video_p100_watched_actions": _one_action(VIDEO_P100, "video_view"),
    "video_thruplay_watched_actions": _one_action(THRUPLAY, "video_view"),
    "cost_per_thruplay": lambda v: (
        [{"action_type": "video_view", "value": ratio(v[SPEND] / 100, v[THRUPLAY])}] if v[THRUPLAY] else None
    ),
    "purchase_roas": _roas(V_OMNI, "omni_purchase"),
    "website_purchase_roas": _roas(V_PIXEL, "offsite_conversion.fb_pixel_purchase"),
    "mobile_app_purchase_roas": _roas(V_APP, "app_custom_event.fb_mobile_purchase"),
    "attribution_setting": lambda v: "7d_click_1d_view",
}
