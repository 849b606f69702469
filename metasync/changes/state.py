"""Status transitions of change documents (each one kept in the change's history) and writing them in bulk."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from bson import ObjectId
from pymongo import UpdateOne

from metasync.infra.clock import as_utc, now_ms
from metasync.store.changes import Change

MAX_HISTORY = 50


def mark(change: Change, status: str, reason: str | None = None, **fields: Any) -> None:
    """Set the change's status (and reason, and any other fields) in memory; `save_changes` writes it."""
    now = now_ms()
    change.status = status
    change.reason = reason
    for key, value in fields.items():
        setattr(change, key, value)
    change.updated_at = now
    entry = {"status": status, "at": now}
    if reason:
        entry["reason"] = reason[:300]
    change.history = [*(change.history or [])[-(MAX_HISTORY - 1) :], entry]


def defer(change: Change, seconds: float, reason: str) -> None:
    mark(change, "DEFERRED", reason, not_before=now_ms() + timedelta(seconds=max(1.0, seconds)))


def fail(change: Change, reason: str, error: Exception | None = None) -> None:
    mark(
        change,
        "FAILED",
        reason,
        error_code=getattr(error, "code", None),
        error_subcode=getattr(error, "subcode", None),
        error_message=(getattr(error, "message", None) or (str(error) if error else None) or None),
    )


def save_changes(changes: Iterable[Change], new: bool = False) -> None:
    """Every change's whole document, upserted by `_id` in one unordered bulk write (`new`: inserted, which the
    local MongoDB-compatible server does several times faster)."""
    docs = []
    for change in changes:
        if change.id is None:
            change.id = ObjectId()
        change.validate()
        docs.append(change.to_mongo().to_dict())
    if not docs:
        return
    collection = Change._get_collection()
    if new:
        collection.insert_many(docs, ordered=False)
    else:
        collection.bulk_write(
            [UpdateOne({"_id": doc.pop("_id")}, {"$set": doc}, upsert=True) for doc in docs], ordered=False
        )


def is_due(change: Change, now: datetime) -> bool:
    """An open change that may be applied now (a DEFERRED one once its time has come)."""
    if change.status == "DEFERRED":
        return change.not_before is None or as_utc(change.not_before) <= now
    return change.status in ("REQUESTED", "VALIDATED", "APPLYING")
