"""Control-plane mutations, and what Graph reads show of them."""

from __future__ import annotations

import json
import time

from tests.simulator_helpers import ACT, BASE_CONFIG, cents, get, ok, page_all, server_fixture, session_fixture

fresh = server_fixture(BASE_CONFIG, scope="function")
http = session_fixture()


def test_mutate_bumps_updated_time(fresh, http):
    world = fresh.world
    camp = next(c for c in world.accounts[0]["_lists"]["campaign"] if c["effective_status"] == "ACTIVE")
    before = int(time.time()) - 1
    res = ok(http.post(fresh.url("/__sim/mutate"), json={"action": "rename", "id": camp["id"], "name": "Renamed"}))
    assert res["results"][0]["object"]["name"] == "Renamed"
    node = ok(get(http, fresh, camp["id"], fields="name,updated_time"))
    assert node["name"] == "Renamed"
    changed = ok(
        get(
            http,
            fresh,
            f"{ACT}/campaigns",
            filtering=json.dumps([{"field": "campaign.updated_time", "operator": "GREATER_THAN", "value": before}]),
        )
    )["data"]
    assert [c["id"] for c in changed] == [camp["id"]]
    ok(http.post(fresh.url("/__sim/mutate"), json={"action": "pause", "id": camp["id"]}))
    kids = ok(get(http, fresh, f"{camp['id']}/ads", fields="effective_status", limit=100))["data"]
    assert kids and all(k["effective_status"] in ("CAMPAIGN_PAUSED", "PAUSED", "ADSET_PAUSED") for k in kids)
    ok(http.post(fresh.url("/__sim/mutate"), json={"action": "archive", "id": camp["id"]}))
    assert camp["id"] not in {c["id"] for c in page_all(http, fresh, f"{ACT}/campaigns", limit=100)[0]}
    # add_spend changes today's insights for that ad
    ad = world.objects[camp["_ads"][0]]
    spend = lambda: ok(get(http, fresh, f"{ad['id']}/insights", date_preset="today", fields="spend"))["data"]  # noqa
    base = cents(spend()[0]["spend"]) if spend() else 0
    ok(http.post(fresh.url("/__sim/mutate"), json={"action": "add_spend", "id": ad["id"], "cents": 1234}))
    assert cents(spend()[0]["spend"]) == base + 1234
    r = http.post(fresh.url("/__sim/mutate"), json={"action": "rename", "id": "nope", "name": "x"})
    assert r.status_code == 400
