"""Scripted Graph API answers for `responses`: paged edges with Meta's shapes, filtering and error envelopes."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import responses

GRAPH = "https://graph.test/v25.0"


def error_body(code: int, message: str = "error", subcode: int | None = None, is_transient: bool | None = None):
    error: dict[str, Any] = {"message": message, "type": "OAuthException", "code": code, "fbtrace_id": "AbC"}
    if subcode is not None:
        error["error_subcode"] = subcode
    if is_transient is not None:
        error["is_transient"] = is_transient
    return {"error": error}


def query_of(request) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(request.url).query, keep_blank_values=True).items()}


def campaign(meta_id: str, **extra) -> dict[str, Any]:
    base = {"id": meta_id, "account_id": "123", "name": f"Campaign {meta_id}", "status": "ACTIVE",
            "configured_status": "ACTIVE", "effective_status": "ACTIVE", "objective": "OUTCOME_SALES",
            "daily_budget": "2000", "created_time": "2025-11-01T10:00:00-0800",
            "updated_time": "2025-11-11T14:25:17-0800"}
    base.update(extra)
    return base


def ad_set(meta_id: str, campaign_id: str, **extra) -> dict[str, Any]:
    base = {"id": meta_id, "campaign_id": campaign_id, "name": f"Ad set {meta_id}", "status": "ACTIVE",
            "effective_status": "ACTIVE", "updated_time": "2025-11-11T14:25:17-0800",
            "targeting": {"geo_locations": {"countries": ["US"]}, "age_min": 18, "age_max": 65}}
    base.update(extra)
    return base


def ad(meta_id: str, ad_set_id: str, campaign_id: str, **extra) -> dict[str, Any]:
    base = {"id": meta_id, "adset_id": ad_set_id, "campaign_id": campaign_id, "name": f"Ad {meta_id}",
            "status": "ACTIVE", "effective_status": "ACTIVE", "updated_time": "2025-11-11T14:25:17-0800",
            "creative": {"id": f"9{meta_id}", "title": "Headline", "body": "Body", "call_to_action_type": "SHOP_NOW"}}
    base.update(extra)
    return base


class FakeAccount:
    """An ad account served through `responses`: pages honour `limit`/`after`, filters honour updated_time,
    effective_status and parent ids, like the Graph API does."""

    def __init__(self, rsps: responses.RequestsMock, account: str = "act_123", currency: str = "USD"):
        self.rsps = rsps
        self.account = account
        self.currency = currency
        self.edges: dict[str, list[dict[str, Any]]] = {"campaigns": [], "adsets": [], "ads": []}
        self.calls: dict[str, int] = {"campaigns": 0, "adsets": 0, "ads": 0, "account": 0}
        self.limits_seen: list[int] = []
        rsps.add_callback("GET", f"{GRAPH}/{account}", callback=self._account)
        for edge in self.edges:
            rsps.add_callback("GET", f"{GRAPH}/{account}/{edge}", callback=self._edge(edge))

    def _account(self, request):
        self.calls["account"] += 1
        return 200, {}, json.dumps({"id": self.account, "currency": self.currency,
                                    "timezone_name": "America/Los_Angeles", "name": "Test account"})

    def _edge(self, edge: str):
        def callback(request):
            self.calls[edge] += 1
            query = query_of(request)
            limit = int(query.get("limit", 25))
            self.limits_seen.append(limit)
            start = int(query.get("after", "0") or 0)
            items = [item for item in self.edges[edge] if _matches(item, json.loads(query.get("filtering", "[]")))]
            page = items[start:start + limit]
            body: dict[str, Any] = {"data": page, "paging": {"cursors": {"before": str(start),
                                                                          "after": str(start + limit)}}}
            if start + limit < len(items):
                nxt = dict(query, after=str(start + limit), access_token="EAAsecret-in-next-url")
                body["paging"]["next"] = f"{GRAPH}/{self.account}/{edge}?{urlencode(nxt)}"
            return 200, {}, json.dumps(body)

        return callback


_STATUS_DEFAULT_HIDDEN = {"ARCHIVED", "DELETED"}


def _matches(item: dict[str, Any], filtering: list[dict[str, Any]]) -> bool:
    from metasync.entities.mapping import parse_meta_time

    asked_status = False
    for rule in filtering:
        name = rule["field"].split(".")[-1]
        parent = rule["field"].split(".")[0] if "." in rule["field"] else ""
        if name == "effective_status":
            asked_status = True
            if item.get("effective_status") not in rule["value"]:
                return False
        elif name == "updated_time":
            updated = parse_meta_time(item.get("updated_time"))
            if updated is None or updated.timestamp() <= rule["value"]:
                return False
        elif name == "id":
            key = {"campaign": "campaign_id", "adset": "adset_id"}.get(parent, "id")
            if str(item.get(key)) not in [str(v) for v in rule["value"]]:
                return False
    if not asked_status and item.get("effective_status") in _STATUS_DEFAULT_HIDDEN:
        return False
    return True
