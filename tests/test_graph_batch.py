"""Graph Batch API requests: at most 50 items a request, per-item results and errors, timed-out items retried
alone, and the rate limiter charged as Meta scores the items."""

from __future__ import annotations

import json
from urllib.parse import parse_qs

import pytest
import responses

from metasync.graph.batch import BatchItem, run_batch
from metasync.graph.client import GraphClient
from metasync.graph.errors import InvalidRequestError, RateLimitedError, TransientError
from metasync.graph.ratelimit import RateLimiter
from tests.graph_fakes import GRAPH, error_body
from tests.helpers import TOKEN

pytestmark = pytest.mark.services


def sent_items(call) -> list[dict]:
    return json.loads(parse_qs(call.request.body)["batch"][0])


def answer(body, code=200):
    return {"code": code, "headers": [], "body": json.dumps(body)}


@pytest.fixture
def graph(redis_client):
    with responses.RequestsMock() as rsps:
        yield rsps


def test_items_are_sent_as_one_batch_and_each_answer_is_its_own(graph):
    graph.add(
        "POST",
        f"{GRAPH}/",
        json=[answer({"success": True}), answer(error_body(100, "Invalid parameter", 1885272), 400)],
    )
    items = [BatchItem("POST", "1", {"status": "PAUSED", "daily_budget": 5000}), BatchItem("POST", "2", {"name": "x"})]
    ok, refused = run_batch(GraphClient(), TOKEN, items)
    assert ok.ok and ok.body == {"success": True}
    assert isinstance(refused.error, InvalidRequestError) and refused.error.subcode == 1885272
    [call] = graph.calls
    assert sent_items(call) == [
        {"method": "POST", "relative_url": "v25.0/1", "body": "status=PAUSED&daily_budget=5000"},
        {"method": "POST", "relative_url": "v25.0/2", "body": "name=x"},
    ]
    assert TOKEN not in json.dumps(sent_items(call))  # the token travels once, in the outer request's body


def test_a_timed_out_item_is_retried_alone_and_the_others_are_not_sent_again(graph):
    graph.add("POST", f"{GRAPH}/", json=[answer({"id": "1"}), None, answer({"id": "3"})])
    graph.add("POST", f"{GRAPH}/", json=[answer({"id": "2"})])
    items = [BatchItem("GET", oid, {"fields": "id"}) for oid in ("1", "2", "3")]
    results = run_batch(GraphClient(), TOKEN, items)
    assert [r.body for r in results] == [{"id": "1"}, {"id": "2"}, {"id": "3"}]
    assert [i["relative_url"] for i in sent_items(graph.calls[1])] == ["v25.0/2?fields=id"]


def test_an_item_that_times_out_twice_fails_alone(graph):
    graph.add("POST", f"{GRAPH}/", json=[None, answer({"id": "2"})])
    graph.add("POST", f"{GRAPH}/", json=[None])
    first, second = run_batch(GraphClient(), TOKEN, [BatchItem("GET", "1"), BatchItem("GET", "2")])
    assert isinstance(first.error, TransientError) and second.body == {"id": "2"}


def test_more_than_50_items_take_one_request_per_50(graph):
    graph.add("POST", f"{GRAPH}/", json=[answer({"success": True})] * 50)
    graph.add("POST", f"{GRAPH}/", json=[answer({"success": True})] * 20)
    results = run_batch(GraphClient(), TOKEN, [BatchItem("POST", str(n), {"name": "x"}) for n in range(70)])
    assert len(results) == 70 and all(r.ok for r in results)
    assert [len(sent_items(c)) for c in graph.calls] == [50, 20]


def test_writes_cost_three_reads_one_from_the_shared_limiter(graph, redis_client):
    graph.add("POST", f"{GRAPH}/", json=[answer({"success": True})] * 3)
    limiter = RateLimiter(per_hour=100, max_wait_seconds=0)
    client = GraphClient(limiter=limiter)
    run_batch(client, TOKEN, [BatchItem("POST", "1", {"name": "a"}), BatchItem("POST", "2"), BatchItem("GET", "3")])
    [bucket] = redis_client.keys("metasync:bucket:*")
    assert round(limiter.state(bucket.decode().split("bucket:", 1)[1]).tokens) == 100 - 7


def test_a_batch_the_limiter_cannot_afford_is_not_sent(graph, redis_client):
    graph.add("POST", f"{GRAPH}/", json=[answer({"success": True})] * 2)
    client = GraphClient(limiter=RateLimiter(per_hour=10, max_wait_seconds=0))
    writes = [BatchItem("POST", "1", {"name": "a"}), BatchItem("POST", "2", {"name": "b"})]
    run_batch(client, TOKEN, writes)  # 6 of 10 points
    with pytest.raises(RateLimitedError):
        run_batch(client, TOKEN, writes)  # 6 more than the 4 left
    assert len(graph.calls) == 1
