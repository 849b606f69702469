"""Changes that wait in the database: documents an optimiser writes to `changes` (status REQUESTED), deferred
changes whose time has come, and changes left APPLYING by a run that died. Each pick-up groups them by connection
into change sets for `apply_change_set`.

An optimiser's document needs `tenant_id`, `level` (campaign, adset, ad), `object_id`, `field` and `requested`
(money as integer minor units, or a decimal amount as a string: "50.00"); `connection` (its id), `expected`,
`requested_by`, `force` and `confirm_delete` are optional. A document that cannot be applied is REJECTED with the
reason, never dropped.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import timedelta
from typing import Any

from bson import ObjectId

from metasync.changes.fields import InvalidValue, check_input, level_of, rule_for, stored_value
from metasync.changes.state import mark, save_changes
from metasync.changes.submit import save_change_set
from metasync.entities.spec import SPECS_BY_LEVEL
from metasync.graph.ids import is_meta_id
from metasync.infra.clock import as_utc, now_ms
from metasync.store.changes import OPEN_STATUSES, Change
from metasync.store.documents import MetaConnection, entity_key

log = logging.getLogger(__name__)

# A change set saved this long ago and still not applied lost its task (or its command); APPLYING this long means
# the run applying it died (a live run holds the connection's lock and finishes far sooner).
STALE_AFTER = timedelta(minutes=2)


def pick_up_changes() -> list[str]:
    """The ids of the change sets to apply now (new ones made for an optimiser's documents)."""
    now = now_ms()
    # One scan per minute of the open changes; every other read is by `_id` (docs/ferretdb.md, hot queries).
    raw_docs = list(Change._get_collection().find({"status": {"$in": list(OPEN_STATUSES)}}))
    due_sets: set[str] = set()
    fresh: dict[ObjectId, list[Change]] = defaultdict(list)
    rejected: list[Change] = []
    for raw in raw_docs:
        if raw.get("change_set_id"):
            if _due(raw, now):
                due_sets.add(raw["change_set_id"])
            continue
        change = _adopt(raw)
        if change.status == "REJECTED":
            rejected.append(change)
        else:
            fresh[change.connection].append(change)
    save_changes(rejected)
    for connection_id, changes in fresh.items():
        due_sets.add(_new_set(connection_id, changes))
    if raw_docs:
        log.info(
            "changes picked up",
            extra={"event": "changes_picked_up", "change_sets": len(due_sets), "rejected": len(rejected)},
        )
    return sorted(due_sets)


def _due(raw: dict[str, Any], now) -> bool:
    status = raw.get("status")
    updated = as_utc(raw.get("updated_at")) or now
    if status == "DEFERRED":
        return as_utc(raw.get("not_before")) is None or as_utc(raw["not_before"]) <= now
    return now - updated >= STALE_AFTER


def _adopt(raw: dict[str, Any]) -> Change:
    """An optimiser's document as a change of its connection, or REJECTED with why not."""
    change = Change(
        id=raw["_id"],
        tenant_id=str(raw.get("tenant_id") or "?"),
        source=raw.get("source") if raw.get("source") in ("db", "api") else "db",
        requested_by=str(raw.get("requested_by") or "db"),
        object_id=str(raw.get("object_id") or ""),
        field=str(raw.get("field") or ""),
        requested_input=raw.get("requested_input", raw.get("requested")),
        force=bool(raw.get("force")),
        confirm_delete=bool(raw.get("confirm_delete")),
        created_at=raw.get("created_at") or now_ms(),
        history=raw.get("history") or [],
    )
    try:
        connection = _check(change, raw)
    except InvalidValue as exc:
        change.level = str(raw.get("level") or "")[:20]
        mark(change, "REJECTED", str(exc))
        return change
    change.connection = connection.id
    change.ad_account_id = connection.ad_account_id
    if "expected" in raw:
        change.expected, change.expected_from = raw["expected"], "change"
    else:
        doc = SPECS_BY_LEVEL[change.level].collection.find_one({"_id": entity_key(change.tenant_id, change.object_id)})
        if doc is not None:
            change.expected = stored_value(rule_for(change.field, change.level), change.level, doc)
            change.expected_from = "stored"
    mark(change, "REQUESTED", "picked up from the database")
    return change


def _check(change: Change, raw: dict[str, Any]) -> MetaConnection:
    if not raw.get("tenant_id"):
        raise InvalidValue("tenant_id is missing")
    change.level = level_of(raw.get("level"))
    if not is_meta_id(change.object_id):
        raise InvalidValue(f"object_id must be digits, got {change.object_id[:40]!r}")
    check_input(rule_for(change.field, change.level), change.requested_input)
    connection = _connection_of(change, raw.get("connection"))
    if connection is None:
        raise InvalidValue(
            f"no connection of tenant {change.tenant_id!r} holds {change.level} {change.object_id}; "
            "give `connection` or sync the object first"
        )
    return connection


def _connection_of(change: Change, given: Any) -> MetaConnection | None:
    """The named connection when it is the tenant's own; else the one the stored object belongs to."""
    if given:
        try:
            connection = MetaConnection.objects(id=ObjectId(str(given))).first()
        except Exception:
            raise InvalidValue(f"connection {str(given)[:40]!r} is not a connection id") from None
        if connection is None or connection.tenant_id != change.tenant_id:
            raise InvalidValue(f"connection {str(given)[:40]!r} is not one of tenant {change.tenant_id!r}'s")
        return connection
    doc = SPECS_BY_LEVEL[change.level].collection.find_one(
        {"_id": entity_key(change.tenant_id, change.object_id)}, {"connection": 1}
    )
    return MetaConnection.objects(id=doc["connection"]).first() if doc else None


def _new_set(connection_id: ObjectId, changes: list[Change]) -> str:
    connection = MetaConnection.objects(id=connection_id).first()
    return save_change_set(connection, changes, "db", changes[0].requested_by, new=False).id
