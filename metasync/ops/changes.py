"""One change set now, in this process (the CLI, the demo): saved, then applied under the connection's "changes"
lock, the same lock and path the `apply_change_set` task takes."""

from __future__ import annotations

from typing import Any

from metasync.changes.apply import apply_change_set
from metasync.changes.fields import display, level_name, rule_for
from metasync.changes.submit import ObjectRequest, build_changes, save_change_set
from metasync.runs.guard import guarded_job
from metasync.store.changes import Change, ChangeSet
from metasync.store.documents import MetaConnection


def apply_now(
    connection: MetaConnection, changes: list[Change], source: str, requested_by: str | None, trigger: str
) -> tuple[ChangeSet, list[Change]]:
    """Save the changes as one set and apply it; returns the set and its changes as they ended.

    Raises ConnectionInactive or LockBusy (runs/guard.py) before anything is saved."""
    with guarded_job(connection, "changes"):
        change_set = save_change_set(connection, changes, source, requested_by)
        apply_change_set(connection, change_set.id, trigger=trigger)
    stored = {c.id: c for c in Change.objects(id__in=[c.id for c in changes])}
    return change_set, [stored[c.id] for c in changes]


def request_changes(
    connection: MetaConnection, requests: list[ObjectRequest], source: str, requested_by: str | None, trigger: str
) -> tuple[ChangeSet, list[Change]]:
    """`apply_now` of the changes the requests ask for (InvalidValue for a bad request, before anything is saved)."""
    return apply_now(
        connection, build_changes(connection, requests, source, requested_by), source, requested_by, trigger
    )


def object_label(change: Change) -> str:
    """`ad set 1202001`."""
    return f"{level_name(change.level)} {change.object_id}"


def shown(change: Change, value: Any) -> str:
    """A value of the change's field for people: `50.00 USD`, `PAUSED`, `-`."""
    return display(rule_for(change.field, change.level), value, change.currency)


__all__ = ["ObjectRequest", "apply_now", "object_label", "request_changes", "shown"]
