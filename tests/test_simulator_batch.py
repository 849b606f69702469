"""Batch requests over HTTP."""

from __future__ import annotations

import json

from tests.simulator_helpers import ACT, TOKEN, V, err, ok, shared_server_fixtures

sim, http, _clean_faults = shared_server_fixtures()


def test_batch(sim, http):
    world = sim.world
    camp = world.accounts[0]["_lists"]["campaign"][0]
    batch = [
        {"method": "GET", "relative_url": f"{V}/{camp['id']}?fields=name"},
        {"method": "GET", "relative_url": f"{ACT}/ads?fields=name&limit=2"},
        {"method": "GET", "relative_url": f"{V}/424242424242?fields=name"},
    ]
    res = ok(http.post(f"{sim.graph_url}/", data={"access_token": TOKEN, "batch": json.dumps(batch)}))
    assert [r["code"] for r in res] == [200, 200, 400]
    assert json.loads(res[0]["body"]) == {"name": camp["name"], "id": camp["id"]}
    second = json.loads(res[1]["body"])
    assert len(second["data"]) == 2 and second["paging"]["next"].startswith(sim.base_url)
    assert json.loads(res[2]["body"])["error"]["error_subcode"] == 33
    assert any(h["name"] == "X-Business-Use-Case-Usage" for h in res[0]["headers"])
    too_many = [{"method": "GET", "relative_url": f"{V}/{ACT}"}] * 51
    e = err(http.post(f"{sim.graph_url}/", data={"access_token": TOKEN, "batch": json.dumps(too_many)}))
    assert e["code"] == 100
