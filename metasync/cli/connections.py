"""`metasync connections add | discover | list | remove`: the ad-account connections."""

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


def _tenant_and_token(tenant: str, token: str) -> tuple[str, str]:
    tenant = tenant.strip()
    token = token.strip()
    if not tenant:
        raise CliError("--tenant must not be empty")
    if not token or any(c.isspace() for c in token):
        raise CliError("--token must be a non-empty token without spaces")
    return tenant, token


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

    tenant, token = _tenant_and_token(tenant, token)
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


@connections.command("discover")
@click.option("--tenant", required=True, help="Your tenant (customer) id.")
@click.option("--token", required=True, help="Meta user access token (stored encrypted; never shown).")
@click.option("--business", "business_id", default=None, help="Also a business's owned and client ad accounts.")
@click.option("--all", "add_all", is_flag=True, help="Add every account found as a connection.")
@click.option("--expires-at", default=None, help="Token expiry, ISO 8601.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per account found.")
@click.argument("ad_accounts", nargs=-1)
@click.pass_context
def connections_discover(
    ctx,
    tenant: str,
    token: str,
    business_id: str | None,
    add_all: bool,
    expires_at: str | None,
    as_json: bool,
    ad_accounts: tuple[str, ...],
):
    """List every ad account the token can reach (status, currency), and add the chosen ones (AD_ACCOUNTS, or
    --all) as connections sharing the token's user rate budget."""
    from metasync.connections.discovery import add_discovered, discover_ad_accounts
    from metasync.graph.errors import GraphError
    from metasync.infra.logs import redact

    tenant, token = _tenant_and_token(tenant, token)
    if add_all and ad_accounts:
        raise CliError("give either --all or ad account ids, not both")
    expiry = _parse_expiry(expires_at)
    bootstrap(ctx.obj["verbose"])
    try:
        found = discover_ad_accounts(token, business_id.strip() if business_id else None)
    except ValueError as exc:
        raise CliError(str(exc)) from None
    except GraphError as exc:
        raise CliError(f"Meta refused the discovery: {redact(str(exc))[:200]}") from None
    rows = [account.as_dict() for account in found.accounts]
    if as_json:
        for row in rows:
            click.echo(json.dumps(row, default=str))
    else:
        print_table(
            ["ad account", "name", "status", "currency", "business", "found in"],
            [
                [
                    r["ad_account_id"],
                    r["name"] or "-",
                    r["status"],
                    r["currency"] or "-",
                    r["business"] or "-",
                    r["source"],
                ]
                for r in rows
            ],
            empty="no ad accounts reachable with this token",
        )
    if not add_all and not ad_accounts:
        return
    try:
        added = add_discovered(tenant, token, found, None if add_all else list(ad_accounts), expiry)
    except (ValueError, ConfigError) as exc:
        raise CliError(str(exc)) from None
    for connection, created in added:
        click.echo(
            f"{'added' if created else 'updated'} connection {connection.id} "
            f"(tenant {connection.tenant_id}, {connection.ad_account_id}, user {connection.meta_user_id or '-'})",
            err=as_json,
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
