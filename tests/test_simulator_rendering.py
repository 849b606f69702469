"""Field selection over HTTP: nested `fields=` on nodes and edges, and unknown fields."""

from __future__ import annotations

from tests.simulator_helpers import ACT, err, get, ok, shared_server_fixtures

sim, http, _clean_faults = shared_server_fixtures()


def test_field_selection_nested_creative(sim, http):
    body = ok(
        get(
            http,
            sim,
            f"{ACT}/ads",
            limit=3,
            fields="name,creative{id,name,object_story_spec{link_data{name,call_to_action}}},adset{name}",
        )
    )
    for ad in body["data"]:
        assert set(ad) == {"id", "name", "creative", "adset"}
        assert set(ad["creative"]) <= {"id", "name", "object_story_spec"} and "id" in ad["creative"]
        spec = ad["creative"].get("object_story_spec", {})
        assert set(spec) <= {"link_data"}
        if "link_data" in spec:
            assert set(spec["link_data"]) <= {"name", "call_to_action"}
        assert set(ad["adset"]) == {"name", "id"}
    plain = ok(get(http, sim, f"{ACT}/ads", limit=1, fields="creative"))["data"][0]
    assert set(plain["creative"]) == {"id"}
    full = ok(
        get(
            http,
            sim,
            f"{ACT}/adsets",
            limit=50,
            fields="targeting,daily_budget,lifetime_budget,bid_strategy,learning_stage_info,created_time",
        )
    )
    for a in full["data"]:
        t = a["targeting"]
        assert t["geo_locations"]["countries"] and "age_min" in t
        for k in ("daily_budget", "lifetime_budget"):
            if k in a:
                assert isinstance(a[k], str) and a[k].isdigit()
        assert len(a["created_time"]) == 24 and a["created_time"][-5] in "+-"  # 2025-11-11T14:25:17-0800
    e = err(get(http, sim, f"{ACT}/campaigns", fields="name,bogus"))
    assert e["code"] == 100 and "Tried accessing nonexisting field (bogus)" in e["message"]
    e = err(get(http, sim, f"{ACT}/ads", fields="creative{nope}"))
    assert "(nope)" in e["message"]
