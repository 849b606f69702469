"""Graph Batch API requests: up to 50 sub-requests per POST, each answered and classified on its own.

A sub-request Meta did not answer in time comes back as `null`: it is retried alone (once), so it never drags the
others into a retry. One failing item never blocks the others. The batch draws from the rate limiter at the sum
of its items' weights (Meta scores each item on its own: a read 1, a write 3).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from metasync.graph.client import GraphClient
from metasync.graph.errors import GraphError, TransientError, UnexpectedResponseError, classify_error

log = logging.getLogger(__name__)

MAX_BATCH_ITEMS = 50
READ_COST, WRITE_COST = 1, 3


@dataclass(frozen=True)
class BatchItem:
    """One sub-request: `path` is an object id (or id/edge), `params` its query (GET) or form body (POST)."""

    method: str
    path: str
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def cost(self) -> int:
        return READ_COST if self.method.upper() == "GET" else WRITE_COST

    def encoded(self, version: str) -> dict[str, str]:
        query = urlencode({k: _text(v) for k, v in self.params.items() if v is not None})
        relative = f"{version}/{self.path.lstrip('/')}"
        if self.method.upper() == "GET":
            return {"method": "GET", "relative_url": relative + (f"?{query}" if query else "")}
        return {"method": self.method.upper(), "relative_url": relative, "body": query}


@dataclass
class BatchResult:
    """What Meta answered for one item: its decoded body, or the typed error."""

    item: BatchItem
    body: Any = None
    error: GraphError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def _text(value: Any) -> str:
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value, separators=(",", ":"))
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def run_batch(
    client: GraphClient,
    access_token: str,
    items: list[BatchItem],
    user_id: str | None = None,
    account_id: str | None = None,
) -> list[BatchResult]:
    """Every item's result, in order, in batches of at most 50.

    An error of the batch request itself (the token, a rate limit, Meta down) propagates: nothing of that batch
    is known to have run, except for writes Meta may have done before a timeout; callers that write read the
    objects back before trusting either way."""
    results: list[BatchResult] = []
    for start in range(0, len(items), MAX_BATCH_ITEMS):
        results.extend(_one_batch(client, access_token, items[start : start + MAX_BATCH_ITEMS], user_id, account_id))
    return results


def _one_batch(
    client: GraphClient, token: str, items: list[BatchItem], user_id: str | None, account_id: str | None
) -> list[BatchResult]:
    version = client.settings.meta_api_version
    payload = client.request(
        "POST",
        "",
        token,
        data={"batch": [item.encoded(version) for item in items], "include_headers": False},
        user_id=user_id,
        account_id=account_id,
        cost=sum(item.cost for item in items),
    )
    if not isinstance(payload, list) or len(payload) != len(items):
        raise UnexpectedResponseError("batch answer is not one entry per request")
    results = []
    for item, answer in zip(items, payload, strict=True):
        if answer is None:
            log.info(
                "batch item timed out; retried alone",
                extra={"event": "batch_item_retried", "method": item.method, "ad_account_id": account_id},
            )
            results.append(_alone(client, token, item, user_id, account_id))
        else:
            results.append(_decode(item, answer))
    return results


def _decode(item: BatchItem, answer: Any) -> BatchResult:
    """An item's error is classified as a whole call's would be; what it means for the account (a throttle) is
    the caller's to decide, since a write limit of one object must not pause reads of the whole account."""
    if not isinstance(answer, dict):
        return BatchResult(item, error=UnexpectedResponseError("batch entry is not an object"))
    code = answer.get("code")
    try:
        body = json.loads(answer.get("body") or "null")
    except (TypeError, ValueError):
        body = None
    status = int(code) if isinstance(code, int) else None
    if (status or 0) >= 400 or (isinstance(body, dict) and "error" in body):
        return BatchResult(item, error=classify_error(body, status))
    return BatchResult(item, body=body)


def _alone(
    client: GraphClient, token: str, item: BatchItem, user_id: str | None, account_id: str | None
) -> BatchResult:
    """The item as a batch of its own; still no answer is a transient error on that item only."""
    try:
        payload = client.request(
            "POST",
            "",
            token,
            data={"batch": [item.encoded(client.settings.meta_api_version)], "include_headers": False},
            user_id=user_id,
            account_id=account_id,
            cost=item.cost,
        )
    except GraphError as exc:
        return BatchResult(item, error=exc)
    answer = payload[0] if isinstance(payload, list) and len(payload) == 1 else None
    if answer is None:
        return BatchResult(item, error=TransientError("batch item timed out twice"))
    return _decode(item, answer)
