"""Usage headers over HTTP: rising with calls, forced by a fault."""

from __future__ import annotations

import json

from tests.simulator_helpers import ACT, BASE_CONFIG, get, ok, server_fixture, session_fixture

fresh = server_fixture(BASE_CONFIG, scope="function")
http = session_fixture()


def test_usage_headers_rise_and_can_be_forced(fresh, http):
    ok(http.post(fresh.url("/__sim/config"), json={"account_call_capacity": 20, "app_call_capacity": 40}))
    pcts = []
    for _ in range(5):
        r = get(http, fresh, f"{ACT}/campaigns")
        acct = json.loads(r.headers["X-Ad-Account-Usage"])
        buc = json.loads(r.headers["X-Business-Use-Case-Usage"])["1000000001"][0]
        app = json.loads(r.headers["X-App-Usage"])
        assert buc["type"] == "ads_management" and "estimated_time_to_regain_access" in buc
        assert acct["ads_api_access_tier"] and "reset_time_duration" in acct
        pcts.append((acct["acc_id_util_pct"], buc["call_count"], app["call_count"]))
        assert r.headers["x-fb-trace-id"]
    assert pcts[-1][0] > pcts[0][0] and pcts[-1][1] > pcts[0][1] and pcts[-1][2] > pcts[0][2]
    ins = get(http, fresh, f"{ACT}/insights")
    assert json.loads(ins.headers["X-Business-Use-Case-Usage"])["1000000001"][0]["type"] == "ads_insights"
    assert "X-FB-Ads-Insights-Throttle" in ins.headers
    ok(http.post(fresh.url("/__sim/faults"), json={"usage_pct": 96}))
    r = get(http, fresh, f"{ACT}/ads")
    assert json.loads(r.headers["X-App-Usage"])["call_count"] == 96
    assert json.loads(r.headers["X-Ad-Account-Usage"])["acc_id_util_pct"] == 96
    assert json.loads(r.headers["X-Business-Use-Case-Usage"])["1000000001"][0]["call_count"] == 96
    node = get(http, fresh, fresh.world.accounts[0]["_lists"]["ad"][0]["id"])
    assert "X-Ad-Account-Usage" not in node.headers and "X-Business-Use-Case-Usage" in node.headers
