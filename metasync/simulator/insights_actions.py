"""The action lists of a row (`actions`, `action_values`, `conversions`, `cost_per_action_type`), with the asked-for
attribution windows on each entry and the entries split by the asked-for action breakdowns.

Windows: `value` is the unified setting (7-day click + 1-day view); `7d_click`, `1d_click` and `1d_view` are
returned; Meta no longer returns `7d_view`, `28d_view`, `28d_click` (nor `dda` / `1d_ev` for these ads), so those
keys are absent, not 0. An action breakdown splits each entry exactly (its value and its windows) over the values
the world models for it; one that does not apply to an action type (a reaction on a purchase) leaves it whole.
"""

from __future__ import annotations

from hashlib import blake2b
from itertools import product
from typing import Any

from .insights_breakdowns import apportion
from .insights_metrics import (
    ACTION_TYPES,
    ACTION_VALUE_TYPES,
    CLICK_1D,
    CLICKS,
    IMPR,
    P_OMNI,
    SPEND,
    VIEW_1D,
    money,
    ratio,
)

RANKED = ("quality_ranking", "engagement_rate_ranking", "conversion_rate_ranking")
ACTION_BREAKDOWN_VALUES: dict[str, tuple[str, ...]] = {
    "action_device": ("iphone", "android_smartphone", "desktop", "ipad", "other"),
    "action_video_sound": ("sound_on", "sound_off"),
    "action_video_type": ("autoplayed", "clicked_to_play"),
}
VIDEO_ONLY = frozenset({"action_video_sound", "action_video_type"})
SINGLE_VALUED = frozenset({"action_destination", "action_target_id"})


class ActionLists:
    """The list fields of one row; `render(field)` answers one of them, or None when the field is not modelled."""

    def __init__(self, q, group_key: tuple, vec: list[int]) -> None:
        self.q = q
        self.group_key = group_key
        self.vec = vec

    def render(self, name: str) -> Any:
        v = self.vec
        if name == "actions":
            return self._entries(ACTION_TYPES, str) or None
        if name == "action_values":
            return self._entries(ACTION_VALUE_TYPES, money) or None
        if name == "conversions":
            return self._entries([(t, i) for t, i in ACTION_TYPES if i >= P_OMNI], str) or None
        if name == "cost_per_action_type":
            return [{"action_type": t, "value": ratio(v[SPEND] / 100, v[i])} for t, i in ACTION_TYPES if v[i]] or None
        if name in RANKED:
            return self._ranking() if self.q.level == "ad" else None
        return None  # a documented field the world does not model: Meta omits what it has no value for

    def _ranking(self) -> str:
        """Ranked only with enough impressions (500), against ads competing for the same audience."""
        v = self.vec
        if v[IMPR] < 500:
            return "UNKNOWN"
        ctr_ppm = v[CLICKS] * 1_000_000 // v[IMPR]
        for floor, label in ((25_000, "ABOVE_AVERAGE"), (12_000, "AVERAGE"), (8_000, "BELOW_AVERAGE_35")):
            if ctr_ppm >= floor:
                return label
        return "BELOW_AVERAGE_20" if ctr_ppm >= 5_000 else "BELOW_AVERAGE_10"

    def _entries(self, types, fmt) -> list[dict]:
        v = self.vec
        out: list[dict] = []
        for action_type, i in types:
            if not v[i]:
                continue
            units = self._windows(i)
            for keys, part in self._split(action_type, units):
                entry = {"action_type": action_type, **keys, "value": fmt(part.pop("value"))}
                entry.update({w: fmt(n) for w, n in part.items()})
                out.append(entry)
        return out

    def _windows(self, i: int) -> dict[str, int]:
        """The entry's value and its asked-for windows, in units (counts or cents)."""
        v = self.vec
        units = {"value": v[i]}
        view = v[VIEW_1D[i]] if i in VIEW_1D else None
        for window in self.q.windows:
            if window == "1d_view" and view is not None:
                units[window] = view
            elif window == "7d_click":
                units[window] = v[i] - (view or 0)
            elif window == "1d_click":
                units[window] = v[CLICK_1D[i]] if i in CLICK_1D else v[i]
        return units

    def _split(self, action_type: str, units: dict[str, int]) -> list[tuple[dict, dict[str, int]]]:
        axes = [
            name
            for name in self.q.action_breakdowns
            if name in ACTION_BREAKDOWN_VALUES and (name not in VIDEO_ONLY or action_type == "video_view")
        ]
        single = {name: self._target() for name in self.q.action_breakdowns if name in SINGLE_VALUED}
        if not axes:
            return [(single, units)]
        combos = list(product(*(ACTION_BREAKDOWN_VALUES[name] for name in axes)))
        digest = blake2b(f"{self.group_key}:{action_type}:{','.join(axes)}".encode(), digest_size=64).digest()
        weights = [1 + digest[k % 64] for k in range(len(combos))]
        values = apportion(units["value"], weights)
        parts = [{"value": n} for n in values]
        view = apportion(units["1d_view"], values) if "1d_view" in units else None
        seven = [a - b for a, b in zip(values, view or [0] * len(values), strict=True)]
        for window, total in units.items():
            if window == "value":
                continue
            if window == "1d_view":
                shares = view
            elif window == "7d_click":
                shares = seven
            else:
                shares = apportion(total, seven if any(seven) else values)
            for part, share in zip(parts, shares, strict=True):
                part[window] = share
        return [
            ({**single, **dict(zip(axes, combo, strict=True))}, part)
            for combo, part in zip(combos, parts, strict=True)
            if part["value"]
        ]

    def _target(self) -> str:
        """The page the actions happened on: one per ad account in this world."""
        return str(100_000_000_000_000 + int(self.q.account["account_id"]) % 1_000_000_000)
