"""Insights over HTTP: exact sums across levels, action types, filtering, paging, the sync row limit."""

from __future__ import annotations

import json
from collections import defaultdict

from metasync.simulator.insights_metrics import ACTION_TYPES
from tests.simulator_helpers import (
    ACT,
    BASE_CONFIG,
    cents,
    err,
    get,
    insights_rows,
    ok,
    server_fixture,
    shared_server_fixtures,
)

sim, http, _clean_faults = shared_server_fixtures()
fresh = server_fixture(BASE_CONFIG, scope="function")


def test_insights_levels_sum_exactly(sim, http):
    tr = json.dumps({"since": "2026-03-01", "until": "2026-03-10"})
    ad_rows = insights_rows(http, sim, level="ad", time_increment=1, time_range=tr)
    camp_rows = insights_rows(http, sim, level="campaign", time_increment=1, time_range=tr)
    adset_rows = insights_rows(http, sim, level="adset", time_increment=1, time_range=tr)
    acct_rows = insights_rows(http, sim, level="account", time_increment=1, time_range=tr)
    assert ad_rows and camp_rows and adset_rows and len(acct_rows) == 10
    # shape
    r = ad_rows[0]
    assert r["date_start"] == r["date_stop"] == "2026-03-01"
    for k in ("account_id", "campaign_id", "adset_id", "ad_id", "ad_name", "impressions", "spend"):
        assert isinstance(r[k], str)
    assert "ad_id" not in camp_rows[0] and "adset_id" not in camp_rows[0] and "campaign_id" in camp_rows[0]
    assert set(acct_rows[0]) & {"campaign_id", "adset_id", "ad_id"} == set()
    # sorted by date then object id
    keys = [(x["date_start"], int(x["ad_id"])) for x in ad_rows]
    assert keys == sorted(keys)
    assert all(int(x["impressions"]) > 0 for x in ad_rows)

    def totals(rows, key):
        out = defaultdict(lambda: defaultdict(int))
        for x in rows:
            k = (x.get(key), x["date_start"])
            out[k]["impressions"] += int(x["impressions"])
            out[k]["clicks"] += int(x["clicks"])
            out[k]["spend"] += cents(x["spend"])
            for a in x.get("actions", []):
                out[k]["a:" + a["action_type"]] += int(a["value"])
            for a in x.get("action_values", []):
                out[k]["v:" + a["action_type"]] += cents(a["value"])
        return {k: dict(v) for k, v in out.items()}

    for level_rows, key in ((camp_rows, "campaign_id"), (adset_rows, "adset_id"), (acct_rows, "account_id")):
        assert totals(ad_rows, key) == totals(level_rows, key)
        for x in level_rows:  # reach is de-duplicated, never more than impressions
            assert int(x["reach"]) <= int(x["impressions"])
    # without time_increment: one aggregated row per object over the range
    agg = insights_rows(http, sim, level="campaign", time_range=tr)
    assert all(x["date_start"] == "2026-03-01" and x["date_stop"] == "2026-03-10" for x in agg)
    per_camp = defaultdict(int)
    for x in camp_rows:
        per_camp[x["campaign_id"]] += cents(x["spend"])
    assert {x["campaign_id"]: cents(x["spend"]) for x in agg} == dict(per_camp)
    # per-object endpoint gives the same rows as the account-level query
    cid = camp_rows[0]["campaign_id"]
    own = insights_rows(http, sim, scope=cid, level="ad", time_increment=1, time_range=tr)
    assert own == [x for x in ad_rows if x["campaign_id"] == cid]


def test_overlapping_action_types(sim, http):
    rows = insights_rows(
        http, sim, level="ad", time_increment=1, date_preset="last_30d", fields="ad_id,actions,action_values"
    )
    types_per_row = [{a["action_type"]: a["value"] for a in r.get("actions", [])} for r in rows]
    assert all(isinstance(v, str) for t in types_per_row for v in t.values())
    both = [t for t in types_per_row if "omni_purchase" in t]
    assert both and all(t["purchase"] == t["omni_purchase"] for t in both)
    for t in both:  # the channel views add up to the omni count
        total = sum(
            int(t.get(k, 0))
            for k in (
                "offsite_conversion.fb_pixel_purchase",
                "onsite_conversion.purchase",
                "app_custom_event.fb_mobile_purchase",
            )
        )
        assert total == int(t["omni_purchase"])
    assert any("offsite_conversion.fb_pixel_purchase" in t and "omni_purchase" not in t for t in types_per_row), (
        "some rows carry only channel-specific purchase types"
    )
    assert any("lead" in t and "onsite_conversion.lead_grouped" in t for t in types_per_row) or any(
        "offsite_conversion.fb_pixel_lead" in t for t in types_per_row
    )
    assert any("link_click" in t and "landing_page_view" in t for t in types_per_row)
    known = {name for name, _ in ACTION_TYPES}
    assert {k for t in types_per_row for k in t} <= known


def test_sync_insights_too_much_data(fresh, http):
    ok(http.post(fresh.url("/__sim/config"), json={"max_sync_insights_rows": 50}))
    e = err(get(http, fresh, f"{ACT}/insights", level="ad", time_increment=1, date_preset="last_30d"))
    assert e["code"] == 100 and e["error_subcode"] == 1487534
    assert "reduce the amount of data" in e["message"]
    ok(get(http, fresh, f"{ACT}/insights", level="campaign", date_preset="yesterday"))


def test_insights_filtering_and_before_paging(sim, http):
    world = sim.world
    active = {o["id"] for o in world.accounts[0]["_lists"]["ad"] if o["effective_status"] == "ACTIVE"}
    f = json.dumps([{"field": "ad.effective_status", "operator": "IN", "value": ["ACTIVE"]}])
    rows = insights_rows(http, sim, level="ad", date_preset="last_7d", fields="ad_id,spend", filtering=f)
    assert rows and {r["ad_id"] for r in rows} <= active
    camp = insights_rows(http, sim, level="campaign", date_preset="last_7d", fields="campaign_id,spend", filtering=f)
    per = defaultdict(int)
    for r in rows:
        per[world.objects[r["ad_id"]]["campaign_id"]] += cents(r["spend"])
    assert {r["campaign_id"]: cents(r["spend"]) for r in camp} == dict(per)
    first = ok(get(http, sim, f"{ACT}/insights", level="ad", time_increment=1, fields="ad_id", limit=5))
    second = ok(http.get(first["paging"]["next"]))
    assert "previous" not in first["paging"] and "previous" in second["paging"]
    assert ok(http.get(second["paging"]["previous"]))["data"] == first["data"]
    assert err(get(http, sim, f"{ACT}/insights", after="not-a-cursor"))["code"] == 100
