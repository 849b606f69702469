"""Access tokens: exchange long-lived tokens before they expire (also as the daily `refresh_tokens` round),
mark connections whose token is dead and name the tenants that must re-authenticate."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from metasync.graph.client import GraphClient, default_client
from metasync.graph.errors import GraphError, TokenError
from metasync.graph.oauth import exchange_long_lived_token
from metasync.infra.clock import as_utc, utcnow
from metasync.infra.logs import redact
from metasync.settings import ConfigError
from metasync.store.documents import SYNCABLE_STATUSES, MetaConnection

log = logging.getLogger(__name__)


def token_needs_refresh(connection: MetaConnection, window_days: int) -> bool:
    expires = as_utc(connection.token_expires_at)
    return expires is not None and expires - utcnow() <= timedelta(days=window_days)


def refresh_connection_token(connection: MetaConnection, client: GraphClient | None = None) -> bool:
    """Exchange this connection's token now; returns True when a new token was stored.

    An expired or rejected token marks the connection EXPIRED (raising TokenError); other failures are raised
    untouched so the caller can retry later.
    """
    client = client or default_client()
    expires = as_utc(connection.token_expires_at)
    if expires is not None and expires <= utcnow():
        reason = "access token expired; the tenant must re-authenticate"
        connection.mark("EXPIRED", reason)
        raise TokenError(reason, code=190, subcode=463)
    try:
        token, expires_in = exchange_long_lived_token(client, connection.access_token)
    except TokenError as exc:
        connection.mark("EXPIRED", f"token exchange refused: {exc.message or exc}")
        raise
    expires_at = utcnow() + timedelta(seconds=expires_in) if expires_in else None
    connection.set_access_token(token, expires_at)
    MetaConnection.objects(id=connection.id).update_one(
        set__access_token_encrypted=connection.access_token_encrypted,
        set__token_expires_at=expires_at,
        set__updated_at=utcnow(),
    )
    log.info(
        "access token exchanged",
        extra={
            "event": "token_refreshed",
            "tenant_id": connection.tenant_id,
            "ad_account_id": connection.ad_account_id,
        },
    )
    return True


def ensure_connection_access_token(connection: MetaConnection, client: GraphClient | None = None) -> str:
    """A valid token for this connection, exchanged first when it expires within the refresh window."""
    client = client or default_client()
    if token_needs_refresh(connection, client.settings.token_refresh_window_days):
        try:
            refresh_connection_token(connection, client)
        except TokenError:
            raise
        except (GraphError, ConfigError) as exc:
            # Still valid for now: keep using it and try again next time.
            log.warning(
                "token exchange failed, using the current token: %s",
                exc.__class__.__name__,
                extra={"event": "token_refresh_failed", "tenant_id": connection.tenant_id},
            )
    return connection.access_token


def refresh_expiring_tokens(client: GraphClient | None = None, window_days: int | None = None) -> dict[str, Any]:
    """Exchange every renewable token that expires within the window. A token Meta refuses (or one already
    expired) marks its connection EXPIRED and its tenant is logged as having to re-authenticate; other failures
    are left for the next run. Returns a summary."""
    client = client or default_client()
    window = timedelta(days=client.settings.token_refresh_window_days if window_days is None else window_days)
    due = MetaConnection.objects(
        status__in=SYNCABLE_STATUSES, token_expires_at__ne=None, token_expires_at__lte=utcnow() + window
    ).order_by("tenant_id", "ad_account_id")
    summary: dict[str, Any] = {"due": 0, "refreshed": 0, "expired": 0, "failed": 0}
    for connection in due:
        summary["due"] += 1
        fields = {
            "tenant_id": connection.tenant_id,
            "ad_account_id": connection.ad_account_id,
            "connection_id": str(connection.id),
        }
        try:
            refresh_connection_token(connection, client)
        except TokenError as exc:
            summary["expired"] += 1
            log.warning(
                "token of %s %s cannot be renewed; the tenant must re-authenticate",
                connection.tenant_id,
                connection.ad_account_id,
                extra={"event": "token_expired", **fields, "reason": redact(exc.message or str(exc))[:200]},
            )
        except (GraphError, ConfigError) as exc:
            summary["failed"] += 1
            log.warning(
                "token of %s %s not renewed this time: %s",
                connection.tenant_id,
                connection.ad_account_id,
                exc.__class__.__name__,
                extra={"event": "token_refresh_failed", **fields, "error": exc.__class__.__name__},
            )
        else:
            summary["refreshed"] += 1
    tenants = sorted(set(MetaConnection.objects(status="EXPIRED").distinct("tenant_id")))
    summary["reauthenticate"] = tenants
    if tenants:
        log.warning(
            "tenants that must re-authenticate: %s",
            ", ".join(tenants),
            extra={"event": "reauthentication_needed", "tenants": tenants, "count": len(tenants)},
        )
    log.info(
        "token refresh finished: %d due, %d renewed, %d expired, %d failed",
        summary["due"],
        summary["refreshed"],
        summary["expired"],
        summary["failed"],
        extra={"event": "tokens_refreshed", **{k: summary[k] for k in ("due", "refreshed", "expired", "failed")}},
    )
    return summary
