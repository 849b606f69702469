"""`metasync connections add | list | remove`: the ad-account connections."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import click

from metasync.cli.common import CliError, bootstrap, print_table
from metasync.settings import ConfigError


@click.group()
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
    bootstrap(ctx.obj["verbose"])
    try:
        connection, created = upsert_connection(tenant, ad_account, token, user_id, expiry)
    except (ValueError, ConfigError) as exc:  # a malformed id, or no usable TOKEN_ENCRYPTION_KEY
        raise CliError(str(exc)) from None
    click.echo(
        f"{'added' if created else 'updated'} connection {connection.id} "
        f"(tenant {connection.tenant_id}, {connection.ad_account_id})"
    )


@connections.command("list")
@click.option("--tenant", default=None)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@click.pass_context
def connections_list(ctx, tenant: str | None, as_json: bool):
    """List connections (tokens are never shown)."""
    from metasync.connections.registry import describe_connection, select_connections

    bootstrap(ctx.obj["verbose"])
    rows = [describe_connection(c) for c in select_connections(tenant=tenant, include_inactive=True)]
    if as_json:
        for row in rows:
            click.echo(json.dumps(row, default=str))
        return
    print_table(
        ["id", "tenant", "ad account", "status", "token expires", "last sync", "last error"],
        [
            [
                r["id"],
                r["tenant_id"],
                r["ad_account_id"],
                r["status"],
                r["token_expires_at"] or "-",
                r["last_synced_at"] or "never",
                (r["last_error"] or "")[:60],
            ]
            for r in rows
        ],
        empty="no connections",
    )


@connections.command("remove")
@click.argument("connection_id")
@click.option("--purge", is_flag=True, help="Also delete the connection's synced data.")
@click.pass_context
def connections_remove(ctx, connection_id: str, purge: bool):
    """Remove a connection (its synced data stays unless --purge)."""
    from metasync.connections.registry import get_connection, remove_connection

    bootstrap(ctx.obj["verbose"])
    connection = get_connection(connection_id)
    if connection is None:
        raise CliError(f"no connection with id {connection_id!r}")
    removed = remove_connection(connection, purge=purge)
    click.echo(f"removed connection {connection_id}" + (f" and {removed} documents" if purge else ""))
