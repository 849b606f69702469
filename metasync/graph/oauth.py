"""Meta's one OAuth endpoint (`oauth/access_token`) with the app's credentials: app tokens and token exchange."""

from __future__ import annotations

from typing import Any

from metasync.graph.client import GraphClient
from metasync.graph.errors import GraphError
from metasync.settings import ConfigError


def request_access_token(client: GraphClient, **params: str) -> dict[str, Any]:
    """`GET oauth/access_token` with META_APP_ID / META_APP_SECRET and `params`; Meta's answer, which has a token.

    ConfigError when the app credentials are not set; GraphError when Meta answers without a token (a refusal is
    the typed error the client raises, e.g. TokenError for an expired token).
    """
    settings = client.settings
    if not settings.meta_app_id or not settings.meta_app_secret:
        raise ConfigError("META_APP_ID and META_APP_SECRET must be set")
    payload = client.request(
        "GET",
        "oauth/access_token",
        None,
        params={"client_id": settings.meta_app_id, "client_secret": settings.meta_app_secret, **params},
    )
    if not isinstance(payload, dict) or not payload.get("access_token"):
        raise GraphError("oauth/access_token answered without an access_token")
    return payload


def app_access_token(client: GraphClient) -> str:
    """An app access token (`client_credentials`): proves META_APP_ID and META_APP_SECRET are right."""
    return str(request_access_token(client, grant_type="client_credentials")["access_token"])


def exchange_long_lived_token(client: GraphClient, token: str) -> tuple[str, int | None]:
    """Trade a (short- or long-lived) user token for a fresh long-lived one: (token, expires_in seconds)."""
    payload = request_access_token(client, grant_type="fb_exchange_token", fb_exchange_token=token)
    expires_in = payload.get("expires_in")
    return str(payload["access_token"]), int(expires_in) if str(expires_in or "").isdigit() else None
