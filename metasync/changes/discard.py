"""Discarding changes nobody should apply any more (from the dashboard): REJECTED, with who and why in history.

Only changes that are not being sent can be discarded: waiting ones (REQUESTED, VALIDATED, DEFERRED) and the ones
that ended FAILED or in CONFLICT, which then stop showing as needing attention. APPLYING and APPLIED are left alone.
"""

from __future__ import annotations

from metasync.changes.state import mark, save_changes
from metasync.store.changes import Change

DISCARDABLE = ("REQUESTED", "VALIDATED", "DEFERRED", "FAILED", "CONFLICT")


def discard_change_set(change_set_id: str, tenant_id: str, who: str) -> int:
    """Mark the tenant's discardable changes of one change set REJECTED as discarded by `who`; returns how many."""
    changes = list(Change.objects(change_set_id=change_set_id, tenant_id=tenant_id, status__in=DISCARDABLE))
    for change in changes:
        mark(change, "REJECTED", f"discarded by {who} (was {change.status})")
    save_changes(changes)
    return len(changes)
