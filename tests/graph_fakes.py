"""Scripted Graph API answers for `responses`: paged edges and insights with Meta's shapes, filtering, report runs,
error envelopes, and the app's oauth/debug_token endpoints."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import responses

from tests.helpers import APP_ID, APP_TOKEN, GRAPH_URL, epoch_in

GRAPH = f"{GRAPH_URL}/v25.0"


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
    base = {
        "id": meta_id,
        "account_id": "123",
        "name": f"Campaign {meta_id}",
        "status": "ACTIVE",
        "configured_status": "ACTIVE",
        "effective_status": "ACTIVE",
        "objective": "OUTCOME_SALES",
        "daily_budget": "2000",
        "created_time": "2025-11-01T10:00:00-0800",
        "updated_time": "2025-11-11T14:25:17-0800",
    }
    base.update(extra)
    return base


def ad_set(meta_id: str, campaign_id: str, **extra) -> dict[str, Any]:
    base = {
        "id": meta_id,
        "campaign_id": campaign_id,
        "name": f"Ad set {meta_id}",
        "status": "ACTIVE",
        "effective_status": "ACTIVE",
        "updated_time": "2025-11-11T14:25:17-0800",
        "targeting": {"geo_locations": {"countries": ["US"]}, "age_min": 18, "age_max": 65},
    }
    base.update(extra)
    return base


def ad(meta_id: str, ad_set_id: str, campaign_id: str, **extra) -> dict[str, Any]:
    base = {
        "id": meta_id,
        "adset_id": ad_set_id,
        "campaign_id": campaign_id,
        "name": f"Ad {meta_id}",
        "status": "ACTIVE",
        "effective_status": "ACTIVE",
        "updated_time": "2025-11-11T14:25:17-0800",
        "creative": {"id": f"9{meta_id}", "title": "Headline", "body": "Body", "call_to_action_type": "SHOP_NOW"},
    }
    base.update(extra)
    return base


ENTITY_EDGES = ("campaigns", "adsets", "ads")
LIBRARY_EDGES = ("adcreatives", "adimages", "advideos")


class FakeAccount:
    """An ad account served through `responses`: pages honour `limit`/`after`, filters honour updated_time,
    effective_status and parent ids, like the Graph API does."""

    def __init__(self, rsps: responses.RequestsMock, account: str = "act_123", currency: str = "USD"):
        self.rsps = rsps
        self.account = account
        self.currency = currency
        self.edges: dict[str, list[dict[str, Any]]] = {edge: [] for edge in ENTITY_EDGES + LIBRARY_EDGES}
        self.calls: dict[str, int] = {**{edge: 0 for edge in self.edges}, "account": 0}
        self.limits_seen: list[int] = []
        rsps.add_callback("GET", f"{GRAPH}/{account}", callback=self._account)
        for edge in self.edges:
            rsps.add_callback("GET", f"{GRAPH}/{account}/{edge}", callback=self._edge(edge))

    def _account(self, request):
        self.calls["account"] += 1
        return (
            200,
            {},
            json.dumps(
                {
                    "id": self.account,
                    "currency": self.currency,
                    "timezone_name": "America/Los_Angeles",
                    "name": "Test account",
                }
            ),
        )

    def _edge(self, edge: str):
        def callback(request):
            self.calls[edge] += 1
            query = query_of(request)
            limit = int(query.get("limit", 25))
            self.limits_seen.append(limit)
            start = int(query.get("after", "0") or 0)
            items = [item for item in self.edges[edge] if _matches(item, json.loads(query.get("filtering", "[]")))]
            if "hashes" in query:  # adimages?hashes=[...]
                items = [item for item in items if item.get("hash") in json.loads(query["hashes"])]
            page = items[start : start + limit]
            body: dict[str, Any] = {
                "data": page,
                "paging": {"cursors": {"before": str(start), "after": str(start + limit)}},
            }
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


# --- insights -------------------------------------------------------------------------------------------------
TZ = "America/Los_Angeles"  # the fake ad account's timezone
ID_KEYS = {
    "account": ("account_id",),
    "campaign": ("campaign_id",),
    "adset": ("campaign_id", "adset_id"),
    "ad": ("campaign_id", "adset_id", "ad_id"),
}
TOO_MUCH_DATA = error_body(100, "Please reduce the amount of data you're asking for", 1487534)


def insight_row(level: str, ids: tuple[str, ...], day: date | str, **metrics: Any) -> dict[str, Any]:
    """A row as Meta sends it: every metric a string, ids for the level and its parents."""
    row: dict[str, Any] = dict(zip(ID_KEYS[level], ids, strict=True))
    row[f"{level}_name"] = f"{level} {ids[-1]}"
    row.setdefault("account_id", "123")
    row.update(
        date_start=str(day),
        date_stop=str(day),
        impressions="1000",
        clicks="10",
        spend="12.34",
        reach="800",
    )
    row.update(metrics)
    return row


def rows_for(level: str, ids: tuple[str, ...], days: list[date], **metrics: Any) -> list[dict[str, Any]]:
    return [insight_row(level, ids, day, **metrics) for day in days]


def days_back(today: date, *offsets: int) -> list[date]:
    return [today - timedelta(days=n) for n in offsets]


def actions(**counts: str) -> list[dict[str, str]]:
    return [{"action_type": name.replace("__", "."), "value": value} for name, value in counts.items()]


class FakeInsights:
    """`act_<id>/insights` through `responses`: GET pages (limit/after, time_range, campaign.id filter), POST starts a
    report run whose statuses follow `report_script(query)`, report results page like the edge."""

    def __init__(
        self,
        rsps: responses.RequestsMock,
        account: str = "act_123",
        currency: str = "USD",
        timezone_name: str = TZ,
        serve_account: bool = True,
    ):
        self.account = account
        self.currency = currency
        self.timezone_name = timezone_name
        self.rows: dict[str, list[dict[str, Any]]] = {"account": [], "campaign": [], "adset": [], "ad": []}
        self.gets: list[dict[str, Any]] = []  # queries of synchronous daily GETs
        self.reports: list[dict[str, Any]] = []  # queries of POSTed report runs
        self.polls = 0
        self.too_much_data_levels: set[str] = set()  # daily GETs of these levels are refused as too much data
        self.too_much_data_after_first_page = False  # ... only their follow-up pages
        self.failing_posts = 0  # POSTs answered 503 before the next one starts a report
        self.report_script = lambda query: [("Job Completed", 100)]
        self._statuses: dict[str, list[tuple[str, int]]] = {}
        if serve_account:
            rsps.add_callback("GET", f"{GRAPH}/{account}", callback=self._account)
        rsps.add_callback("GET", f"{GRAPH}/{account}/insights", callback=self._get)
        rsps.add_callback("POST", f"{GRAPH}/{account}/insights", callback=self._post)
        rsps.add_callback("GET", re.compile(rf"{re.escape(GRAPH)}/7\d+/insights"), callback=self._report_rows)
        rsps.add_callback("GET", re.compile(rf"{re.escape(GRAPH)}/7\d+\?"), callback=self._status)

    # --- helpers for tests ---
    def add(self, level: str, rows: list[dict[str, Any]]) -> None:
        self.rows[level].extend(rows)

    @property
    def posted_ranges(self) -> list[tuple[str, str, str]]:
        return [(q["level"], q["since"], q["until"]) for q in self.reports]

    # --- the Graph API ---
    def _account(self, request):
        return (
            200,
            {},
            json.dumps(
                {
                    "id": self.account,
                    "currency": self.currency,
                    "timezone_name": self.timezone_name,
                    "name": "Test account",
                }
            ),
        )

    def _query(self, params: dict[str, str]) -> dict[str, Any]:
        time_range = json.loads(params["time_range"])
        campaigns = None
        for rule in json.loads(params.get("filtering", "[]")):
            if rule["field"] == "campaign.id":
                campaigns = [str(v) for v in rule["value"]]
        return {
            "level": params["level"],
            "since": time_range["since"],
            "until": time_range["until"],
            "campaigns": campaigns,
            "daily": params.get("time_increment") == "1",
            "fields": params["fields"],
        }

    def _matching(self, query: dict[str, Any]) -> list[dict[str, Any]]:
        def in_query(row):
            return query["since"] <= row["date_start"] <= query["until"] and (
                query["campaigns"] is None or row.get("campaign_id") in query["campaigns"]
            )

        if not query["daily"]:  # no time_increment: one row per campaign that delivered in the range
            delivered = {r["campaign_id"] for rows in self.rows.values() for r in rows if in_query(r)}
            return [{"campaign_id": cid} for cid in sorted(delivered)]
        return [r for r in self.rows[query["level"]] if in_query(r)]

    def _page(self, path: str, params: dict[str, str], rows: list[dict[str, Any]]):
        limit = int(params.get("limit", 25))
        start = int(params.get("after", "0") or 0)
        body: dict[str, Any] = {
            "data": rows[start : start + limit],
            "paging": {"cursors": {"after": str(start + limit)}},
        }
        if start + limit < len(rows):
            following = dict(params, after=str(start + limit), access_token="EAAsecret-in-next-url")
            body["paging"]["next"] = f"{GRAPH}/{path}?{urlencode(following)}"
        return 200, {}, json.dumps(body)

    def _get(self, request):
        params = query_of(request)
        query = self._query(params)
        if query["daily"]:
            self.gets.append(query)
            if query["level"] in self.too_much_data_levels and (
                "after" in params or not self.too_much_data_after_first_page
            ):
                return 400, {}, json.dumps(TOO_MUCH_DATA)
        return self._page(f"{self.account}/insights", params, self._matching(query))

    def _post(self, request):
        if self.failing_posts:
            self.failing_posts -= 1
            return 503, {}, json.dumps(error_body(2, "Service unavailable"))
        params = {k: v[0] for k, v in parse_qs(request.body).items()}
        assert "access_token" in params and "access_token" not in query_of(request)
        query = self._query(params)
        report_id = f"7{len(self.reports) + 1:06d}"
        self.reports.append({**query, "id": report_id})
        self._statuses[report_id] = list(self.report_script(query))
        return 200, {}, json.dumps({"report_run_id": report_id})

    def _status(self, request):
        self.polls += 1
        report_id = request.url.split("?")[0].rsplit("/", 1)[1]
        script = self._statuses[report_id]
        state, percent = script.pop(0) if len(script) > 1 else script[0]
        return 200, {}, json.dumps({"id": report_id, "async_status": state, "async_percent_completion": percent})

    def _report_rows(self, request):
        report_id = request.url.split("?")[0].rsplit("/", 2)[1]
        query = next(r for r in self.reports if r["id"] == report_id)
        return self._page(f"{report_id}/insights", query_of(request), self._matching(query))


# --- the app's own endpoints -----------------------------------------------------------------------------------
# What debug_token says about a good user token of our app.
GOOD_TOKEN_INFO = {
    "app_id": APP_ID,
    "type": "USER",
    "is_valid": True,
    "expires_at": epoch_in(50),
    "data_access_expires_at": epoch_in(80),
    "scopes": ["ads_read", "business_management"],
    "user_id": "42",
}


def meta_app(graph, tokens: dict[str, dict], app_answer=(200, {"access_token": APP_TOKEN, "token_type": "bearer"})):
    """oauth/access_token (client_credentials) and debug_token answering per input token."""

    def oauth(request):
        query = query_of(request)
        assert query["grant_type"] == "client_credentials" and query["client_id"] == APP_ID
        return app_answer[0], {}, json.dumps(app_answer[1])

    def debug(request):
        query = query_of(request)
        assert query["access_token"] == APP_TOKEN
        if query["input_token"] == APP_TOKEN:
            return (
                200,
                {},
                json.dumps({"data": {"app_id": APP_ID, "type": "APP", "application": "Ops Test", "is_valid": True}}),
            )
        return 200, {}, json.dumps({"data": tokens[query["input_token"]]})

    graph.add_callback("GET", f"{GRAPH}/oauth/access_token", callback=oauth)
    graph.add_callback("GET", f"{GRAPH}/debug_token", callback=debug)
