"""What every `metasync` command shares: exit codes, one-line errors, start-up, tables, running connections."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterable
from typing import Any

import click

from metasync.settings import ConfigError, get_settings

log = logging.getLogger("metasync.cli")

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class CliError(click.ClickException):
    """A one-line reason and an exit code."""

    def __init__(self, message: str, exit_code: int = EXIT_USAGE):
        super().__init__(message)
        self.exit_code = exit_code

    def show(self, file=None) -> None:
        click.echo(f"error: {self.format_message()}", err=True)


def bootstrap(verbose: bool = False, create_indexes: bool = True) -> None:
    """Settings, logging and the database (with its indexes, idempotent), problems as one clear line."""
    from pymongo.errors import PyMongoError

    from metasync.infra import db
    from metasync.infra.logs import configure_logging
    from metasync.store.documents import ensure_indexes

    try:
        settings = get_settings()
    except ConfigError as exc:
        raise CliError(str(exc)) from None
    configure_logging(settings)
    if not verbose and settings.log_level.upper() == "INFO":
        logging.getLogger().setLevel(logging.WARNING)
    db.connect()
    if create_indexes:
        try:
            ensure_indexes()
        except PyMongoError as exc:
            raise CliError(f"MongoDB is not reachable at MONGODB_URI ({exc.__class__.__name__})", EXIT_FAILED) from None


def named_connection(tenant: str | None, connection_id: str):
    """The connection `--connection` names (not with `--tenant`), or a one-line error."""
    from metasync.connections.registry import get_connection

    if tenant:
        raise CliError("use --tenant or --connection, not both")
    connection = get_connection(connection_id)
    if connection is None:
        raise CliError(f"no connection with id {connection_id!r}")
    return connection


def selected_connections(tenant: str | None, connection_id: str | None) -> list:
    from metasync.connections.registry import select_connections

    if connection_id:
        return [named_connection(tenant, connection_id)]
    chosen = select_connections(tenant=tenant)
    if not chosen:
        scope = f" for tenant {tenant!r}" if tenant else ""
        stopped = select_connections(tenant=tenant, include_inactive=True)
        if stopped:
            listed = ", ".join(f"{c.ad_account_id} is {c.status}" for c in stopped[:5])
            raise CliError(
                f"no connection{scope} may sync ({listed}); re-authenticate with `metasync connections add`",
                EXIT_FAILED,
            )
        raise CliError(f"no active connections{scope}; add one with `metasync connections add`", EXIT_FAILED)
    return chosen


def emit(result: dict[str, Any], as_json: bool, summary: str) -> None:
    if as_json:
        click.echo(json.dumps(result, default=str, sort_keys=True))
    else:
        click.echo(summary)


def run_connections(connections_: Iterable, job, as_json: bool, describe, lock_kind: str = "sync") -> int:
    """Run `job(connection, progress)` for each connection under its lock (the same per-connection lock the Celery
    tasks take for this kind of job); print one line / JSON object each. Returns the number of failures."""
    from metasync.infra.locks import LockBusy
    from metasync.runs.guard import ConnectionInactive, guarded_job
    from metasync.runs.lifecycle import SyncFailed

    failures = 0
    for connection in connections_:
        base = {
            "connection_id": str(connection.id),
            "tenant_id": connection.tenant_id,
            "ad_account_id": connection.ad_account_id,
        }
        try:
            with guarded_job(connection, lock_kind), _progress(connection, enabled=not as_json) as progress:
                result = job(connection, progress)
        except ConnectionInactive as exc:
            failures += 1
            emit(
                {**base, "status": "failed", "error": str(exc)},
                as_json,
                f"{connection.ad_account_id}: skipped, {exc} "
                f"({exc.reason or 're-authenticate with `metasync connections add`'})",
            )
            continue
        except LockBusy:
            failures += 1
            emit(
                {**base, "status": "skipped", "error": "another sync of this connection is running"},
                as_json,
                f"{connection.ad_account_id}: skipped, another sync of this connection is running",
            )
            continue
        except SyncFailed as exc:
            failures += 1
            emit(
                {**base, **exc.result, "status": "failed", "error": exc.message},
                as_json,
                f"{connection.ad_account_id}: failed: {exc.message}",
            )
            continue
        except ConfigError as exc:
            raise CliError(str(exc)) from None
        except Exception as exc:  # one connection's failure must not stop the others
            failures += 1
            emit(
                {**base, "status": "failed", "error": f"{exc.__class__.__name__}: {exc}"},
                as_json,
                f"{connection.ad_account_id}: failed: {exc.__class__.__name__}: {exc}",
            )
            continue
        emit({**base, **result, "status": "ok"}, as_json, describe(connection, result))
    return failures


class _progress:
    """A live progress line on a terminal (stderr); silent otherwise."""

    def __init__(self, connection, enabled: bool):
        self.enabled = enabled and sys.stderr.isatty()
        self.connection = connection
        self.counts: dict[str, int] = {}
        self._status = None

    def __enter__(self):
        if self.enabled:
            from rich.console import Console

            self._status = Console(stderr=True).status(f"syncing {self.connection.ad_account_id}")
            self._status.__enter__()
        return self

    def __call__(self, kind: str, count: int) -> None:
        self.counts[kind] = count
        if self._status is not None:
            counts = ", ".join(f"{k} {v}" for k, v in self.counts.items())
            self._status.update(f"syncing {self.connection.ad_account_id}: {counts}")

    def __exit__(self, *exc):
        if self._status is not None:
            self._status.__exit__(*exc)
        return False


def print_table(headers: list[str], rows: list[list[Any]], empty: str = "nothing to show") -> None:
    if not rows:
        click.echo(empty)
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(*headers)
    for row in rows:
        table.add_row(*[str(v) for v in row])
    Console(width=max(120, Console().width)).print(table)


def selection_options(command):
    """`--tenant` and `--connection`, as every command that acts on existing connections takes them."""
    command = click.option("--connection", "connection_id", default=None, help="Only this connection.")(command)
    return click.option("--tenant", default=None, help="Only this tenant's connections.")(command)


def date_args(preset: str | None, since: str | None, until: str | None, default_preset: str) -> dict[str, Any]:
    """The checked preset or range, as keyword arguments; a usage error (exit 2) before anything else runs."""
    from metasync.performance import InvalidDateRange, parse_date_request

    if preset and (since or until):
        raise CliError("use --preset or --since/--until, not both")
    try:
        if since or until:
            parse_date_request(None, since, until)
            return {"date_preset": None, "since": since, "until": until}
        parse_date_request(preset or default_preset)
    except InvalidDateRange as exc:
        raise CliError(str(exc)) from None
    return {"date_preset": preset or default_preset}


def insights_summary(connection, result: dict[str, Any], what: str) -> str:
    """One line for an insights run: the account, its days, what was written, time, calls, errors."""
    text = (
        f"{connection.ad_account_id} ({result['since']}..{result['until']}): {what} in {result['duration_ms']} ms, "
        f"{result['api_calls']} Graph calls"
    )
    if result.get("errors"):
        text += f", {result['errors']} errors (see `sync_runs`)"
    return text
