"""Change sets through the HTTP API: created from a JSON list through `changes.submit` (source "api", requested by
the key), a dry run that shows each field's exact before -> after, and the changes a key may see."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bson import ObjectId
from bson.errors import InvalidId

from metasync.access.keys import Principal
from metasync.changes.apply import preview_changes
from metasync.changes.submit import ObjectRequest, build_changes, save_change_set
from metasync.control.scope import NotFound, iso, list_query, own, page
from metasync.store.changes import Change, ChangeSet
from metasync.store.documents import MetaConnection

SOURCE = "api"


def _value(value: Any) -> Any:
    return iso(value) if isinstance(value, datetime) else value


def describe_change(change: Change) -> dict[str, Any]:
    after = change.after if change.status == "APPLIED" and change.after is not None else change.requested
    return {
        "id": str(change.id),
        "change_set_id": change.change_set_id,
        "connection_id": str(change.connection) if change.connection else None,
        "tenant_id": change.tenant_id,
        "ad_account_id": change.ad_account_id,
        "source": change.source,
        "requested_by": change.requested_by,
        "level": change.level,
        "object_id": change.object_id,
        "field": change.field,
        "requested_input": _value(change.requested_input),
        "expected": _value(change.expected),
        "before": _value(change.before),
        "after": _value(after),
        "currency": change.currency,
        "status": change.status,
        "reason": change.reason,
        "created_at": iso(change.created_at),
        "applied_at": iso(change.applied_at),
    }


def _requests(items: list[dict[str, Any]]) -> list[ObjectRequest]:
    return [
        ObjectRequest(
            level=item["level"],
            object_id=item["id"],
            values=dict(item.get("values") or {}),
            expected=dict(item.get("expected") or {}),
            force=bool(item.get("force")),
            confirm_delete=bool(item.get("confirm_delete")),
            where=f"changes[{n}]",
        )
        for n, item in enumerate(items)
    ]


def create_change_set(connection: MetaConnection, items: list[dict[str, Any]], requested_by: str) -> dict[str, Any]:
    """Save the changes as one set of the connection (InvalidValue before anything is saved); applied by a run."""
    changes = build_changes(connection, _requests(items), SOURCE, requested_by)
    change_set = save_change_set(connection, changes, SOURCE, requested_by)
    return {
        "change_set_id": change_set.id,
        "connection_id": str(connection.id),
        "changes": [describe_change(c) for c in changes],
    }


def dry_run(connection: MetaConnection, items: list[dict[str, Any]], requested_by: str) -> dict[str, Any]:
    """The same checks and reads from Meta as an apply, nothing saved or sent: VALIDATED means "would be sent"."""
    changes, account = preview_changes(connection, build_changes(connection, _requests(items), SOURCE, requested_by))
    return {
        "connection_id": str(connection.id),
        "currency": account.currency,
        "changes": [{**describe_change(c), "id": None, "change_set_id": None} for c in changes],
    }


def list_changes(
    principal: Principal,
    connection_id: str | None = None,
    change_set_id: str | None = None,
    status: str | None = None,
    object_id: str | None = None,
    tenant: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> dict[str, Any]:
    query = list_query(
        principal, tenant, connection_id, change_set_id=change_set_id, status=status, object_id=object_id
    )
    found = Change.objects(**query).order_by("-created_at") if query is not None else None
    return page(found, limit, offset, describe_change)


def change_for(principal: Principal, change_id: str) -> dict[str, Any]:
    try:
        change = Change.objects(id=ObjectId(change_id)).first()
    except (InvalidId, TypeError):
        change = None
    if change is None:
        raise NotFound(f"no change {change_id[:40]!r}")
    own(principal, change.tenant_id, f"change {change_id[:40]!r}")
    return describe_change(change)


def change_set_for(principal: Principal, change_set_id: str) -> ChangeSet:
    change_set = ChangeSet.objects(id=change_set_id).first()
    if change_set is None:
        raise NotFound(f"no change set {change_set_id[:60]!r}")
    own(principal, change_set.tenant_id, f"change set {change_set_id[:60]!r}")
    return change_set
