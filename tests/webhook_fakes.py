"""Meta webhook deliveries as Meta sends and signs them, and what the broker queue and Redis hold afterwards."""

from __future__ import annotations

import json
import socket
from typing import Any

import redis

from metasync.webhook_events import ROUTE_TASK
from metasync.webhook_events.dedupe import KEY_PREFIX
from tests.helpers import APP_SECRET, queued_tasks
from webhooks.signature import LEGACY_SIGNATURE_HEADER, SIGNATURE_HEADER, compute_signature

ROUTE = ROUTE_TASK


def change(
    object_id: str = "1", level: str = "CAMPAIGN", field: str = "in_process_ad_objects", **value: Any
) -> dict[str, Any]:
    return {"field": field, "value": {"id": object_id, "level": level, "status_name": "In process", **value}}


def entry(account: str = "123", *changes: dict[str, Any]) -> dict[str, Any]:
    return {"id": account, "time": 1_760_000_000, "changes": list(changes) or [change()]}


def envelope(*entries: dict[str, Any], obj: str = "ad_account") -> dict[str, Any]:
    return {"object": obj, "entry": list(entries) or [entry()]}


def signed_request(
    body: Any = None,
    *,
    secret: str = APP_SECRET,
    algorithm: str = "sha256",
    signature: str | None = None,
    header: str | None = None,
) -> dict[str, Any]:
    """Keyword arguments for `client.post`: `body` (a dict as JSON, or raw bytes) signed the way Meta signs it.

    Override one part per bad request: `secret` (signed with another key), `signature` (the exact header value),
    `header` (the header name; default: the one for `algorithm`; "" sends no signature header at all).
    """
    raw = body if isinstance(body, bytes) else json.dumps(envelope() if body is None else body).encode()
    if header is None:
        header = SIGNATURE_HEADER if algorithm == "sha256" else LEGACY_SIGNATURE_HEADER
    headers = {"Content-Type": "application/json"}
    if header:
        headers[header] = signature if signature is not None else compute_signature(raw, secret, algorithm)
    return {"data": raw, "headers": headers}


def dead_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def pending_keys(client: redis.Redis) -> list[bytes]:
    return client.keys(f"{KEY_PREFIX}*")


def assert_rejected(response, status: int, reason: str, redis_client) -> None:
    """The answer and its reason, and nothing enqueued or left pending."""
    assert response.status_code == status
    assert response.get_json()["reason"] == reason
    assert queued_tasks(redis_client) == []
    assert pending_keys(redis_client) == []
