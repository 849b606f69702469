"""Fault injection over HTTP: transient errors, throttling, bad tokens, too much data, slow answers."""

from __future__ import annotations

import json
import threading
import time

import pytest
import requests

from tests.simulator_helpers import ACT, TOKEN, err, get, ok, shared_server_fixtures

sim, http, _clean_faults = shared_server_fixtures()


def test_fault_error_rate(sim, http):
    ok(http.post(sim.url("/__sim/faults"), json={"error_rate": 1.0}))
    for _ in range(4):
        e = err(get(http, sim, f"{ACT}/campaigns"), status=500)
        assert e["code"] in (1, 2) and e["is_transient"] is True
    ok(http.post(sim.url("/__sim/faults"), json={"error_rate": 0}))
    ok(get(http, sim, f"{ACT}/campaigns"))


@pytest.mark.parametrize("code", [17, 4, 613, 80004])
def test_fault_rate_limit(sim, http, code):
    ok(http.post(sim.url("/__sim/faults"), json={"rate_limit": {"code": code, "count": 2, "regain_minutes": 7}}))
    for _ in range(2):
        r = get(http, sim, f"{ACT}/campaigns")
        e = err(r)
        assert e["code"] == code
        buc = json.loads(r.headers["X-Business-Use-Case-Usage"])["1000000001"][0]
        assert buc["estimated_time_to_regain_access"] == 7 and buc["call_count"] >= 100
    ok(get(http, sim, f"{ACT}/campaigns"))


def test_fault_expired_and_invalid_tokens(sim, http):
    ok(http.post(sim.url("/__sim/faults"), json={"expired_tokens": ["t-exp"], "invalid_tokens": ["t-bad"]}))
    r = http.get(f"{sim.graph_url}/{ACT}", params={"access_token": "t-exp"})
    e = err(r)
    assert e["code"] == 190 and e["error_subcode"] == 463 and "expired" in e["message"]
    assert "WWW-Authenticate" in r.headers
    e = err(http.get(f"{sim.graph_url}/{ACT}", params={"access_token": "t-bad"}))
    assert e["code"] == 190 and e["error_subcode"] == 467
    ok(get(http, sim, ACT))


def test_fault_reduce_data(sim, http):
    ok(http.post(sim.url("/__sim/faults"), json={"reduce_data_above_limit": 10}))
    e = err(get(http, sim, f"{ACT}/ads"), status=500)  # default limit 25 > 10
    assert e["code"] == 1 and "reduce the amount of data" in e["message"]
    e = err(get(http, sim, f"{ACT}/insights", limit=50), status=500)
    ok(get(http, sim, f"{ACT}/ads", limit=10))


def test_fault_timeout_and_latency(sim, http):
    ok(http.post(sim.url("/__sim/faults"), json={"timeout_ms": 700, "timeout_count": 1}))
    with pytest.raises(requests.exceptions.ReadTimeout):
        http.get(f"{sim.graph_url}/{ACT}", params={"access_token": TOKEN}, timeout=0.2)
    ok(get(http, sim, ACT))  # only the next call was slow
    ok(http.post(sim.url("/__sim/faults"), json={"latency_ms": 200}))
    results = []

    def one():
        with requests.Session() as s:
            t0 = time.perf_counter()
            s.get(f"{sim.graph_url}/{ACT}", params={"access_token": TOKEN})
            results.append(time.perf_counter() - t0)

    t0 = time.perf_counter()
    threads = [threading.Thread(target=one) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 5 and all(x >= 0.19 for x in results)
    assert time.perf_counter() - t0 < 0.8  # concurrent clients are not serialised (serial: >= 1 s)
