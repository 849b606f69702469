"""`metasync apikeys`: keys for the HTTP API and the dashboard (create prints the key once; stored hashed)."""

from __future__ import annotations

import json

import click

from metasync.cli.common import CliError, bootstrap, print_table


@click.group("apikeys")
def apikeys() -> None:
    """API keys for the HTTP API and the dashboard."""


@apikeys.command("create")
@click.option("--tenant", help="The tenant whose data the key reaches (only that tenant's).")
@click.option("--admin", is_flag=True, help="A key for every tenant instead of one.")
@click.option("--scope", type=click.Choice(["read", "write"]), default="read", show_default=True)
@click.option("--label", default="", help="What the key is for (shown in `apikeys list`).")
@click.pass_context
def create_command(ctx: click.Context, tenant: str | None, admin: bool, scope: str, label: str) -> None:
    """Create a key and print it once: it cannot be shown again."""
    from metasync.access.keys import ApiKeyError, create_key

    bootstrap(ctx.obj.get("verbose", False))
    try:
        raw, doc = create_key(tenant, scope=scope, label=label, admin=admin)
    except ApiKeyError as exc:
        raise CliError(str(exc)) from None
    who = "every tenant (admin)" if doc.is_admin else f"tenant {doc.tenant_id!r}"
    click.echo(f"API key {doc.key_id} ({scope}) for {who}. Store it now; it is not shown again:", err=True)
    click.echo(raw)


@apikeys.command("list")
@click.option("--tenant", help="Only this tenant's keys.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per key.")
@click.pass_context
def list_command(ctx: click.Context, tenant: str | None, as_json: bool) -> None:
    """The keys (never the keys themselves): id, tenant, scope, label, created, last used, revoked."""
    from metasync.access.keys import list_keys

    bootstrap(ctx.obj.get("verbose", False))
    rows = [
        {
            "key_id": k.key_id,
            "tenant": k.tenant_id or "* (admin)",
            "scope": k.scope,
            "label": k.label,
            "created": k.created_at.strftime("%Y-%m-%d %H:%M") if k.created_at else "",
            "last_used": k.last_used_at.strftime("%Y-%m-%d %H:%M") if k.last_used_at else "",
            "revoked": k.revoked_at.strftime("%Y-%m-%d %H:%M") if k.revoked_at else "",
        }
        for k in list_keys(tenant)
    ]
    if as_json:
        for row in rows:
            click.echo(json.dumps(row, sort_keys=True))
        return
    headers = ["key_id", "tenant", "scope", "label", "created", "last_used", "revoked"]
    empty = "no API keys" + (f" for tenant {tenant!r}" if tenant else "")
    print_table(headers, [[row[h] for h in headers] for row in rows], empty=empty)


@apikeys.command("revoke")
@click.argument("key_id")
@click.pass_context
def revoke_command(ctx: click.Context, key_id: str) -> None:
    """Revoke a key by its id (the first 12 characters `apikeys list` shows); it stops working at once."""
    from metasync.access.keys import ApiKeyError, revoke_key

    bootstrap(ctx.obj.get("verbose", False))
    try:
        doc = revoke_key(key_id)
    except ApiKeyError as exc:
        raise CliError(str(exc)) from None
    click.echo(f"revoked {doc.key_id}")
