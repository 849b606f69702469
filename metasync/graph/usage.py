"""Reads Meta's usage headers (X-App-Usage, X-Ad-Account-Usage, X-Business-Use-Case-Usage, insights throttle).

Values are percentages of a budget; Meta throttles at 100. `estimated_time_to_regain_access` is in minutes,
`reset_time_duration` in seconds.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)

USAGE_HEADERS = (
    "X-App-Usage",
    "X-Ad-Account-Usage",
    "X-Business-Use-Case-Usage",
    "X-FB-Ads-Insights-Throttle",
)
_PERCENT_KEYS = ("call_count", "total_time", "total_cputime", "acc_id_util_pct", "app_id_util_pct")


@dataclass
class Usage:
    max_pct: float = 0.0
    regain_seconds: float = 0.0
    reset_seconds: float = 0.0
    sources: dict[str, float] = field(default_factory=dict)

    def note(self, source: str, pct: Any) -> None:
        try:
            value = float(pct)
        except (TypeError, ValueError):
            return
        self.sources[source] = max(self.sources.get(source, 0.0), value)
        self.max_pct = max(self.max_pct, value)


def _load(raw: str | None) -> Any:
    if not raw:
        return None
    try:
        return json.loads(raw)
    except (TypeError, ValueError):
        log.debug("ignoring malformed usage header")
        return None


def _note_flat(usage: Usage, source: str, data: Mapping[str, Any]) -> None:
    for key in _PERCENT_KEYS:
        if key in data:
            usage.note(source, data[key])
    for key in ("estimated_time_to_regain_access",):
        if key in data:
            try:
                usage.regain_seconds = max(usage.regain_seconds, float(data[key]) * 60.0)
            except (TypeError, ValueError):
                pass
    if "reset_time_duration" in data:
        try:
            usage.reset_seconds = max(usage.reset_seconds, float(data["reset_time_duration"]))
        except (TypeError, ValueError):
            pass


def parse_usage_headers(headers: Mapping[str, str]) -> Usage:
    """The highest usage percentage over all headers and the longest wait Meta reports."""
    usage = Usage()
    for name in USAGE_HEADERS:
        data = _load(headers.get(name))
        if isinstance(data, dict) and name == "X-Business-Use-Case-Usage":
            for entries in data.values():
                for entry in entries if isinstance(entries, list) else []:
                    if isinstance(entry, dict):
                        _note_flat(usage, f"{name}:{entry.get('type', '?')}", entry)
        elif isinstance(data, dict):
            _note_flat(usage, name, data)
    return usage


def pause_seconds_for(usage: Usage, threshold: float) -> float:
    """How long to stop calling an account after a response with this usage (0 = keep going).

    Policy: at or over the threshold pause at least 2 minutes (or the reset/regain time Meta gives); at 95 % or more
    pause at least 10 minutes. Meta's advice: once limited, stop calling that account and move on to others.
    """
    if usage.max_pct < threshold and usage.regain_seconds <= 0:
        return 0.0
    floor = 600.0 if usage.max_pct >= 95 else 120.0
    if usage.max_pct < threshold:
        floor = 0.0
    return max(floor, usage.regain_seconds, usage.reset_seconds if usage.max_pct >= threshold else 0.0)
