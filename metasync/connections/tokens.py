"""Access tokens: exchange long-lived tokens before they expire; mark connections whose token is dead."""

from __future__ import annotations

import logging
from datetime import timedelta

from metasync.graph.client import GraphClient, default_client
from metasync.graph.errors import GraphError, TokenError
from metasync.graph.oauth import exchange_long_lived_token
from metasync.settings import ConfigError
from metasync.store.documents import MetaConnection
from metasync.infra.clock import as_utc, utcnow

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
        set__token_expires_at=expires_at, set__updated_at=utcnow())
    log.info("access token exchanged", extra={"event": "token_refreshed", "tenant_id": connection.tenant_id,
                                               "ad_account_id": connection.ad_account_id})
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
            log.warning("token exchange failed, using the current token: %s", exc.__class__.__name__,
                        extra={"event": "token_refresh_failed", "tenant_id": connection.tenant_id})
    return connection.access_token
