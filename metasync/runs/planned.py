"""Runs known before they start: whoever enqueues a job (the HTTP API, the dashboard) records it QUEUED and hands
its id to the task; the task's first run adopts that record, so the caller can follow it from the moment it asked.

The task body runs inside `adopting(run_id)`; `recorded_run` takes the id with `take_planned()` (once: a job that
makes several runs, such as entities then performance, gives the id to the first). A task that ends without a run
(skipped: locked, inactive, not found) closes the record with `close_unstarted`, so nothing stays QUEUED for ever.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from bson import ObjectId
from bson.errors import InvalidId

from metasync.infra.clock import now_ms
from metasync.store.documents import SyncRun

_planned: ContextVar[str | None] = ContextVar("metasync_planned_run", default=None)


@contextmanager
def adopting(run_id: str | None) -> Iterator[None]:
    token = _planned.set(run_id)
    try:
        yield
    finally:
        _planned.reset(token)


def take_planned() -> ObjectId | None:
    """The QUEUED run this task was asked to carry out, once; None when there is none (or it already started)."""
    run_id = _planned.get()
    if not run_id:
        return None
    _planned.set(None)
    try:
        oid = ObjectId(run_id)
    except (InvalidId, TypeError):
        return None
    return oid if SyncRun.objects(id=oid, status="QUEUED").count() else None


def close_unstarted(run_id: str | None, reason: str) -> None:
    """A QUEUED run whose task ended without starting it: SKIPPED, with why."""
    if not run_id:
        return
    try:
        oid = ObjectId(run_id)
    except (InvalidId, TypeError):
        return
    SyncRun.objects(id=oid, status="QUEUED").update_one(
        set__status="SKIPPED", set__finished_at=now_ms(), push__errors=reason[:300]
    )
