"""`metasync check`: the Meta app and every connection's token, verified with Meta (read-only)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone
from typing import Any

from metasync.graph.client import GraphClient, default_client
from metasync.graph.errors import GraphError, TransientError
from metasync.graph.oauth import app_access_token
from metasync.infra.clock import utcnow
from metasync.infra.logs import redact
from metasync.ops.doctor import FAIL, PASS, WARN, Check
from metasync.settings import ConfigError
from metasync.store.documents import MetaConnection

log = logging.getLogger(__name__)

# A token needs one of these to read campaigns, ad sets, ads and insights.
READ_SCOPES = ("ads_read", "ads_management")


def debug_token(client: GraphClient, app_token: str, input_token: str) -> dict[str, Any]:
    """What Meta knows about `input_token`: validity, app, scopes, expiry (`data` of /debug_token)."""
    payload = client.request("GET", "debug_token", None, params={"input_token": input_token, "access_token": app_token})
    data = payload.get("data") if isinstance(payload, dict) else None
    if not isinstance(data, dict):
        raise GraphError("debug_token answered without data")
    return data


def _when(epoch: Any) -> datetime | None:
    try:
        value = int(epoch)
    except (TypeError, ValueError):
        return None
    return datetime.fromtimestamp(value, timezone.utc) if value > 0 else None


def _graph_failure(exc: Exception, what: str) -> str:
    # Meta refuses a bad client secret with code 1 and HTTP 400: "transient" by code, but an answer all the same.
    if isinstance(exc, TransientError) and (exc.http_status is None or exc.http_status >= 500):
        return f"Graph API not reachable or failing: {redact(str(exc))}"
    return f"{what}: {redact(str(exc))}"


def check_app(client: GraphClient) -> tuple[Check, str | None]:
    """The app line and, when it passed, an app token for the token checks."""
    app_id = client.settings.meta_app_id
    try:
        token = app_access_token(client)
    except GraphError as exc:
        return Check("app", FAIL, _graph_failure(exc, f"app {app_id} credentials refused")), None
    try:
        data = debug_token(client, token, token)
    except GraphError as exc:
        return Check("app", FAIL, _graph_failure(exc, f"app {app_id}: debug_token failed")), None
    if not data.get("is_valid") or str(data.get("app_id")) != str(app_id):
        return Check(
            "app",
            FAIL,
            f"app {app_id} is not active (debug_token: is_valid={data.get('is_valid')}, app_id={data.get('app_id')})",
        ), None
    name = data.get("application")
    return Check(
        "app",
        PASS,
        f"app {app_id}{f' ({name})' if name else ''} reachable and active at {client.settings.graph_base()}",
    ), token


def check_connection_token(
    client: GraphClient, app_token: str, connection: MetaConnection, now: datetime | None = None
) -> Check:
    """Validity, app, scopes and expiry of one connection's token. Read-only: nothing is marked."""
    now = now or utcnow()
    name = f"token {connection.tenant_id} {connection.ad_account_id}"
    try:
        data = debug_token(client, app_token, connection.access_token)
    except ConfigError as exc:
        return Check(name, FAIL, f"stored token unreadable: {exc}")
    except GraphError as exc:
        return Check(name, FAIL, _graph_failure(exc, "debug_token failed"))
    expires = _when(data.get("expires_at"))
    data_access = _when(data.get("data_access_expires_at"))
    scopes = sorted(str(s) for s in data.get("scopes") or [])
    facts = {
        "connection_id": str(connection.id),
        "status": connection.status,
        "is_valid": bool(data.get("is_valid")),
        "scopes": scopes,
        "expires_at": expires.isoformat() if expires else None,
        "data_access_expires_at": data_access.isoformat() if data_access else None,
    }
    if not data.get("is_valid"):
        reason = (data.get("error") or {}).get("message") or "Meta says the token is not valid"
        return Check(name, FAIL, f"invalid: {redact(str(reason))}; the tenant must re-authenticate", facts)
    if str(data.get("app_id")) != str(client.settings.meta_app_id):
        return Check(name, FAIL, f"issued for app {data.get('app_id')}, not META_APP_ID", facts)
    if not any(scope in scopes for scope in READ_SCOPES):
        return Check(name, FAIL, f"lacks {' or '.join(READ_SCOPES)} (scopes: {', '.join(scopes) or 'none'})", facts)
    if expires is not None and expires <= now:
        return Check(name, FAIL, f"expired on {expires:%Y-%m-%d %H:%M} UTC; the tenant must re-authenticate", facts)
    if data_access is not None and data_access <= now:
        return Check(
            name, FAIL, f"data access expired on {data_access:%Y-%m-%d}; the tenant must re-authenticate", facts
        )
    lifetime = f"expires {expires:%Y-%m-%d}" if expires else "never expires"
    detail = f"valid, {lifetime}, scopes {', '.join(s for s in scopes if s in READ_SCOPES)}"
    window = timedelta(days=client.settings.token_refresh_window_days)
    if connection.status == "EXPIRED":
        return Check(name, WARN, f"{detail}; but the connection is marked EXPIRED (re-add it to resume syncing)", facts)
    if expires is not None and expires - now <= window:
        return Check(name, WARN, f"{detail}; within the refresh window, refresh_tokens will exchange it", facts)
    return Check(name, PASS, detail, facts)


def check_credentials(connections: list[MetaConnection], client: GraphClient | None = None) -> list[Check]:
    """The app line, then one line per connection (skipped when the app itself failed)."""
    client = client or default_client()
    app_check, app_token = check_app(client)
    checks = [app_check]
    if app_token is None:
        return checks
    now = utcnow()
    for connection in connections:
        checks.append(check_connection_token(client, app_token, connection, now))
    return checks
