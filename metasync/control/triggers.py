"""Starting a run on request (HTTP API, dashboard): checked, recorded QUEUED with a known id, then enqueued by task
name, so the caller gets the task and run ids at once and can follow the run (metasync.runs.planned).

Nothing is enqueued for a request that cannot run: a connection that may not sync, bad dates, an unknown report,
a change set of another connection: each is a `TriggerRefused` with a one-line reason and nothing written.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from metasync.infra.clock import now_ms
from metasync.performance.dates import InvalidDateRange, parse_date_request
from metasync.reports.definitions import find_report
from metasync.reports.spec import InvalidReport
from metasync.runs.planned import close_unstarted
from metasync.store.changes import ChangeSet
from metasync.store.documents import SYNCABLE_STATUSES, MetaConnection, SyncRun

# kind -> (task name, run kind the task records)
KINDS: dict[str, tuple[str, str]] = {
    "entities": ("sync_connection", "ENTITIES"),
    "performance": ("sync_performance", "PERFORMANCE"),
    "report": ("pull_report", "REPORT"),
    "changes": ("apply_change_set", "CHANGES"),
}

# send(task name, args, kwargs, task_id): hands one message to the broker (raises when it cannot).
Sender = Callable[[str, list, dict, str], None]


class TriggerRefused(ValueError):
    """The request cannot start a run; the message says why in one line."""


@dataclass(frozen=True)
class Enqueued:
    kind: str
    connection_id: str
    task_id: str
    run_id: str
    task: str

    def as_dict(self) -> dict[str, str]:
        return {
            "kind": self.kind,
            "connection_id": self.connection_id,
            "task_id": self.task_id,
            "run_id": self.run_id,
            "task": self.task,
        }


def celery_sender(name: str, args: list, kwargs: dict, task_id: str) -> None:
    from metasync.celery import app

    app.send_task(name, args=args, kwargs=kwargs, task_id=task_id)


def enqueue_run(
    connection: MetaConnection,
    kind: str,
    requested_by: str,
    trigger: str = "api",
    send: Sender | None = None,
    **options: Any,
) -> Enqueued:
    """Record a QUEUED run of `kind` for `connection` and enqueue its task; returns the ids.

    Options: entities `full`; performance `date_preset` or `since`/`until` (none: the scheduled lookback); report
    `report` and the same dates; changes `change_set_id`."""
    if kind not in KINDS:
        raise TriggerRefused(f"kind must be one of {', '.join(KINDS)}, got {kind!r}")
    if connection.status not in SYNCABLE_STATUSES:
        reason = f" ({connection.last_error})" if connection.last_error else ""
        raise TriggerRefused(f"connection {connection.id} is {connection.status}{reason}; it cannot run now")
    task, run_kind = KINDS[kind]
    args, kwargs, target = _arguments(connection, kind, options)
    run = SyncRun(
        connection=connection.id,
        tenant_id=connection.tenant_id,
        ad_account_id=connection.ad_account_id,
        kind=run_kind,
        trigger=trigger,
        requested_by=requested_by,
        status="QUEUED",
        started_at=now_ms(),
        target=target,
    )
    run.save()
    task_id = str(uuid.uuid4())
    try:
        (send or celery_sender)(task, args, {**kwargs, "run_id": str(run.id)}, task_id)
    except Exception as exc:
        close_unstarted(str(run.id), f"not enqueued: {exc.__class__.__name__}")
        raise
    return Enqueued(kind, str(connection.id), task_id, str(run.id), task)


def _arguments(connection: MetaConnection, kind: str, options: dict[str, Any]) -> tuple[list, dict, dict]:
    known = {
        "entities": {"full"},
        "performance": {"date_preset", "since", "until"},
        "report": {"report", "date_preset", "since", "until"},
        "changes": {"change_set_id"},
    }[kind]
    unknown = sorted(k for k, v in options.items() if v is not None and k not in known)
    if unknown:
        raise TriggerRefused(f"{kind} runs take {', '.join(sorted(known))}; not {', '.join(unknown)}")
    cid = str(connection.id)
    if kind == "entities":
        full = bool(options.get("full"))
        return [cid], {"full": full}, {"full": full}
    if kind == "changes":
        set_id = str(options.get("change_set_id") or "")
        change_set = ChangeSet.objects(id=set_id).first() if set_id else None
        if change_set is None or change_set.connection != connection.id:
            raise TriggerRefused(f"no change set {set_id[:60]!r} of connection {cid}")
        return [set_id], {}, {"change_set_id": set_id}
    dates = {k: options.get(k) for k in ("date_preset", "since", "until") if options.get(k) is not None}
    if dates:
        try:
            parse_date_request(dates.get("date_preset"), dates.get("since"), dates.get("until"))
        except InvalidDateRange as exc:
            raise TriggerRefused(str(exc)) from None
    if kind == "performance":
        return [cid], dates, dict(dates)
    name = str(options.get("report") or "")
    try:
        find_report(name)
    except InvalidReport as exc:
        raise TriggerRefused(str(exc)) from None
    if not dates:
        dates = {"date_preset": "last_7d"}
    return [cid, name], dates, {"report": name, **dates}
