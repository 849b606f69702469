"""The control plane: call counts, the world summary, faults."""

from __future__ import annotations

from tests.simulator_helpers import ACT, BASE_CONFIG, TODAY, TOKEN, get, ok, server_fixture, session_fixture

fresh = server_fixture(BASE_CONFIG, scope="function")
http = session_fixture()


def test_call_counting(fresh, http):
    ok(http.post(fresh.url("/__sim/calls/reset")))
    get(http, fresh, f"{ACT}/campaigns")
    get(http, fresh, f"{ACT}/campaigns")
    get(http, fresh, f"{ACT}/insights")
    get(http, fresh, fresh.world.accounts[0]["_lists"]["ad"][0]["id"])
    http.post(f"{fresh.graph_url}/{ACT}/insights", data={"access_token": TOKEN})
    get(http, fresh, "1234")
    calls = ok(http.get(fresh.url("/__sim/calls")))
    assert calls["total"] == 6
    assert calls["by_route"]["GET act/campaigns"] == 2
    assert calls["by_route"]["GET act/insights"] == 1
    assert calls["by_route"]["POST act/insights"] == 1
    assert calls["by_route"]["GET node"] == 2
    assert calls["errors"] == {"100/33": 1}
    ok(http.post(fresh.url("/__sim/calls/reset")))
    assert ok(http.get(fresh.url("/__sim/calls")))["total"] == 0
    summary = ok(http.get(fresh.url("/__sim/world")))
    assert summary["accounts"][0]["counts"]["ads"] == 36 and summary["today"] == TODAY
    assert ok(http.get(fresh.url("/__sim/faults")))["error_rate"] is None  # None = config baseline
    assert http.post(fresh.url("/__sim/faults"), json={"bogus": 1}).status_code == 400
