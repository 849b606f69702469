"""The `metasync` command line. Exit codes: 0 ok, 1 a sync (or check) failed, 2 usage or configuration error."""

from __future__ import annotations

import json
import logging
import sys
from datetime import datetime, timezone
from typing import Any, Iterable

import click

from metasync.ops.loop import loop_connections, loop_interval_seconds, loop_options
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


def _bootstrap(verbose: bool = False) -> None:
    """Settings, logging and the database, with configuration problems as one clear line."""
    from metasync.infra import db
    from metasync.infra.logs import configure_logging

    try:
        settings = get_settings()
    except ConfigError as exc:
        raise CliError(str(exc)) from None
    configure_logging(settings)
    if not verbose and settings.log_level.upper() == "INFO":
        logging.getLogger().setLevel(logging.WARNING)
    db.connect()


def _db_unreachable(exc: Exception) -> CliError:
    return CliError(f"MongoDB is not reachable at MONGODB_URI ({exc.__class__.__name__})", EXIT_FAILED)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", is_flag=True, help="Log progress at INFO level to stderr.")
@click.pass_context
def main(ctx: click.Context, verbose: bool) -> None:
    """Keep MongoDB in sync with Meta Ads."""
    ctx.obj = {"verbose": verbose}


# --- connections -------------------------------------------------------------------------------------------
@main.group()
def connections() -> None:
    """Add, list and remove ad-account connections."""


def _parse_expiry(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise CliError(f"--expires-at must be an ISO date or datetime, got {value!r}") from None
    return parsed.replace(tzinfo=timezone.utc) if parsed.tzinfo is None else parsed.astimezone(timezone.utc)


@connections.command("add")
@click.option("--tenant", required=True, help="Your tenant (customer) id.")
@click.option("--ad-account", required=True, help="Ad account id, act_<digits> or <digits>.")
@click.option("--token", required=True, help="Meta user access token (stored encrypted).")
@click.option("--user-id", default=None, help="Meta user id owning the token (rate-limit bucket).")
@click.option("--expires-at", default=None, help="Token expiry, ISO 8601.")
@click.pass_context
def connections_add(ctx, tenant: str, ad_account: str, token: str, user_id: str | None, expires_at: str | None):
    """Register a connection, or replace the token of an existing one (re-authentication)."""
    from metasync.connections.registry import upsert_connection

    tenant = tenant.strip()
    token = token.strip()
    if not tenant:
        raise CliError("--tenant must not be empty")
    if not token or any(c.isspace() for c in token):
        raise CliError("--token must be a non-empty token without spaces")
    expiry = _parse_expiry(expires_at)
    _bootstrap(ctx.obj["verbose"])
    try:
        connection, created = upsert_connection(tenant, ad_account, token, user_id, expiry)
    except ValueError as exc:
        raise CliError(str(exc)) from None
    click.echo(f"{'added' if created else 'updated'} connection {connection.id} "
               f"(tenant {connection.tenant_id}, {connection.ad_account_id})")


@connections.command("list")
@click.option("--tenant", default=None)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@click.pass_context
def connections_list(ctx, tenant: str | None, as_json: bool):
    """List connections (tokens are never shown)."""
    from metasync.connections.registry import describe_connection, select_connections

    _bootstrap(ctx.obj["verbose"])
    rows = [describe_connection(c) for c in select_connections(tenant=tenant, include_inactive=True)]
    if as_json:
        for row in rows:
            click.echo(json.dumps(row, default=str))
        return
    _print_table(["id", "tenant", "ad account", "status", "token expires", "last sync", "last error"],
                 [[r["id"], r["tenant_id"], r["ad_account_id"], r["status"], r["token_expires_at"] or "-",
                   r["last_synced_at"] or "never", (r["last_error"] or "")[:60]] for r in rows],
                 empty="no connections")


@connections.command("remove")
@click.argument("connection_id")
@click.option("--purge", is_flag=True, help="Also delete the connection's synced data.")
@click.pass_context
def connections_remove(ctx, connection_id: str, purge: bool):
    """Remove a connection (its synced data stays unless --purge)."""
    from metasync.connections.registry import get_connection, remove_connection

    _bootstrap(ctx.obj["verbose"])
    connection = get_connection(connection_id)
    if connection is None:
        raise CliError(f"no connection with id {connection_id!r}")
    removed = remove_connection(connection, purge=purge)
    click.echo(f"removed connection {connection_id}" + (f" and {removed} documents" if purge else ""))


# --- sync --------------------------------------------------------------------------------------------------
def _selected(tenant: str | None, connection_id: str | None) -> list:
    from metasync.connections.registry import get_connection, select_connections

    if tenant and connection_id:
        raise CliError("use --tenant or --connection, not both")
    if connection_id:
        connection = get_connection(connection_id)
        if connection is None:
            raise CliError(f"no connection with id {connection_id!r}")
        return [connection]
    chosen = select_connections(tenant=tenant)
    if not chosen:
        raise CliError("no active connections" + (f" for tenant {tenant!r}" if tenant else "") +
                       "; add one with `metasync connections add`", EXIT_FAILED)
    return chosen


def _emit(result: dict[str, Any], as_json: bool, summary: str) -> None:
    if as_json:
        click.echo(json.dumps(result, default=str, sort_keys=True))
    else:
        click.echo(summary)


def run_connections(connections_: Iterable, job, as_json: bool, describe, lock_kind: str = "sync") -> int:
    """Run `job(connection, progress)` for each connection under its lock (the same per-connection lock the Celery
    tasks take for this kind of job); print one line / JSON object each. Returns the number of failures."""
    from metasync.infra.locks import LockBusy, connection_lock
    from metasync.entities.sync import SyncFailed

    failures = 0
    for connection in connections_:
        base = {"connection_id": str(connection.id), "tenant_id": connection.tenant_id,
                "ad_account_id": connection.ad_account_id}
        if connection.status in ("EXPIRED", "DISABLED"):
            failures += 1
            _emit({**base, "status": "failed", "error": f"connection is {connection.status}"}, as_json,
                  f"{connection.ad_account_id}: skipped, connection is {connection.status} "
                  f"({connection.last_error or 're-authenticate with `metasync connections add`'})")
            continue
        try:
            with connection_lock(str(connection.id), lock_kind), \
                    _progress(connection, enabled=not as_json) as progress:
                result = job(connection, progress)
        except LockBusy:
            failures += 1
            _emit({**base, "status": "skipped", "error": "another sync of this connection is running"}, as_json,
                  f"{connection.ad_account_id}: skipped, another sync of this connection is running")
            continue
        except SyncFailed as exc:
            failures += 1
            _emit({**base, **exc.result, "status": "failed", "error": exc.message}, as_json,
                  f"{connection.ad_account_id}: failed: {exc.message}")
            continue
        except ConfigError as exc:
            raise CliError(str(exc)) from None
        except Exception as exc:  # one connection's failure must not stop the others
            failures += 1
            _emit({**base, "status": "failed", "error": f"{exc.__class__.__name__}: {exc}"}, as_json,
                  f"{connection.ad_account_id}: failed: {exc.__class__.__name__}: {exc}")
            continue
        _emit({**base, **result, "status": "ok"}, as_json, describe(connection, result))
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


def _describe_sync(connection, result: dict[str, Any]) -> str:
    text = (f"{connection.ad_account_id} ({result['mode']}): {result['campaigns_synced']} campaigns, "
            f"{result['ad_sets_synced']} ad sets, {result['ads_synced']} ads in {result['duration_ms']} ms, "
            f"{result['api_calls']} Graph calls")
    if result.get("errors"):
        text += f", {result['errors']} objects skipped"
    if result.get("performance"):
        perf = result["performance"]
        text += f"; performance rows: {perf.get('campaigns', 0)}/{perf.get('ad_sets', 0)}/{perf.get('ads', 0)}"
    return text


@main.command("sync")
@click.option("--tenant", default=None, help="Only this tenant's connections.")
@click.option("--connection", "connection_id", default=None, help="Only this connection.")
@click.option("--full", is_flag=True, help="Read everything instead of what changed since the last sync.")
@click.option("--performance", is_flag=True, help="Also sync performance data after the entities.")
@click.option("--json", "as_json", is_flag=True, help="One JSON result object per connection, one per line.")
@loop_options("META_SYNC_INTERVAL_MINUTES")
@click.pass_context
def sync_command(ctx, tenant, connection_id, full, performance, as_json, loop, interval, iterations):
    """Sync campaigns, ad sets and ads now, in this process (with --loop: every --interval minutes)."""
    from metasync.entities.sync import sync_meta_connection

    _bootstrap(ctx.obj["verbose"])
    interval_seconds = loop_interval_seconds(loop, interval, iterations, get_settings().meta_sync_interval_minutes)

    def job(connection, progress):
        return sync_meta_connection(connection, sync_performance=performance, full=full,
                                    trigger="loop" if loop else "cli", progress=progress)

    if loop:
        loop_connections(lambda: _selected(tenant, connection_id),
                         lambda chosen: run_connections(chosen, job, as_json, _describe_sync),
                         interval_seconds, iterations)
        ctx.exit(EXIT_OK)
    chosen = _selected(tenant, connection_id)
    failures = run_connections(chosen, job, as_json, _describe_sync)
    ctx.exit(EXIT_FAILED if failures else EXIT_OK)


@main.command("keygen")
def keygen() -> None:
    """Print a new TOKEN_ENCRYPTION_KEY."""
    from metasync.infra.crypto import generate_key

    click.echo(generate_key())


def _print_table(headers: list[str], rows: list[list[Any]], empty: str = "nothing to show") -> None:
    if not rows:
        click.echo(empty)
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(*headers)
    for row in rows:
        table.add_row(*[str(v) for v in row])
    Console(width=max(120, Console().width)).print(table)


def _register_commands() -> None:
    from metasync.commands import register_all

    register_all(main)


_register_commands()

if __name__ == "__main__":  # pragma: no cover
    main()
