"""Parsing a webhook body: the JSON envelope, then one `ObjectChange` per change that names an object to re-sync.

Only the envelope can fail the request (400). Inside it, each entry and change stands alone: a malformed one is
counted and skipped, so one bad change never blocks the others in the same delivery.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from metasync.entities.spec import SPECS_BY_LEVEL
from metasync.graph.ids import is_meta_id

AD_ACCOUNT_OBJECT = "ad_account"
# Fields whose value names one ad object ({"id", "level", ...}); any other change with that shape is used too.
AD_OBJECT_FIELDS = ("in_process_ad_objects", "with_issues_ad_objects")
# Older Marketing API names for the same levels.
LEVEL_ALIASES = {"ADSET": "AD_SET", "ADGROUP": "AD"}
# What a change that names no object to re-sync counts as.
IGNORED, INVALID = "ignored", "invalid"


class WebhookPayloadError(ValueError):
    """The body is not JSON or not Meta's `{"object": ..., "entry": [...]}` envelope (400)."""


@dataclass(frozen=True)
class ObjectChange:
    """One campaign, ad set or ad that Meta says changed in an ad account."""

    ad_account_id: str  # act_<digits>
    level: str  # CAMPAIGN, AD_SET or AD
    object_id: str


@dataclass
class ParsedDelivery:
    changes: list[ObjectChange] = field(default_factory=list)
    ignored: int = 0  # acknowledged on purpose: other objects, other fields, levels we do not store
    invalid: int = 0  # malformed entries or changes, skipped


def parse_webhook_body(raw_body: bytes) -> dict[str, Any]:
    """The decoded envelope, or WebhookPayloadError."""
    try:
        payload = json.loads(raw_body)
    except (ValueError, RecursionError):  # RecursionError: absurdly nested arrays
        raise WebhookPayloadError("body is not valid JSON") from None
    if not isinstance(payload, dict):
        raise WebhookPayloadError("body must be a JSON object")
    if not isinstance(payload.get("object"), str) or not payload["object"]:
        raise WebhookPayloadError('"object" must be a non-empty string')
    if not isinstance(payload.get("entry"), list):
        raise WebhookPayloadError('"entry" must be a list')
    return payload


def _digits(value: Any) -> str | None:
    text = str(value).strip() if isinstance(value, (str, int)) and not isinstance(value, bool) else ""
    return text if is_meta_id(text) else None


def _account_id(value: Any) -> str | None:
    """Entries name the account without `act_`; tolerate it anyway."""
    text = value.strip() if isinstance(value, str) else value
    if isinstance(text, str) and text.startswith("act_"):
        text = text[4:]
    digits = _digits(text)
    return f"act_{digits}" if digits else None


def _level(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    level = value.strip().upper()
    return LEVEL_ALIASES.get(level, level)


def _change_target(change: Any) -> tuple[str, str] | str:
    """(level, object id) for a change to re-sync, or why not: IGNORED or INVALID."""
    if not isinstance(change, dict) or not isinstance(change.get("field"), str):
        return INVALID
    value = change.get("value")
    carries_object = isinstance(value, dict) and "id" in value and "level" in value
    if not carries_object:
        return INVALID if change["field"] in AD_OBJECT_FIELDS else IGNORED
    level, object_id = _level(value["level"]), _digits(value["id"])
    if level is None or object_id is None:
        return INVALID
    if level not in SPECS_BY_LEVEL:
        return IGNORED  # CREATIVE and other levels: nothing of theirs is stored on its own
    return level, object_id


def _entry_targets(entry: Any) -> Iterator[tuple[str, str] | str]:
    changes = entry.get("changes") if isinstance(entry, dict) else None
    if not isinstance(changes, list):
        yield INVALID
        return
    for change in changes:
        yield _change_target(change)


def extract_changes(payload: dict[str, Any]) -> ParsedDelivery:
    """Every object change in an ad-account delivery; other objects are acknowledged and ignored."""
    parsed = ParsedDelivery()
    if payload["object"] != AD_ACCOUNT_OBJECT:
        parsed.ignored = sum(
            len(e["changes"]) if isinstance(e, dict) and isinstance(e.get("changes"), list) else 1
            for e in payload["entry"]
        )
        return parsed
    for entry in payload["entry"]:
        account = _account_id(entry.get("id")) if isinstance(entry, dict) else None
        for target in _entry_targets(entry):
            if isinstance(target, tuple) and account:
                parsed.changes.append(ObjectChange(account, *target))
            elif target == IGNORED:
                parsed.ignored += 1
            else:
                parsed.invalid += 1
    return parsed
