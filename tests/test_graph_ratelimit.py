"""The Redis token bucket per Meta user: callers wait for a short refill, are refused a long one, are warned near
the budget, and never share a bucket."""

from __future__ import annotations

import logging

import pytest

from metasync.graph.client import GraphClient
from metasync.graph.errors import RateLimitedError
from metasync.graph.ratelimit import RateLimiter
from tests.graph_fakes import GRAPH
from tests.helpers import TOKEN

pytestmark = pytest.mark.services


def test_local_token_bucket_makes_callers_wait_then_refuses(graph, redis_client):
    graph.add("GET", f"{GRAPH}/1", json={"id": "1"})
    slept: list[float] = []
    # 2 calls per hour: the third call would wait 30 minutes, far beyond the allowed wait.
    limiter = RateLimiter(per_hour=2, max_wait_seconds=5, sleep=slept.append)
    client = GraphClient(limiter=limiter)

    client.fetch_node(TOKEN, "1", user_id="u1")
    client.fetch_node(TOKEN, "1", user_id="u1")
    with pytest.raises(RateLimitedError) as info:
        client.fetch_node(TOKEN, "1", user_id="u1")

    assert len(graph.calls) == 2
    assert info.value.retry_after > 1000


def test_local_token_bucket_waits_when_the_wait_is_short(graph, redis_client):
    graph.add("GET", f"{GRAPH}/1", json={"id": "1"})
    bucket = "metasync:bucket:user:u1"
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        # The bucket refills by Redis's own clock: let the time pass there by dating the last refill back.
        slept.append(seconds)
        redis_client.hincrbyfloat(bucket, "ts", -seconds)

    limiter = RateLimiter(per_hour=36000, max_wait_seconds=5, sleep=sleep)  # refills 10 tokens a second
    seconds, micros = redis_client.time()
    redis_client.hset(bucket, mapping={"tokens": 0, "ts": seconds + micros / 1e6})  # just emptied
    client = GraphClient(limiter=limiter)

    client.fetch_node(TOKEN, "1", user_id="u1")

    assert slept and sum(slept) <= 1.5
    assert len(graph.calls) == 1


def test_rate_limit_warning_at_ninety_percent_of_budget(graph, redis_client, caplog):
    graph.add("GET", f"{GRAPH}/1", json={"id": "1"})
    client = GraphClient(limiter=RateLimiter(per_hour=10, max_wait_seconds=0))

    with caplog.at_level(logging.WARNING, logger="metasync.graph.ratelimit"):
        for _ in range(9):
            client.fetch_node(TOKEN, "1", user_id="u2")

    warnings = [r for r in caplog.records if getattr(r, "event", "") == "rate_limit_approaching"]
    assert len(warnings) == 1


def test_buckets_are_per_user(graph, redis_client):
    graph.add("GET", f"{GRAPH}/1", json={"id": "1"})
    client = GraphClient(limiter=RateLimiter(per_hour=1, max_wait_seconds=0))

    client.fetch_node(TOKEN, "1", user_id="a")
    client.fetch_node(TOKEN, "1", user_id="b")
    with pytest.raises(RateLimitedError):
        client.fetch_node(TOKEN, "1", user_id="a")


def test_a_reserving_client_defers_while_the_syncs_reserve_is_reached_and_syncs_go_on(graph, redis_client):
    graph.add("GET", f"{GRAPH}/1", json={"id": "1"})
    limiter = RateLimiter(per_hour=10, max_wait_seconds=0)
    syncs = GraphClient(limiter=limiter)
    reports = syncs.scoped(reserve_share=0.3)  # leaves 3 of the 10 tokens to the syncs

    taken = 0
    with pytest.raises(RateLimitedError):
        while True:
            reports.fetch_node(TOKEN, "1", user_id="u4")
            taken += 1
    for _ in range(3):  # the reserve is still there for the entity and performance syncs
        syncs.fetch_node(TOKEN, "1", user_id="u4")

    assert taken == 7
    with pytest.raises(RateLimitedError):
        syncs.fetch_node(TOKEN, "1", user_id="u4")


def test_waits_their_seconds_and_refusals_are_counted_in_redis(graph, redis_client):
    from metasync.infra.counters import totals

    graph.add("GET", f"{GRAPH}/1", json={"id": "1"})
    key = "metasync:bucket:user:u1"
    slept: list[float] = []

    def sleep(seconds: float) -> None:  # the wait refills the bucket, as time would
        slept.append(seconds)
        redis_client.hset(key, "tokens", 1)

    # 3600 calls per hour: an empty bucket makes a call wait about a second; 10 calls short, about 11 seconds.
    limiter = RateLimiter(per_hour=3600, max_wait_seconds=5, sleep=sleep)
    client = GraphClient(limiter=limiter)
    redis_client.hset(key, mapping={"tokens": 0, "ts": redis_client.time()[0]})
    client.fetch_node(TOKEN, "1", user_id="u1")
    redis_client.hset(key, mapping={"tokens": -10, "ts": redis_client.time()[0]})
    with pytest.raises(RateLimitedError):
        client.fetch_node(TOKEN, "1", user_id="u1")

    assert len(slept) == 1 and 0 < slept[0] <= 1.0
    assert totals("rate_limit_waits") == {"": 1.0}
    assert totals("rate_limit_wait_seconds")[""] == pytest.approx(slept[0])
    assert totals("rate_limit_refusals") == {"": 1.0}
