"""Managing connections: register, look up, select for syncing, describe without secrets, remove."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bson import ObjectId
from bson.errors import InvalidId

from metasync.graph.ids import normalize_ad_account_id
from metasync.infra.clock import utcnow
from metasync.store.accounts import AdAccount
from metasync.store.changes import Change, ChangeSet
from metasync.store.documents import (
    SYNCABLE_STATUSES,
    AccountRoute,
    Ad,
    AdSet,
    Campaign,
    MetaConnection,
    PerformanceSnapshot,
    SyncRun,
)
from metasync.store.library import LIBRARY_DOCUMENTS
from metasync.store.reports import BreakdownRow


def get_connection(connection_id: str) -> MetaConnection | None:
    try:
        oid = ObjectId(str(connection_id))
    except (InvalidId, TypeError):
        return None
    return MetaConnection.objects(id=oid).first()


def upsert_connection(
    tenant_id: str, ad_account_id: str, token: str, user_id: str | None = None, expires_at: datetime | None = None
) -> tuple[MetaConnection, bool]:
    """Create the connection, or give an existing one (same tenant and account) its new token and reactivate it."""
    account = normalize_ad_account_id(ad_account_id)
    connection = MetaConnection.objects(tenant_id=tenant_id, ad_account_id=account).first()
    created = connection is None
    if created:
        connection = MetaConnection(tenant_id=tenant_id, ad_account_id=account)
    connection.set_access_token(token, expires_at)
    if user_id:
        connection.meta_user_id = str(user_id)
    connection.status = "ACTIVE"
    connection.last_error = None
    connection.updated_at = utcnow()
    connection.save()
    return connection, created


def select_connections(tenant: str | None = None, include_inactive: bool = False) -> list[MetaConnection]:
    query: dict[str, Any] = {}
    if tenant:
        query["tenant_id"] = tenant
    if not include_inactive:
        query["status__in"] = list(SYNCABLE_STATUSES)
    return list(MetaConnection.objects(**query).order_by("tenant_id", "ad_account_id"))


def describe_connection(connection: MetaConnection) -> dict[str, Any]:
    """Everything worth showing about a connection; no token, not even encrypted."""
    return {
        "id": str(connection.id),
        "tenant_id": connection.tenant_id,
        "ad_account_id": connection.ad_account_id,
        "meta_user_id": connection.meta_user_id,
        "status": connection.status,
        "currency": connection.currency,
        "timezone_name": connection.timezone_name,
        "token_expires_at": connection.token_expires_at.isoformat() if connection.token_expires_at else None,
        "last_synced_at": connection.last_synced_at.isoformat() if connection.last_synced_at else None,
        "last_error": connection.last_error,
    }


def remove_connection(connection: MetaConnection, purge: bool = False) -> int:
    """Delete the connection; with `purge`, also every document synced through it. Returns documents purged."""
    removed = 0
    if purge:
        purged = (Campaign, AdSet, Ad, PerformanceSnapshot, BreakdownRow, SyncRun, AdAccount, *LIBRARY_DOCUMENTS)
        for document in (*purged, Change, ChangeSet):
            removed += document.objects(connection=connection.id).delete()
    connection.delete()
    return removed


def routable_connection_ids(ad_account_id: str) -> list[str]:
    """Every connection (one per tenant) that syncs this ad account, in tenant order: by `_id`, from its route."""
    route = AccountRoute.objects(id=ad_account_id).first()
    ids = route.connections if route is not None else AccountRoute.rebuild(ad_account_id)
    if not ids:
        return []
    found = MetaConnection.objects(id__in=ids).only("id", "tenant_id", "status")
    return [str(c.id) for c in sorted(found, key=lambda c: c.tenant_id) if c.may_sync]
