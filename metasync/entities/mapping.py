"""Turns Graph payloads into stored values: times, money, statuses, targeting and creatives.

Internal status (`status` on every entity) is derived from Meta's `effective_status`, falling back to the configured
`status`:

| Meta effective_status                                  | internal status |
|--------------------------------------------------------|-----------------|
| ACTIVE                                                 | ACTIVE          |
| PAUSED, CAMPAIGN_PAUSED, ADSET_PAUSED                  | PAUSED          |
| IN_PROCESS, PENDING_REVIEW, PREAPPROVED                | PENDING         |
| PENDING_BILLING_INFO                                   | PENDING         |
| WITH_ISSUES                                            | WITH_ISSUES     |
| DISAPPROVED                                            | DISAPPROVED     |
| ARCHIVED                                               | ARCHIVED        |
| DELETED                                                | DELETED         |
| anything else (a value Meta adds later)                | UNKNOWN         |

Without an effective status, the configured `status` is mapped the same way.

Meta's own `effective_status` and `configured_status` are kept as-is beside it.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any

from metasync.graph.ids import is_meta_id

EFFECTIVE_TO_INTERNAL = {
    "ACTIVE": "ACTIVE",
    "PAUSED": "PAUSED",
    "CAMPAIGN_PAUSED": "PAUSED",
    "ADSET_PAUSED": "PAUSED",
    "IN_PROCESS": "PENDING",
    "PENDING_REVIEW": "PENDING",
    "PREAPPROVED": "PENDING",
    "PENDING_BILLING_INFO": "PENDING",
    "WITH_ISSUES": "WITH_ISSUES",
    "DISAPPROVED": "DISAPPROVED",
    "ARCHIVED": "ARCHIVED",
    "DELETED": "DELETED",
}

GENDERS = {1: "male", 2: "female"}

_META_TIME = re.compile(r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.\d+)?([+-]\d{2}):?(\d{2})$", re.ASCII)


class MappingError(ValueError):
    """A payload cannot be mapped (missing id, malformed value); the object is skipped and counted."""


def map_status(effective_status: str | None, configured_status: str | None = None) -> str:
    """Internal status from Meta's effective status; the configured status only when Meta sent no effective one.

    An effective status this code does not know yet is UNKNOWN, not guessed from the configured status.
    """
    value = effective_status or configured_status
    return EFFECTIVE_TO_INTERNAL.get(str(value).upper(), "UNKNOWN") if value else "UNKNOWN"


def parse_meta_time(value: Any) -> datetime | None:
    """Meta's `2025-11-11T14:25:17-0800` (or unix seconds) as an aware UTC datetime; None for empty."""
    if value in (None, "", 0, "0"):
        return None
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(value, tz=timezone.utc)
    text = str(value).strip()
    if text.isascii() and text.isdigit():
        return datetime.fromtimestamp(int(text), tz=timezone.utc)
    match = _META_TIME.match(text)
    if match:
        text = f"{match.group(1)}{match.group(2)}:{match.group(3)}"
    elif text.endswith("Z"):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise MappingError(f"unparseable time {value!r}") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)


def minor_units(value: Any) -> int | None:
    """Budgets arrive as strings in the currency's minor unit ("2000" = 20.00 USD); keep them integers."""
    if value in (None, ""):
        return None
    if isinstance(value, bool):
        raise MappingError(f"not a money amount: {value!r}")
    if isinstance(value, int):
        return value
    text = str(value).strip()
    if re.fullmatch(r"-?[0-9]+", text):
        return int(text)
    raise MappingError(f"not a minor-unit amount: {value!r}")


def _names(items: Any, key: str = "name") -> list[str]:
    out = []
    for item in items or []:
        if isinstance(item, dict):
            name = item.get(key) or item.get("key") or item.get("id")
            if name is not None:
                out.append(str(name))
        elif item is not None:
            out.append(str(item))
    return out


def map_targeting(targeting: Any) -> dict[str, Any]:
    """The parts of Meta's targeting spec that reports filter on; the full spec stays in `raw`."""
    if not isinstance(targeting, dict):
        return {}
    geo = targeting.get("geo_locations") or {}
    locations = {
        "countries": [str(c) for c in geo.get("countries") or []],
        "regions": _names(geo.get("regions")),
        "cities": _names(geo.get("cities")),
        "zips": _names(geo.get("zips"), key="key"),
        "location_types": [str(t) for t in geo.get("location_types") or []],
    }
    interests: list[dict[str, str]] = []
    seen = set()
    specs = list(targeting.get("flexible_spec") or [])
    specs.append({"interests": targeting.get("interests") or []})
    for spec in specs:
        for interest in (spec or {}).get("interests") or []:
            if isinstance(interest, dict) and interest.get("id") not in seen:
                seen.add(interest.get("id"))
                interests.append({"id": str(interest.get("id")), "name": str(interest.get("name", ""))})
    genders_raw = targeting.get("genders") or []
    genders = [GENDERS.get(int(g), str(g)) if is_meta_id(g) else str(g) for g in genders_raw] or ["all"]
    platforms = [str(p) for p in targeting.get("publisher_platforms") or []]
    return {
        "locations": {k: v for k, v in locations.items() if v},
        "interests": interests,
        "age_min": _int_or_none(targeting.get("age_min")),
        "age_max": _int_or_none(targeting.get("age_max")),
        "genders": genders,
        "platforms": platforms or ["automatic"],
    }


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        raise MappingError(f"not a whole number: {value!r}") from None


def map_creative(creative: Any) -> dict[str, Any]:
    """Headline, body, call to action, media and link, wherever in the creative Meta put them."""
    if not isinstance(creative, dict):
        return {}
    story = creative.get("object_story_spec") or {}
    link_data = story.get("link_data") or {}
    video_data = story.get("video_data") or {}
    cta = link_data.get("call_to_action") or video_data.get("call_to_action") or {}
    cta_value = cta.get("value") or {} if isinstance(cta, dict) else {}
    return {
        "id": _str_or_none(creative.get("id")),
        "name": creative.get("name"),
        "headline": creative.get("title") or link_data.get("name") or video_data.get("title"),
        "body": creative.get("body") or link_data.get("message") or video_data.get("message"),
        "call_to_action": creative.get("call_to_action_type") or (cta.get("type") if isinstance(cta, dict) else None),
        "image_url": creative.get("image_url") or link_data.get("picture") or video_data.get("image_url"),
        "image_hash": creative.get("image_hash") or link_data.get("image_hash"),
        "video_id": _str_or_none(creative.get("video_id") or video_data.get("video_id")),
        "thumbnail_url": creative.get("thumbnail_url"),
        "link": link_data.get("link") or (cta_value.get("link") if isinstance(cta_value, dict) else None),
        "object_story_id": creative.get("effective_object_story_id") or creative.get("object_story_id"),
    }


def _str_or_none(value: Any) -> str | None:
    return None if value in (None, "") else str(value)


def map_review_feedback(feedback: Any) -> tuple[dict[str, Any], list[str]]:
    """(feedback as Meta gave it, list of policy names flagged) from `ad_review_feedback`."""
    if not isinstance(feedback, dict):
        return {}, []
    policies: list[str] = []
    for section in ("global", "placement_specific"):
        part = feedback.get(section) or {}
        if isinstance(part, dict):
            for key, value in part.items():
                if isinstance(value, dict):
                    policies.extend(str(k) for k in value)
                else:
                    policies.append(str(key))
    return feedback, sorted(set(policies))


def map_issues(issues: Any) -> list[dict[str, Any]]:
    out = []
    for issue in issues or []:
        if isinstance(issue, dict):
            out.append(
                {
                    "error_code": issue.get("error_code"),
                    "summary": issue.get("error_summary"),
                    "message": issue.get("error_message"),
                    "type": issue.get("error_type"),
                    "level": issue.get("level"),
                }
            )
    return out
