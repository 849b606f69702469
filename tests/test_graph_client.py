"""The Graph client: node and edge reads, paging, error classes and their retries, rate-limit pauses and usage
headers (Redis holds the pauses), secrets kept out of errors."""

from __future__ import annotations

import json

import pytest
import requests
import responses

from metasync.graph.client import GraphClient, appsecret_proof, fetch_graph_edges, fetch_graph_node
from metasync.graph.errors import (
    ApiVersionError,
    GraphPermissionError,
    InvalidRequestError,
    RateLimitedError,
    TokenError,
    TooMuchDataError,
    TransientError,
    UnexpectedResponseError,
)
from tests.graph_fakes import GRAPH, error_body, query_of
from tests.helpers import TOKEN

pytestmark = pytest.mark.services


@pytest.fixture
def graph(redis_client):
    with responses.RequestsMock() as rsps:
        yield rsps


def test_fetch_node_sends_token_and_appsecret_proof(graph):
    graph.add("GET", f"{GRAPH}/123", json={"id": "123", "name": "x"})

    node = fetch_graph_node(TOKEN, "123", {"fields": "id,name"})

    assert node == {"id": "123", "name": "x"}
    query = query_of(graph.calls[0].request)
    assert query["access_token"] == TOKEN
    assert query["appsecret_proof"] == appsecret_proof("test-app-secret", TOKEN)
    assert query["fields"] == "id,name"


def test_edges_follow_next_until_absent_even_after_short_and_empty_pages(graph):
    graph.add(
        "GET",
        f"{GRAPH}/act_1/ads",
        json={"data": [{"id": "1"}, {"id": "2"}], "paging": {"next": f"{GRAPH}/act_1/ads?after=A&limit=2"}},
    )
    graph.add("GET", f"{GRAPH}/act_1/ads", json={"data": [], "paging": {"next": f"{GRAPH}/act_1/ads?after=B"}})
    graph.add("GET", f"{GRAPH}/act_1/ads", json={"data": [{"id": "3"}], "paging": {"cursors": {"after": "C"}}})

    items = fetch_graph_edges(TOKEN, "act_1/ads", {"fields": "id"}, page_size=2)

    assert [i["id"] for i in items] == ["1", "2", "3"]
    assert len(graph.calls) == 3
    second = query_of(graph.calls[1].request)
    assert second["after"] == "A" and second["limit"] == "2" and second["access_token"] == TOKEN


def test_next_url_credentials_are_replaced_by_ours(graph):
    graph.add(
        "GET",
        f"{GRAPH}/act_1/ads",
        json={"data": [], "paging": {"next": f"{GRAPH}/act_1/ads?after=A&access_token=OTHER&appsecret_proof=bad"}},
    )
    graph.add("GET", f"{GRAPH}/act_1/ads", json={"data": []})

    fetch_graph_edges(TOKEN, "act_1/ads")

    second = query_of(graph.calls[1].request)
    assert second["access_token"] == TOKEN
    assert second["appsecret_proof"] == appsecret_proof("test-app-secret", TOKEN)


def test_reduce_data_error_halves_page_size_and_retries_same_page(graph):
    graph.add(
        "GET",
        f"{GRAPH}/act_1/ads",
        status=500,
        json=error_body(1, "Please reduce the amount of data you're asking for, then retry your request"),
    )
    graph.add("GET", f"{GRAPH}/act_1/ads", json={"data": [{"id": "1"}]})

    items = fetch_graph_edges(TOKEN, "act_1/ads", page_size=100)

    assert items == [{"id": "1"}]
    assert [query_of(c.request)["limit"] for c in graph.calls] == ["100", "50"]


@pytest.mark.parametrize(
    "status,body,exc_type",
    [
        (500, error_body(2, "Service temporarily unavailable"), TransientError),
        (400, error_body(1, "An unknown error", is_transient=True), TransientError),
        (503, "<html>upstream</html>", TransientError),
        (200, "not json at all", UnexpectedResponseError),
    ],
)
def test_transient_failures_retry_three_times_then_raise(graph, status, body, exc_type):
    for _ in range(4):
        if isinstance(body, dict):
            graph.add("GET", f"{GRAPH}/123", json=body, status=status)
        else:
            graph.add("GET", f"{GRAPH}/123", body=body, status=status)

    with pytest.raises(exc_type):
        fetch_graph_node(TOKEN, "123")

    assert len(graph.calls) == 4  # one try + 3 retries


def test_transient_failure_then_success_returns_data(graph):
    graph.add("GET", f"{GRAPH}/123", json=error_body(2, "unavailable"), status=500)
    graph.add("GET", f"{GRAPH}/123", status=500, body="")
    graph.add("GET", f"{GRAPH}/123", json={"id": "123"})

    assert fetch_graph_node(TOKEN, "123") == {"id": "123"}
    assert len(graph.calls) == 3


def test_connection_errors_and_timeouts_retry_and_hide_the_url(graph):
    for exc in (
        requests.ConnectionError(f"boom {GRAPH}/123?access_token={TOKEN}"),
        requests.ReadTimeout("slow"),
        requests.ConnectionError("boom"),
        requests.ConnectTimeout("slow"),
    ):
        graph.add("GET", f"{GRAPH}/123", body=exc)

    with pytest.raises(TransientError) as info:
        fetch_graph_node(TOKEN, "123")

    assert len(graph.calls) == 4
    assert TOKEN not in str(info.value) and TOKEN not in repr(info.value.args)


@pytest.mark.parametrize(
    "status,body,exc_type",
    [
        (400, error_body(190, "Error validating access token", 463), TokenError),
        (400, error_body(102, "Session key invalid"), TokenError),
        (403, error_body(10, "Permission denied"), GraphPermissionError),
        (403, error_body(272, "User not authorized"), GraphPermissionError),
        (400, error_body(100, "Invalid parameter"), InvalidRequestError),
        (400, error_body(100, "Too much data", 1487534), TooMuchDataError),
        (400, error_body(2635, "You are calling a deprecated version"), ApiVersionError),
    ],
)
def test_non_retryable_errors_are_typed_and_not_retried(graph, status, body, exc_type):
    graph.add("GET", f"{GRAPH}/123", json=body, status=status)

    with pytest.raises(exc_type) as info:
        fetch_graph_node(TOKEN, "123")

    assert len(graph.calls) == 1
    assert info.value.code == body["error"]["code"]


@pytest.mark.parametrize("code", [4, 17, 32, 613, 80000, 80004, 80014])
def test_rate_limit_errors_are_not_retried_in_call_and_pause_the_account(graph, code):
    graph.add(
        "GET",
        f"{GRAPH}/act_9/ads",
        json=error_body(code, "User request limit reached"),
        status=400,
        headers={
            "X-Business-Use-Case-Usage": json.dumps(
                {"9": [{"type": "ads_management", "call_count": 100, "estimated_time_to_regain_access": 12}]}
            )
        },
    )
    client = GraphClient()

    with pytest.raises(RateLimitedError) as info:
        client.fetch_edges(TOKEN, "act_9/ads", account_id="act_9")

    assert len(graph.calls) == 1
    assert info.value.retry_after == pytest.approx(12 * 60)
    assert client.limiter.paused_for("act_9") > 11 * 60


def test_paused_account_is_not_called(graph):
    client = GraphClient()
    client.limiter.pause_account("act_9", 120, "test")

    with pytest.raises(RateLimitedError) as info:
        client.fetch_node(TOKEN, "act_9", account_id="act_9")

    assert len(graph.calls) == 0
    assert 100 < info.value.retry_after <= 120


@pytest.mark.parametrize(
    "header,value",
    [
        ("X-App-Usage", {"call_count": 90, "total_time": 10, "total_cputime": 5}),
        ("X-Ad-Account-Usage", {"acc_id_util_pct": 86.5, "reset_time_duration": 300}),
        (
            "X-Business-Use-Case-Usage",
            {
                "9": [
                    {
                        "type": "ads_insights",
                        "call_count": 20,
                        "total_time": 88,
                        "total_cputime": 3,
                        "estimated_time_to_regain_access": 0,
                    }
                ]
            },
        ),
    ],
)
def test_usage_header_over_threshold_pauses_account(graph, header, value):
    graph.add("GET", f"{GRAPH}/act_9", json={"id": "act_9"}, headers={header: json.dumps(value)})
    client = GraphClient()

    client.fetch_node(TOKEN, "act_9", account_id="act_9")

    assert client.limiter.paused_for("act_9") >= 119


def test_usage_below_threshold_does_not_pause(graph):
    graph.add(
        "GET",
        f"{GRAPH}/act_9",
        json={"id": "act_9"},
        headers={"X-App-Usage": json.dumps({"call_count": 40}), "X-Ad-Account-Usage": "not json"},
    )
    client = GraphClient()

    client.fetch_node(TOKEN, "act_9", account_id="act_9")

    assert client.limiter.paused_for("act_9") == 0


def test_usage_at_95_percent_pauses_ten_minutes(graph):
    graph.add("GET", f"{GRAPH}/act_9", json={"id": "act_9"}, headers={"X-App-Usage": json.dumps({"call_count": 97})})
    client = GraphClient()

    client.fetch_node(TOKEN, "act_9", account_id="act_9")

    assert client.limiter.paused_for("act_9") > 590


def test_scoped_clients_count_their_own_calls(graph):
    graph.add("GET", f"{GRAPH}/1", json={"id": "1"})
    parent = GraphClient()
    child = parent.scoped()

    child.fetch_node(TOKEN, "1")
    child.fetch_node(TOKEN, "1")
    parent.fetch_node(TOKEN, "1")

    assert (child.calls, parent.calls) == (2, 1)


def test_unexpected_shapes_are_typed_errors(graph):
    graph.add("GET", f"{GRAPH}/act_1/ads", json={"data": "oops"})
    graph.add("GET", f"{GRAPH}/1", json=[1, 2])

    with pytest.raises(UnexpectedResponseError):
        fetch_graph_edges(TOKEN, "act_1/ads")
    with pytest.raises(UnexpectedResponseError):
        fetch_graph_node(TOKEN, "1")


# --- what /metrics counts -----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "path,edge",
    [
        ("act_123/campaigns", "campaigns"),
        ("v21.0/act_123/insights", "insights"),
        ("https://graph.test/v21.0/act_123/ads?after=abc&access_token=EAAsecret", "ads"),
        ("1234567890/insights", "insights"),
        ("act_123", "node"),
        ("1234567890", "node"),
        ("me", "node"),
        ("me/adaccounts", "adaccounts"),
        ("", "batch"),
        ("oauth/access_token", "oauth"),
        ("debug_token", "debug_token"),
        ("EAAsecretToken", "node"),
    ],
)
def test_edge_label_names_the_edge_never_an_id_or_token(path, edge):
    from metasync.graph.client import edge_of

    assert edge_of(path) == edge


def test_every_call_is_counted_in_redis_by_edge_and_outcome_retries_included(graph):
    from metasync.infra.counters import totals

    graph.add("GET", f"{GRAPH}/act_9/campaigns", json=error_body(2, "unavailable"), status=500)
    graph.add("GET", f"{GRAPH}/act_9/campaigns", json={"data": []})
    graph.add("GET", f"{GRAPH}/act_9", json=error_body(190, "Error validating access token"), status=400)
    client = GraphClient()
    client.retry_base_seconds = 0

    client.fetch_edges(TOKEN, "act_9/campaigns")
    with pytest.raises(TokenError):
        client.fetch_node(TOKEN, "act_9")

    assert totals("graph_calls") == {
        "edge=campaigns,outcome=transient": 1.0,
        "edge=campaigns,outcome=ok": 1.0,
        "edge=node,outcome=token": 1.0,
    }


def test_account_pauses_are_counted_by_cause(graph):
    from metasync.infra.counters import totals

    graph.add("GET", f"{GRAPH}/act_9", json={"id": "act_9"}, headers={"X-Ad-Account-Usage": '{"acc_id_util_pct": 90}'})
    graph.add("GET", f"{GRAPH}/act_8", json=error_body(17, "User request limit reached"), status=400)
    client = GraphClient()

    client.fetch_node(TOKEN, "act_9", account_id="act_9")
    with pytest.raises(RateLimitedError):
        client.fetch_node(TOKEN, "act_8", account_id="act_8")
    client.limiter.pause_account("act_8", 1, "shorter: no new pause")

    assert totals("account_pauses") == {"cause=usage": 1.0, "cause=throttled": 1.0}
