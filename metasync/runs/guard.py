"""The guard every run of a connection passes, from a task, the CLI, loop mode or the doctor: the connection may
sync, and no other run of the same kind holds its lock."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from metasync.infra.locks import connection_lock
from metasync.store.documents import MetaConnection


class ConnectionInactive(Exception):
    """The connection is EXPIRED or DISABLED: nothing runs until the tenant re-authenticates or it is re-enabled."""

    def __init__(self, connection_id: str = "", status: str = "", reason: str | None = None):
        super().__init__(connection_id, status, reason)
        self.connection_id = connection_id
        self.status = status
        self.reason = reason

    def __str__(self) -> str:
        return f"connection is {self.status}"


@contextmanager
def guarded_job(connection: MetaConnection, kind: str = "sync", owner: str | None = None) -> Iterator[None]:
    """Hold the connection's `kind` lock for the block; ConnectionInactive if it may not sync, LockBusy if another
    run holds it (`owner`, a task's id, takes over its own dead attempt's lock)."""
    if not connection.may_sync:
        raise ConnectionInactive(str(connection.id), connection.status, connection.last_error)
    with connection_lock(str(connection.id), kind, owner=owner):
        yield
