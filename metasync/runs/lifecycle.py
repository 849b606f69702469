"""The one lifecycle of every run of a connection (entity sync, performance, targeted refresh, and later kinds).

`recorded_run` records the run as RUNNING, hands the caller a `Run` to fill in, and always records how it ended:
SUCCESS or PARTIAL (some objects skipped), or FAILED with the error (also when the Python code itself crashes);
while it runs it beats in Redis, and a run whose process dies is marked CRASHED by the reaper (`runs/reaper.py`).
A token Meta rejects marks the connection EXPIRED; a permission Meta denies, or a stored token that cannot be
decrypted, marks it ERROR; an ad account Meta reports disabled, unsettled or closed marks it ACCOUNT_INACTIVE; all
become `SyncFailed`, which callers report without retrying (the other connections
go on).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from metasync.graph.client import GraphClient
from metasync.graph.errors import GraphPermissionError, TokenError
from metasync.infra.clock import now_ms, utcnow
from metasync.infra.counters import count
from metasync.infra.crypto import TokenUnreadable
from metasync.infra.histograms import RUN_DURATION_BUCKETS, observe
from metasync.runs.heartbeat import beating
from metasync.runs.planned import take_planned
from metasync.store.accounts import AdAccountInactive
from metasync.store.documents import MetaConnection, SyncRun
from metasync.store.writer import MAX_STORED_ERRORS

log = logging.getLogger(__name__)

# The `event` field of each kind's log lines, as alerts name them: <prefix>_started, _finished, _failed.
EVENT_PREFIXES = {
    "ENTITIES": "sync",
    "PERFORMANCE": "performance",
    "ENTITY": "entity_sync",
    "ACCOUNT": "account_check",
    "REPORT": "report",
}


def count_run_outcome(record: SyncRun, status: str, seconds: float | None = None) -> None:
    """Count a finished run for `/metrics` (`runs` by kind and outcome, its duration, report pulls by report)."""
    outcome = status.lower()
    count("runs", kind=record.kind, outcome=outcome)
    if seconds is not None:
        observe("run_duration_seconds", seconds, RUN_DURATION_BUCKETS, kind=record.kind)
    if record.kind == "REPORT":
        count("report_pulls", report=(record.target or {}).get("report") or "unknown", outcome=outcome)


class SyncFailed(Exception):
    """The run of one connection failed as a whole (token, permission, configuration); retrying cannot help."""

    def __init__(self, message: str = "", connection_id: str = "", result: dict | None = None):
        super().__init__(message, connection_id, result)
        self.message = message
        self.connection_id = connection_id
        self.result = result or {}

    def __str__(self) -> str:
        return self.message


class Run:
    """One run in progress: what it counted, what it skipped, and the result its caller returns."""

    def __init__(self, record: SyncRun, connection: MetaConnection, client: GraphClient, started_at: datetime):
        self.record = record
        self.connection = connection
        self.client = client
        self.started_at = started_at
        self.counts: dict[str, Any] = {}  # stored on the SyncRun and returned
        # Counts that grow while the run works (rows written so far), read when it ends, also when it fails.
        self.live_counts: Callable[[], dict[str, Any]] | None = None
        self.extra: dict[str, Any] = {}  # returned only (mode, window, ...)
        self.error_count = 0
        self.messages: list[str] = []  # the first MAX_STORED_ERRORS, for reading
        self._began = time.monotonic()
        self._calls_before = client.calls

    @property
    def api_calls(self) -> int:
        return self.client.calls - self._calls_before

    @property
    def duration_ms(self) -> int:
        return int((time.monotonic() - self._began) * 1000)

    def add_errors(self, count: int, messages: list[str]) -> None:
        self.error_count += count
        self.messages.extend(messages[: max(0, MAX_STORED_ERRORS - len(self.messages))])

    def current_counts(self) -> dict[str, Any]:
        return {**self.counts, **(self.live_counts() if self.live_counts else {})}

    def result(self) -> dict[str, Any]:
        return {
            "connection_id": str(self.connection.id),
            "tenant_id": self.connection.tenant_id,
            "ad_account_id": self.connection.ad_account_id,
            **self.current_counts(),
            **self.extra,
            "errors": self.error_count,
            "duration_ms": self.duration_ms,
            "api_calls": self.api_calls,
        }

    def log_fields(self, **fields: Any) -> dict[str, Any]:
        return {
            "tenant_id": self.connection.tenant_id,
            "ad_account_id": self.connection.ad_account_id,
            "connection_id": str(self.connection.id),
            "kind": self.record.kind,
            **fields,
        }

    def _event(self, outcome: str) -> str:
        return f"{EVENT_PREFIXES.get(self.record.kind, self.record.kind.lower())}_{outcome}"

    def _finish(self, status: str, errors: list[str], error_count: int) -> None:
        self.record.update(
            set__status=status,
            set__finished_at=utcnow(),
            set__duration_ms=self.duration_ms,
            set__counts=self.current_counts(),
            set__api_calls=self.api_calls,
            set__error_count=error_count,
            set__errors=errors[:MAX_STORED_ERRORS],
        )
        count_run_outcome(self.record, status, self.duration_ms / 1000)

    def _succeeded(self) -> None:
        self._finish("PARTIAL" if self.error_count else "SUCCESS", self.messages, self.error_count)
        log.info(
            "%s finished",
            self.record.kind.lower(),
            extra={"event": self._event("finished"), **self.log_fields(**self.result())},
        )

    def _failed(self, exc: BaseException) -> None:
        self._finish("FAILED", [f"{exc.__class__.__name__}: {exc}"[:500]], 1)
        log.error(
            "%s failed: %s",
            self.record.kind.lower(),
            exc.__class__.__name__,
            extra={"event": self._event("failed"), **self.log_fields(error=str(exc)[:300])},
        )


@contextmanager
def recorded_run(
    connection: MetaConnection,
    kind: str,
    trigger: str,
    client: GraphClient,
    *,
    full: bool = False,
    target: dict[str, Any] | None = None,
    started_at: datetime | None = None,
    **log_fields: Any,
) -> Iterator[Run]:
    """Record a run of `kind` for the block (beating while it runs); see the module docstring for how it ends.

    `target` is what the run was asked to do beyond its kind, so the reaper can redo a crashed run."""
    started_at = started_at or now_ms()
    record = SyncRun.begin(connection, kind, trigger, started_at, full=full, target=target, run_id=take_planned())
    with beating(str(record.id)):
        yield from _lifecycle(Run(record, connection, client, started_at), connection, trigger, full, log_fields)


def _lifecycle(
    run: Run, connection: MetaConnection, trigger: str, full: bool, log_fields: dict[str, Any]
) -> Iterator[Run]:
    kind = run.record.kind
    log.info(
        "%s started",
        kind.lower(),
        extra={"event": run._event("started"), **run.log_fields(trigger=trigger, full=full, **log_fields)},
    )
    try:
        yield run
    except (TokenError, TokenUnreadable, GraphPermissionError, AdAccountInactive) as exc:
        status, reason, message = _connection_failure(exc, connection.ad_account_id)
        connection.mark(status, reason)
        run._failed(exc)
        raise SyncFailed(message, str(connection.id), run.result()) from exc
    except BaseException as exc:
        run._failed(exc)
        raise
    run._succeeded()


def _connection_failure(exc: Exception, account: str) -> tuple[str, str, str]:
    """(the connection's new status, the reason stored on it, the message for the caller) for a run that cannot go
    on for this connection until someone acts."""
    if isinstance(exc, TokenError):
        return (
            "EXPIRED",
            f"access token rejected by Meta: {exc.message or exc}",
            f"access token expired or invalid for {account}; re-authenticate",
        )
    if isinstance(exc, AdAccountInactive):
        return "ACCOUNT_INACTIVE", str(exc), str(exc)
    if isinstance(exc, TokenUnreadable):
        return (
            "ERROR",
            f"{exc}; re-add the connection's token",
            f"{account}: {exc}; re-add the token with `metasync connections add`",
        )
    return (
        "ERROR",
        f"permission denied by Meta: {exc.message or exc}",
        f"permission denied for {account}: {exc.message}",
    )
