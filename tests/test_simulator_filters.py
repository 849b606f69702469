"""Edge filters over HTTP: effective_status, `filtering`, and what is hidden by default."""

from __future__ import annotations

import json

from tests.simulator_helpers import ACT, err, get, ok, page_all, shared_server_fixtures

sim, http, _clean_faults = shared_server_fixtures()


def test_default_excludes_archived_and_deleted(sim, http):
    world = sim.world
    hidden = [o["id"] for o in world.accounts[0]["_lists"]["ad"] if o["effective_status"] in ("ARCHIVED", "DELETED")]
    assert hidden, "seed should produce archived/deleted ads"
    default_ids = {a["id"] for a in page_all(http, sim, f"{ACT}/ads", limit=100)[0]}
    assert not default_ids & set(hidden)
    asked = page_all(
        http,
        sim,
        f"{ACT}/ads",
        limit=100,
        fields="effective_status",
        effective_status=json.dumps(["ARCHIVED", "DELETED"]),
    )[0]
    assert sorted(a["id"] for a in asked) == sorted(hidden)
    via_filter = page_all(
        http,
        sim,
        f"{ACT}/ads",
        limit=100,
        filtering=json.dumps([{"field": "ad.effective_status", "operator": "IN", "value": ["ARCHIVED", "DELETED"]}]),
    )[0]
    assert sorted(a["id"] for a in via_filter) == sorted(hidden)
    e = err(get(http, sim, f"{ACT}/ads", effective_status=json.dumps(["NOPE"])))
    assert e["code"] == 100


def test_filtering_status_updated_time_and_ids(sim, http):
    world = sim.world
    ads = world.accounts[0]["_lists"]["ad"]
    paused = ok(
        get(
            http,
            sim,
            f"{ACT}/ads",
            limit=500,
            fields="effective_status",
            filtering=json.dumps(
                [{"field": "ad.effective_status", "operator": "IN", "value": ["PAUSED", "CAMPAIGN_PAUSED"]}]
            ),
        )
    )["data"]
    assert {a["effective_status"] for a in paused} <= {"PAUSED", "CAMPAIGN_PAUSED"}
    assert len(paused) == sum(o["effective_status"] in ("PAUSED", "CAMPAIGN_PAUSED") for o in ads)
    # parent-prefixed filter on a child edge
    camp_active = ok(
        get(
            http,
            sim,
            f"{ACT}/ads",
            limit=500,
            fields="campaign_id",
            filtering=json.dumps([{"field": "campaign.effective_status", "operator": "IN", "value": ["ACTIVE"]}]),
        )
    )["data"]
    for a in camp_active:
        assert world.objects[a["campaign_id"]]["effective_status"] == "ACTIVE"
    # updated_time
    stamps = sorted(o["_updated_ts"] for o in ads if o["effective_status"] not in ("ARCHIVED", "DELETED"))
    cut = stamps[len(stamps) // 2]
    newer = ok(
        get(
            http,
            sim,
            f"{ACT}/ads",
            limit=500,
            fields="updated_time",
            filtering=json.dumps([{"field": "ad.updated_time", "operator": "GREATER_THAN", "value": cut}]),
        )
    )["data"]
    assert len(newer) == sum(1 for s in stamps if s > cut)
    assert all(world.objects[a["id"]]["_updated_ts"] > cut for a in newer)
    older = ok(
        get(
            http,
            sim,
            f"{ACT}/adsets",
            limit=500,
            filtering=json.dumps([{"field": "updated_time", "operator": "LESS_THAN", "value": cut}]),
        )
    )["data"]
    assert all(world.objects[a["id"]]["_updated_ts"] < cut for a in older)
    # id IN
    want = [ads[0]["id"], ads[5]["id"]]
    got = ok(
        get(
            http,
            sim,
            f"{ACT}/ads",
            filtering=json.dumps([{"field": "id", "operator": "IN", "value": want}]),
            effective_status=json.dumps(list({ads[0]["effective_status"], ads[5]["effective_status"]})),
        )
    )["data"]
    assert [a["id"] for a in got] == want
    e = err(
        get(
            http,
            sim,
            f"{ACT}/ads",
            filtering=json.dumps([{"field": "ad.updated_time", "operator": "IN", "value": [1]}]),
        )
    )
    assert e["code"] == 100
