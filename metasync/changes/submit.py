"""Turning requests (a command, a file, an optimiser's documents) into change documents of one change set.

Each change expects the value the stored document holds, unless the request names its own expected value; the
change is then applied only while Meta still holds that value (or when forced).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bson import ObjectId

from metasync.changes.fields import FIELDS, InvalidValue, check_input, level_of, rule_for, stored_value
from metasync.changes.state import mark, save_changes
from metasync.entities.spec import SPECS_BY_LEVEL
from metasync.graph.ids import is_meta_id
from metasync.infra.clock import now_ms
from metasync.store.changes import Change, ChangeSet
from metasync.store.documents import MetaConnection, entity_key


@dataclass
class ObjectRequest:
    """The changes asked for one object: values as given, by field (`end_time`, `daily_budget`, ...)."""

    level: str
    object_id: str
    values: dict[str, Any]
    expected: dict[str, Any] = field(default_factory=dict)
    force: bool = False
    confirm_delete: bool = False
    where: str = ""  # "line 3" of a file, for messages

    def checked(self) -> ObjectRequest:
        """The same request with its level named as Meta does; InvalidValue (with `where`) for anything wrong."""
        prefix = f"{self.where}: " if self.where else ""
        try:
            level = level_of(self.level)
            object_id = str(self.object_id).strip()
            if not is_meta_id(object_id):
                raise InvalidValue(f"object id must be digits, got {object_id[:40]!r}")
            if not self.values:
                raise InvalidValue(f"nothing to change; give at least one of {', '.join(FIELDS)}")
            for name, raw in self.values.items():
                check_input(rule_for(name, level), raw)
            for name, raw in self.expected.items():
                if name not in self.values:
                    raise InvalidValue(f"expected {name} given, but {name} is not changed")
                if raw is not None:
                    check_input(rule_for(name, level), raw)
        except InvalidValue as exc:
            raise InvalidValue(f"{prefix}{exc}") from None
        return ObjectRequest(level, object_id, self.values, self.expected, self.force, self.confirm_delete, self.where)


def new_change_set_id(now: datetime | None = None) -> str:
    return f"cs-{(now or now_ms()).strftime('%Y%m%dT%H%M%S')}-{secrets.token_hex(4)}"


def build_changes(
    connection: MetaConnection, requests: Iterable[ObjectRequest], source: str, requested_by: str | None
) -> list[Change]:
    """Unsaved change documents (one per field), expecting what each stored document holds unless told."""
    checked = [request.checked() for request in requests]
    stored = _stored(connection, checked)
    changes = []
    for request in checked:
        doc = stored.get((request.level, request.object_id))
        for name, raw in request.values.items():
            rule = rule_for(name, request.level)
            expected, expected_from = None, None
            if name in request.expected:
                expected, expected_from = request.expected[name], "change"
            elif doc is not None:
                expected, expected_from = stored_value(rule, request.level, doc), "stored"
            change = Change(
                id=ObjectId(),
                tenant_id=connection.tenant_id,
                connection=connection.id,
                ad_account_id=connection.ad_account_id,
                source=source,
                requested_by=requested_by,
                level=request.level,
                object_id=request.object_id,
                field=rule.name,
                expected=expected,
                expected_from=expected_from,
                requested_input=raw,
                force=request.force,
                confirm_delete=request.confirm_delete,
            )
            mark(change, "REQUESTED")
            changes.append(change)
    return changes


def _stored(connection: MetaConnection, requests: list[ObjectRequest]) -> dict[tuple[str, str], dict[str, Any]]:
    found = {}
    for level, spec in SPECS_BY_LEVEL.items():
        keys = [entity_key(connection.tenant_id, r.object_id) for r in requests if r.level == level]
        if keys:
            for doc in spec.collection.find({"_id": {"$in": keys}}, {"raw": 0}):
                found[(level, doc["meta_id"])] = doc
    return found


def save_change_set(
    connection: MetaConnection, changes: list[Change], source: str, requested_by: str | None, new: bool = True
) -> ChangeSet:
    """The changes and their set, on record (the changes first: nothing is applied without its document);
    `new=False` for changes already in the collection (an optimiser's documents)."""
    set_id = new_change_set_id()
    for change in changes:
        change.change_set_id = set_id
    save_changes(changes, new=new)
    change_set = ChangeSet(
        id=set_id,
        tenant_id=connection.tenant_id,
        connection=connection.id,
        source=source,
        requested_by=requested_by,
        change_ids=[c.id for c in changes],
    )
    change_set.save()
    return change_set
