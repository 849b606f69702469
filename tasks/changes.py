"""Write-back tasks: apply one change set (`apply_change_set`), and pick up the changes waiting in the database
every minute (`pick_up_changes`)."""

from __future__ import annotations

import logging

from metasync.celery import app
from metasync.changes.apply import apply_change_set as apply_change_set_now
from metasync.changes.intake import pick_up_changes
from metasync.infra import db
from metasync.infra.locks import LockBusy, held_lock
from metasync.runs.planned import close_unstarted
from metasync.store.changes import ChangeSet
from tasks.base import MAX_TASK_RETRIES
from tasks.sync import run_locked_connection_job

log = logging.getLogger(__name__)

PICK_UP_EVERY_SECONDS = 60


# acks_late: idempotent (applied changes are never sent again; a change left APPLYING is read from Meta first).
# Retries as `sync_connection`: transient errors and rate limits, on the per-connection "changes" lock.
@app.task(name="apply_change_set", bind=True, acks_late=True, ignore_result=False, max_retries=MAX_TASK_RETRIES)
def apply_change_set(self, change_set_id: str, run_id: str | None = None) -> dict:
    """Apply the open changes of one change set to Meta and store what Meta then holds."""
    db.connect()
    change_set = ChangeSet.objects(id=str(change_set_id)).first()
    if change_set is None:
        log.warning(
            "change set %s not found; nothing to do",
            str(change_set_id)[:64],
            extra={"event": "change_set_missing", "change_set_id": str(change_set_id)[:64]},
        )
        close_unstarted(run_id, "skipped: the change set does not exist")
        return {"change_set_id": change_set_id, "skipped": "not_found"}
    return run_locked_connection_job(
        self,
        str(change_set.connection),
        "changes",
        lambda connection: apply_change_set_now(connection, change_set.id, trigger="task"),
        run_id,
    )


# Every minute; no retries: the next tick is the retry. Two pick-ups never run at once (Redis lock).
@app.task(name="pick_up_changes", acks_late=True, ignore_result=True, max_retries=0, expires=PICK_UP_EVERY_SECONDS)
def pick_up_changes_task() -> dict:
    """Make change sets of the changes an optimiser wrote to `changes`, and enqueue every change set with changes
    due (new, deferred until now, or left APPLYING by a run that died)."""
    db.connect()
    try:
        with held_lock("maintenance:pick_up_changes", timeout=PICK_UP_EVERY_SECONDS):
            set_ids = pick_up_changes()
    except LockBusy:
        return {"skipped": "locked"}
    for set_id in set_ids:
        apply_change_set.delay(set_id)
    return {"change_sets": len(set_ids)}
