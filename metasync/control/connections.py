"""Connections as the HTTP API shows and changes them: listed per key, added and re-authenticated through the
registry (token encrypted, never shown), discovered through `connections.discovery`, disabled."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from metasync.access.keys import Principal
from metasync.connections.discovery import add_discovered, discover_ad_accounts
from metasync.connections.registry import describe_connection, get_connection, upsert_connection
from metasync.control.scope import NotFound, Refused, own, tenant_for_write, tenant_query
from metasync.infra.clock import utcnow
from metasync.store.documents import MetaConnection


def list_connections(principal: Principal, tenant: str | None = None, status: str | None = None) -> list[dict]:
    query = tenant_query(principal, tenant)
    if query is None:
        return []
    if status:
        query["status"] = status
    found = MetaConnection.objects(**query).order_by("tenant_id", "ad_account_id")
    return [describe_connection(c) for c in found]


def connection_for(principal: Principal, connection_id: str) -> MetaConnection:
    """The connection, if this key sees it; NotFound otherwise (whether absent or another tenant's)."""
    connection = get_connection(connection_id)
    if connection is None:
        raise NotFound(f"no connection {connection_id[:40]!r}")
    own(principal, connection.tenant_id, f"connection {connection_id[:40]!r}")
    return connection


def _token(token: str) -> str:
    token = (token or "").strip()
    if not token or any(c.isspace() for c in token):
        raise Refused("token must be a non-empty token without spaces")
    return token


def add_connection(
    principal: Principal,
    tenant_id: str | None,
    ad_account_id: str,
    token: str,
    user_id: str | None = None,
    expires_at: datetime | None = None,
) -> tuple[dict, bool]:
    """Register a connection of the key's tenant (or an existing one gets the new token); (described, created)."""
    tenant = tenant_for_write(principal, tenant_id)
    connection, created = upsert_connection(tenant, ad_account_id, _token(token), user_id, expires_at)
    return describe_connection(connection), created


def reauthenticate(
    connection: MetaConnection, token: str, user_id: str | None = None, expires_at: datetime | None = None
) -> dict:
    """Replace the connection's token (and reactivate it), through the same path as adding it."""
    updated, _ = upsert_connection(
        connection.tenant_id, connection.ad_account_id, _token(token), user_id or connection.meta_user_id, expires_at
    )
    return describe_connection(updated)


def disable(connection: MetaConnection) -> dict:
    """Stop syncing the connection (nothing is deleted); re-authenticating turns it on again."""
    connection.status = "DISABLED"
    connection.updated_at = utcnow()
    connection.save()
    return describe_connection(connection)


def discover(
    principal: Principal,
    tenant_id: str | None,
    token: str,
    business_id: str | None = None,
    add: list[str] | None = None,
    add_all: bool = False,
    expires_at: datetime | None = None,
) -> dict[str, Any]:
    """Every ad account the token reaches; with `add` (ids) or `add_all`, those become connections of the tenant."""
    tenant = tenant_for_write(principal, tenant_id)
    if add_all and add:
        raise Refused("give either add_all or add (ad account ids), not both")
    found = discover_ad_accounts(_token(token), business_id.strip() if business_id else None)
    added = []
    if add_all or add:
        added = [
            {**describe_connection(connection), "created": created}
            for connection, created in add_discovered(
                tenant, token.strip(), found, None if add_all else add, expires_at
            )
        ]
    return {
        "tenant_id": tenant,
        "meta_user_id": found.user_id,
        "accounts": [account.as_dict() for account in found.accounts],
        "added": added,
    }
