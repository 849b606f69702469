"""The Graph API simulator, exercised over real HTTP (no Redis / Mongo needed)."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections import defaultdict
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
import requests
import urllib3.util.connection

from metasync.simulator import SimConfig, SimulatorServer, World, build_arg_parser, config_from_args
from metasync.simulator.insights_metrics import ACTION_TYPES

TODAY = "2026-03-15"  # a Sunday
V = "v25.0"
ACT = "act_1000000001"
TOKEN = "user-token"
BASE_CONFIG = SimConfig(campaigns=6, ad_sets_per_campaign=2, ads_per_ad_set=3, days=30, seed=7, today=TODAY)


@pytest.fixture(scope="module")
def sim():
    with SimulatorServer(BASE_CONFIG) as server:
        yield server


@pytest.fixture(scope="module")
def http():
    with requests.Session() as session:
        yield session


@pytest.fixture(autouse=True)
def _clean_faults(request, http):
    yield
    if "sim" in request.fixturenames:
        server = request.getfixturevalue("sim")
        http.post(server.url("/__sim/faults/clear"))


@pytest.fixture
def fresh():
    """A private server for tests that mutate the world or the config."""
    with SimulatorServer(BASE_CONFIG.replace()) as server:
        yield server


def get(http, server, path, **params):
    params.setdefault("access_token", TOKEN)
    return http.get(f"{server.graph_url}/{path.lstrip('/')}", params=params)


def ok(resp):
    assert resp.status_code == 200, resp.text
    return resp.json()


def err(resp, status=400):
    assert resp.status_code == status, resp.text
    body = resp.json()
    assert set(body) == {"error"}
    e = body["error"]
    assert {"message", "type", "code", "fbtrace_id", "is_transient"} <= set(e)
    assert e["fbtrace_id"] == resp.headers["x-fb-trace-id"]
    return e


def page_all(http, server, path, **params):
    """Follow paging.next until it is absent; returns (items, pages)."""
    body = ok(get(http, server, path, **params))
    items, pages = list(body["data"]), [body]
    while "next" in body.get("paging", {}):
        nxt = body["paging"]["next"]
        assert nxt.startswith(server.base_url + "/" + V + "/")
        body = ok(http.get(nxt))
        items += body["data"]
        pages.append(body)
    return items, pages


def cents(s: str) -> int:
    whole, frac = s.split(".")
    return int(whole) * 100 + int(frac)


def visible(world, kind):
    return [o for o in world.accounts[0]["_lists"][kind] if o["effective_status"] not in ("ARCHIVED", "DELETED")]


# ------------------------------------------------------------------ edges
def test_pagination_follows_absolute_next_urls(sim, http):
    ads, pages = page_all(http, sim, f"{ACT}/ads", fields="name,effective_status", limit=4)
    expected = [o["id"] for o in visible(sim.world, "ad")]
    assert [a["id"] for a in ads] == expected
    assert len(pages) == -(-len(expected) // 4)
    assert "previous" not in pages[0]["paging"]
    for page in pages[1:]:
        assert "previous" in page["paging"]
        assert "fields=name%2Ceffective_status" in page["paging"]["previous"]
    assert "next" not in pages[-1]["paging"]
    nxt = pages[0]["paging"]["next"]
    assert "access_token=" + TOKEN in nxt and "limit=4" in nxt and "after=" in nxt
    cursors = pages[0]["paging"]["cursors"]
    assert cursors["after"] and cursors["before"] and expected[3] not in cursors["after"]  # opaque
    # going back with `before` returns the previous page
    back = ok(http.get(pages[1]["paging"]["previous"]))
    assert [a["id"] for a in back["data"]] == expected[:4]


def test_limit_default_cap_and_summary(sim, http):
    body = ok(get(http, sim, f"{ACT}/adsets"))
    assert len(body["data"]) == min(25, len(visible(sim.world, "adset")))
    assert all(set(o) == {"id"} for o in body["data"])  # edges return only ids by default
    body = ok(get(http, sim, f"{ACT}/ads", limit=5000, summary="true"))
    assert len(body["data"]) == len(visible(sim.world, "ad"))  # capped at 500, not an error
    assert body["summary"]["total_count"] == len(visible(sim.world, "ad"))


def test_default_excludes_archived_and_deleted(sim, http):
    world = sim.world
    hidden = [o["id"] for o in world.accounts[0]["_lists"]["ad"] if o["effective_status"] in ("ARCHIVED", "DELETED")]
    assert hidden, "seed should produce archived/deleted ads"
    default_ids = {a["id"] for a in page_all(http, sim, f"{ACT}/ads", limit=100)[0]}
    assert not default_ids & set(hidden)
    asked = page_all(http, sim, f"{ACT}/ads", limit=100, fields="effective_status",
                     effective_status=json.dumps(["ARCHIVED", "DELETED"]))[0]
    assert sorted(a["id"] for a in asked) == sorted(hidden)
    via_filter = page_all(http, sim, f"{ACT}/ads", limit=100, filtering=json.dumps(
        [{"field": "ad.effective_status", "operator": "IN", "value": ["ARCHIVED", "DELETED"]}]))[0]
    assert sorted(a["id"] for a in via_filter) == sorted(hidden)
    e = err(get(http, sim, f"{ACT}/ads", effective_status=json.dumps(["NOPE"])))
    assert e["code"] == 100


def test_filtering_status_updated_time_and_ids(sim, http):
    world = sim.world
    ads = world.accounts[0]["_lists"]["ad"]
    paused = ok(get(http, sim, f"{ACT}/ads", limit=500, fields="effective_status", filtering=json.dumps(
        [{"field": "ad.effective_status", "operator": "IN", "value": ["PAUSED", "CAMPAIGN_PAUSED"]}])))["data"]
    assert {a["effective_status"] for a in paused} <= {"PAUSED", "CAMPAIGN_PAUSED"}
    assert len(paused) == sum(o["effective_status"] in ("PAUSED", "CAMPAIGN_PAUSED") for o in ads)
    # parent-prefixed filter on a child edge
    camp_active = ok(get(http, sim, f"{ACT}/ads", limit=500, fields="campaign_id", filtering=json.dumps(
        [{"field": "campaign.effective_status", "operator": "IN", "value": ["ACTIVE"]}])))["data"]
    for a in camp_active:
        assert world.objects[a["campaign_id"]]["effective_status"] == "ACTIVE"
    # updated_time
    stamps = sorted(o["_updated_ts"] for o in ads if o["effective_status"] not in ("ARCHIVED", "DELETED"))
    cut = stamps[len(stamps) // 2]
    newer = ok(get(http, sim, f"{ACT}/ads", limit=500, fields="updated_time", filtering=json.dumps(
        [{"field": "ad.updated_time", "operator": "GREATER_THAN", "value": cut}])))["data"]
    assert len(newer) == sum(1 for s in stamps if s > cut)
    assert all(world.objects[a["id"]]["_updated_ts"] > cut for a in newer)
    older = ok(get(http, sim, f"{ACT}/adsets", limit=500, filtering=json.dumps(
        [{"field": "updated_time", "operator": "LESS_THAN", "value": cut}])))["data"]
    assert all(world.objects[a["id"]]["_updated_ts"] < cut for a in older)
    # id IN
    want = [ads[0]["id"], ads[5]["id"]]
    got = ok(get(http, sim, f"{ACT}/ads", filtering=json.dumps(
        [{"field": "id", "operator": "IN", "value": want}]), effective_status=json.dumps(list(
            {ads[0]["effective_status"], ads[5]["effective_status"]}))))["data"]
    assert [a["id"] for a in got] == want
    e = err(get(http, sim, f"{ACT}/ads", filtering=json.dumps(
        [{"field": "ad.updated_time", "operator": "IN", "value": [1]}])))
    assert e["code"] == 100


def test_field_selection_nested_creative(sim, http):
    body = ok(get(http, sim, f"{ACT}/ads", limit=3,
                  fields="name,creative{id,name,object_story_spec{link_data{name,call_to_action}}},adset{name}"))
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
    full = ok(get(http, sim, f"{ACT}/adsets", limit=50,
                  fields="targeting,daily_budget,lifetime_budget,bid_strategy,learning_stage_info,created_time"))
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


def test_node_fetch_account_and_unknown_id(sim, http):
    world = sim.world
    camp = world.accounts[0]["_lists"]["campaign"][0]
    body = ok(get(http, sim, camp["id"], fields="name,objective,status,effective_status,updated_time"))
    assert body["id"] == camp["id"] and body["name"] == camp["name"]
    assert ok(get(http, sim, camp["id"])) == {"id": camp["id"]}
    ad = world.accounts[0]["_lists"]["ad"][0]
    cr = ok(get(http, sim, ad["_creative_id"], fields="object_story_spec,effective_object_story_id"))
    assert "object_story_spec" in cr
    acct = ok(get(http, sim, ACT, fields="id,account_id,name,currency,timezone_name,timezone_offset_hours_utc,"
                                          "account_status"))
    assert acct["account_id"] == "1000000001" and acct["currency"] == "USD"
    assert acct["timezone_name"] == "America/Los_Angeles" and acct["account_status"] == 1
    e = err(get(http, sim, "999999999999", fields="name"))
    assert e["code"] == 100 and e["error_subcode"] == 33 and "Unsupported get request" in e["message"]
    e = err(get(http, sim, f"{camp['id']}/bogus_edge"))
    assert e["code"] == 100
    # child edges on nodes
    kids = ok(get(http, sim, f"{camp['id']}/adsets", effective_status=json.dumps(
        ["ACTIVE", "PAUSED", "ARCHIVED", "DELETED", "CAMPAIGN_PAUSED", "WITH_ISSUES", "IN_PROCESS"])))["data"]
    assert [k["id"] for k in kids] == camp["_adsets"]


def test_deleted_objects_readable(fresh, http):
    ad = fresh.world.accounts[0]["_lists"]["ad"][1]
    ok(http.post(fresh.url("/__sim/mutate"), json={"action": "delete", "id": ad["id"]}))
    body = ok(get(http, fresh, ad["id"], fields="effective_status,status"))
    assert body["effective_status"] == "DELETED" and body["status"] == "DELETED"


def test_versions(sim, http):
    e = err(http.get(f"{sim.base_url}/v21.0/{ACT}", params={"access_token": TOKEN}))
    assert e["code"] == 2635
    for v in ("v22.0", "v24.0", "v99.0"):
        assert http.get(f"{sim.base_url}/{v}/{ACT}", params={"access_token": TOKEN}).status_code == 200
    e = err(http.get(f"{sim.base_url}/{V}/{ACT}"))  # no token
    assert e["code"] == 104


# --------------------------------------------------------------- insights
INS_FIELDS = ("account_id,campaign_id,campaign_name,adset_id,adset_name,ad_id,ad_name,impressions,clicks,spend,"
              "reach,ctr,cpc,cpm,actions,action_values")


def _rows(http, sim, scope=ACT, **params):
    params.setdefault("fields", INS_FIELDS)
    params.setdefault("limit", 500)
    return page_all(http, sim, f"{scope}/insights", **params)[0]


def test_insights_levels_sum_exactly(sim, http):
    tr = json.dumps({"since": "2026-03-01", "until": "2026-03-10"})
    ad_rows = _rows(http, sim, level="ad", time_increment=1, time_range=tr)
    camp_rows = _rows(http, sim, level="campaign", time_increment=1, time_range=tr)
    adset_rows = _rows(http, sim, level="adset", time_increment=1, time_range=tr)
    acct_rows = _rows(http, sim, level="account", time_increment=1, time_range=tr)
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
    agg = _rows(http, sim, level="campaign", time_range=tr)
    assert all(x["date_start"] == "2026-03-01" and x["date_stop"] == "2026-03-10" for x in agg)
    per_camp = defaultdict(int)
    for x in camp_rows:
        per_camp[x["campaign_id"]] += cents(x["spend"])
    assert {x["campaign_id"]: cents(x["spend"]) for x in agg} == dict(per_camp)
    # per-object endpoint gives the same rows as the account-level query
    cid = camp_rows[0]["campaign_id"]
    own = _rows(http, sim, scope=cid, level="ad", time_increment=1, time_range=tr)
    assert own == [x for x in ad_rows if x["campaign_id"] == cid]


def test_overlapping_action_types(sim, http):
    rows = _rows(http, sim, level="ad", time_increment=1, date_preset="last_30d", fields="ad_id,actions,action_values")
    types_per_row = [{a["action_type"]: a["value"] for a in r.get("actions", [])} for r in rows]
    assert all(isinstance(v, str) for t in types_per_row for v in t.values())
    both = [t for t in types_per_row if "omni_purchase" in t]
    assert both and all(t["purchase"] == t["omni_purchase"] for t in both)
    for t in both:  # the channel views add up to the omni count
        total = sum(int(t.get(k, 0)) for k in ("offsite_conversion.fb_pixel_purchase", "onsite_conversion.purchase",
                                                "app_custom_event.fb_mobile_purchase"))
        assert total == int(t["omni_purchase"])
    assert any("offsite_conversion.fb_pixel_purchase" in t and "omni_purchase" not in t for t in types_per_row), \
        "some rows carry only channel-specific purchase types"
    assert any("lead" in t and "onsite_conversion.lead_grouped" in t for t in types_per_row) or \
        any("offsite_conversion.fb_pixel_lead" in t for t in types_per_row)
    assert any("link_click" in t and "landing_page_view" in t for t in types_per_row)
    known = {name for name, _ in ACTION_TYPES}
    assert {k for t in types_per_row for k in t} <= known


def test_date_presets_and_invalid_preset(sim, http):
    today = date.fromisoformat(TODAY)

    def span(preset):
        rows = ok(get(http, sim, f"{ACT}/insights", level="account", date_preset=preset, fields="spend"))["data"]
        return (rows[0]["date_start"], rows[0]["date_stop"]) if rows else None

    d = lambda n: (today - timedelta(days=n)).isoformat()  # noqa: E731
    assert span("today") == (TODAY, TODAY)
    assert span("yesterday") == (d(1), d(1))
    assert span("last_7d") == (d(7), d(1))
    assert span("last_30d") == (d(30), d(1))
    assert span("this_month") == ("2026-03-01", TODAY)
    assert span("last_month") == ("2026-02-01", "2026-02-28")
    assert span("this_week_mon_today") == ("2026-03-09", TODAY)
    assert span("this_week_sun_today") == (TODAY, TODAY)
    assert span("last_week_mon_sun") == ("2026-03-02", "2026-03-08")
    assert span("last_week_sun_sat") == ("2026-03-08", "2026-03-14")
    assert span("this_quarter") == ("2026-01-01", TODAY)
    assert span("maximum") == (d(29), TODAY)
    assert span("last_year") is None  # no data that far back
    daily = ok(get(http, sim, f"{ACT}/insights", level="account", date_preset="last_90d", time_increment=1,
                   fields="spend", limit=100))["data"]
    assert [r["date_start"] for r in daily] == [d(n) for n in range(29, 0, -1)]  # only the data window has rows
    e = err(get(http, sim, f"{ACT}/insights", date_preset="last_2_weeks"))
    assert e["code"] == 100 and "date_preset" in e["message"]
    e = err(get(http, sim, f"{ACT}/insights", fields="spend,bogus"))
    assert e["code"] == 100 and "bogus" in e["message"]


def test_sync_insights_too_much_data(fresh, http):
    ok(http.post(fresh.url("/__sim/config"), json={"max_sync_insights_rows": 50}))
    e = err(get(http, fresh, f"{ACT}/insights", level="ad", time_increment=1, date_preset="last_30d"))
    assert e["code"] == 100 and e["error_subcode"] == 1487534
    assert "reduce the amount of data" in e["message"]
    ok(get(http, fresh, f"{ACT}/insights", level="campaign", date_preset="yesterday"))


def test_async_report_lifecycle(fresh, http):
    ok(http.post(fresh.url("/__sim/config"), json={"max_sync_insights_rows": 50, "report_polls": 4}))
    params = {"level": "ad", "time_increment": "1", "date_preset": "last_7d", "fields": "ad_id,spend,actions",
              "access_token": TOKEN}
    run_id = ok(http.post(f"{fresh.graph_url}/{ACT}/insights", data=params))["report_run_id"]
    assert run_id.isdigit()
    statuses = []
    for _ in range(6):
        node = ok(get(http, fresh, run_id, fields="async_status,async_percent_completion,date_start,date_stop"))
        statuses.append((node["async_status"], node["async_percent_completion"]))
        if node["async_status"] == "Job Completed":
            break
    assert [s for s, _ in statuses] == ["Job Not Started", "Job Started", "Job Running", "Job Completed"]
    pcts = [p for _, p in statuses]
    assert pcts == sorted(pcts) and pcts[-1] == 100
    assert node["date_start"] == (date.fromisoformat(TODAY) - timedelta(days=7)).isoformat()
    rows, pages = page_all(http, fresh, f"{run_id}/insights", limit=25)
    assert len(pages) > 1 and all(set(r) >= {"ad_id", "spend", "date_start"} for r in rows)
    ok(http.post(fresh.url("/__sim/config"), json={"max_sync_insights_rows": 10**6}))
    sync_rows = _rows(http, fresh, level="ad", time_increment=1, date_preset="last_7d", fields="ad_id,spend,actions")
    assert rows == sync_rows
    # failing run
    ok(http.post(fresh.url("/__sim/faults"), json={"fail_report_runs": 1}))
    bad = ok(http.post(f"{fresh.graph_url}/{ACT}/insights", data=params))["report_run_id"]
    for _ in range(4):
        node = ok(get(http, fresh, bad, fields="async_status"))
    assert node["async_status"] == "Job Failed"
    assert err(get(http, fresh, f"{bad}/insights"))["code"] == 2601
    good = ok(http.post(f"{fresh.graph_url}/{ACT}/insights", data=params))["report_run_id"]
    early = err(get(http, fresh, f"{good}/insights"))  # not finished yet
    assert early["code"] == 100
    e = err(http.post(f"{fresh.graph_url}/{ACT}/insights", data=dict(params, date_preset="nope")))
    assert e["code"] == 100


# ----------------------------------------------------------------- tokens
SECRET_CONFIG = BASE_CONFIG.replace(campaigns=2, app_secret="s3cret", expired_tokens=("old-token",))


def proof(token, secret="s3cret"):
    return hmac.new(secret.encode(), token.encode(), hashlib.sha256).hexdigest()


@pytest.fixture(scope="module")
def secured():
    with SimulatorServer(SECRET_CONFIG) as server:
        yield server


def test_token_exchange_and_debug_token(secured, http):
    url = f"{secured.graph_url}/oauth/access_token"
    body = ok(http.get(url, params={"grant_type": "fb_exchange_token", "client_id": "111", "client_secret": "s3cret",
                                    "fb_exchange_token": "short-token"}))
    assert body["token_type"] == "bearer" and body["expires_in"] == 5183944 and body["access_token"].startswith("EAA")
    new = body["access_token"]
    e = err(http.get(url, params={"grant_type": "fb_exchange_token", "client_id": "111", "client_secret": "wrong",
                                  "fb_exchange_token": "short-token"}))
    assert e["code"] == 1 and "client secret" in e["message"]
    e = err(http.get(url, params={"grant_type": "fb_exchange_token", "client_id": "999", "client_secret": "s3cret",
                                  "fb_exchange_token": "short-token"}))
    assert e["code"] == 101
    e = err(http.get(url, params={"grant_type": "fb_exchange_token", "client_id": "111", "client_secret": "s3cret",
                                  "fb_exchange_token": "old-token"}))
    assert e["code"] == 190 and e["error_subcode"] == 463
    app = ok(http.get(url, params={"grant_type": "client_credentials", "client_id": "111",
                                   "client_secret": "s3cret"}))["access_token"]
    assert app.startswith("111|")
    dbg = ok(http.get(f"{secured.graph_url}/debug_token", params={"input_token": new, "access_token": app}))["data"]
    assert dbg["is_valid"] is True and dbg["app_id"] == "111" and dbg["type"] == "USER"
    assert set(dbg["scopes"]) >= {"ads_read", "ads_management", "business_management"}
    assert dbg["expires_at"] > time.time() + 59 * 86400 and dbg["user_id"]
    dead = ok(http.get(f"{secured.graph_url}/debug_token",
                       params={"input_token": "old-token", "access_token": app}))["data"]
    assert dead["is_valid"] is False and dead["error"]["code"] == 190 and dead["error"]["subcode"] == 463
    # the exchanged token works (with its proof)
    ok(http.get(f"{secured.graph_url}/{ACT}", params={"access_token": new, "appsecret_proof": proof(new)}))


def test_appsecret_proof_enforced(secured, http):
    url = f"{secured.graph_url}/{ACT}/campaigns"
    e = err(http.get(url, params={"access_token": TOKEN}))
    assert e["code"] == 100 and "appsecret_proof" in e["message"]
    e = err(http.get(url, params={"access_token": TOKEN, "appsecret_proof": proof(TOKEN, "other")}))
    assert e["code"] == 100 and e["message"] == "Invalid appsecret_proof provided in the API argument"
    ok(http.get(url, params={"access_token": TOKEN, "appsecret_proof": proof(TOKEN)}))
    e = err(http.get(url, params={"access_token": "old-token", "appsecret_proof": proof("old-token")}))
    assert e["code"] == 190 and e["error_subcode"] == 463


# ------------------------------------------------------------------ batch
def test_batch(sim, http):
    world = sim.world
    camp = world.accounts[0]["_lists"]["campaign"][0]
    batch = [{"method": "GET", "relative_url": f"{V}/{camp['id']}?fields=name"},
             {"method": "GET", "relative_url": f"{ACT}/ads?fields=name&limit=2"},
             {"method": "GET", "relative_url": f"{V}/424242424242?fields=name"}]
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


# ---------------------------------------------------------- usage & faults
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


# --------------------------------------------------------- mutate & hooks
def test_mutate_bumps_updated_time(fresh, http):
    world = fresh.world
    camp = next(c for c in world.accounts[0]["_lists"]["campaign"] if c["effective_status"] == "ACTIVE")
    before = int(time.time()) - 1
    res = ok(http.post(fresh.url("/__sim/mutate"), json={"action": "rename", "id": camp["id"], "name": "Renamed"}))
    assert res["results"][0]["object"]["name"] == "Renamed"
    node = ok(get(http, fresh, camp["id"], fields="name,updated_time"))
    assert node["name"] == "Renamed"
    changed = ok(get(http, fresh, f"{ACT}/campaigns", filtering=json.dumps(
        [{"field": "campaign.updated_time", "operator": "GREATER_THAN", "value": before}])))["data"]
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


class _Receiver(BaseHTTPRequestHandler):
    captured: list = []

    def do_POST(self):  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.captured.append((dict(self.headers), body))
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def do_GET(self):  # noqa: N802 - verification handshake
        from urllib.parse import parse_qs, urlsplit
        q = parse_qs(urlsplit(self.path).query)
        good = q.get("hub.verify_token") == ["metasync-sim"] and q.get("hub.mode") == ["subscribe"]
        out = q["hub.challenge"][0].encode() if good else b"no"
        self.send_response(200 if good else 403)
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    def log_message(self, *args):
        pass


def test_signed_webhook_delivery(http):
    _Receiver.captured = []
    receiver = HTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=receiver.serve_forever, daemon=True)
    thread.start()
    try:
        with SimulatorServer(SECRET_CONFIG) as server:
            hook_url = f"http://127.0.0.1:{receiver.server_port}/webhooks/meta"
            ok(http.post(server.url("/__sim/config"), json={"webhook_url": hook_url}))
            ad = server.world.accounts[0]["_lists"]["ad"][0]
            res = ok(http.post(server.url("/__sim/webhook"), json={"id": ad["id"]}))
            assert res["status_code"] == 200
            headers, body = _Receiver.captured[-1]
            expected = hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
            assert headers["X-Hub-Signature-256"] == "sha256=" + expected
            assert headers["X-Hub-Signature"] == "sha1=" + hmac.new(b"s3cret", body, hashlib.sha1).hexdigest()
            payload = json.loads(body)
            assert payload["object"] == "ad_account"
            entry = payload["entry"][0]
            assert entry["id"] == "1000000001" and isinstance(entry["time"], int)
            change = entry["changes"][0]
            assert change["field"] == "in_process_ad_objects"
            assert change["value"] == {"id": ad["id"], "level": "AD", "status_name": ad["effective_status"]}
            # mutate + notify delivers too
            camp = server.world.accounts[0]["_lists"]["campaign"][0]
            res = ok(http.post(server.url("/__sim/mutate"), json={"action": "pause", "id": camp["id"],
                                                                   "notify": True}))
            assert res["results"][0]["webhook"]["status_code"] == 200
            value = json.loads(_Receiver.captured[-1][1])["entry"][0]["changes"][0]["value"]
            assert value == {"id": camp["id"], "level": "CAMPAIGN", "status_name": "PAUSED"}
            assert ok(http.post(server.url("/__sim/webhook/verify"), json={}))["verified"] is True
    finally:
        receiver.shutdown()
        receiver.server_close()
        thread.join(5)


# ------------------------------------------------------- control & misc
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


def test_determinism():
    a, b = World(BASE_CONFIG), World(BASE_CONFIG)
    c = World(BASE_CONFIG.replace(seed=8))
    strip = lambda w: [w.public_view(o) for o in w.objects.values()]  # noqa: E731
    assert strip(a) == strip(b)
    assert strip(a) != strip(c)

    def rows(w):
        acct = w.accounts[0]
        q = w.insights.build_query(acct, acct, {"level": "ad", "time_increment": "1", "date_preset": "last_30d",
                                                "fields": "ad_id,spend,impressions,actions,action_values"})
        return w.insights.all_rows(q)

    assert rows(a) == rows(b)
    assert rows(a) != rows(c)
    multi = World(BASE_CONFIG.replace(accounts=2, campaigns=2))
    assert [x["id"] for x in multi.accounts] == ["act_1000000001", "act_1000000002"]
    assert not {o["id"] for o in multi.accounts[0]["_lists"]["ad"]} & {o["id"] for o in multi.accounts[1]["_lists"]["ad"]}


def test_cli_options_build_config():
    args = build_arg_parser().parse_args(["--port", "9999", "--campaigns", "9", "--ad-sets-per-campaign", "3",
                                          "--ads-per-ad-set", "4", "--days", "14", "--latency-ms", "5",
                                          "--error-rate", "0.1", "--seed", "42", "--app-secret", "x",
                                          "--webhook-url", "http://127.0.0.1:1/h"])
    cfg = config_from_args(args)
    assert args.port == 9999
    assert (cfg.campaigns, cfg.ad_sets_per_campaign, cfg.ads_per_ad_set, cfg.days) == (9, 3, 4, 14)
    assert (cfg.latency_ms, cfg.error_rate, cfg.seed, cfg.app_secret) == (5, 0.1, 42, "x")
    assert cfg.webhook_url == "http://127.0.0.1:1/h"


def test_insights_filtering_and_before_paging(sim, http):
    world = sim.world
    active = {o["id"] for o in world.accounts[0]["_lists"]["ad"] if o["effective_status"] == "ACTIVE"}
    f = json.dumps([{"field": "ad.effective_status", "operator": "IN", "value": ["ACTIVE"]}])
    rows = _rows(http, sim, level="ad", date_preset="last_7d", fields="ad_id,spend", filtering=f)
    assert rows and {r["ad_id"] for r in rows} <= active
    camp = _rows(http, sim, level="campaign", date_preset="last_7d", fields="campaign_id,spend", filtering=f)
    per = defaultdict(int)
    for r in rows:
        per[world.objects[r["ad_id"]]["campaign_id"]] += cents(r["spend"])
    assert {r["campaign_id"]: cents(r["spend"]) for r in camp} == dict(per)
    first = ok(get(http, sim, f"{ACT}/insights", level="ad", time_increment=1, fields="ad_id", limit=5))
    second = ok(http.get(first["paging"]["next"]))
    assert "previous" not in first["paging"] and "previous" in second["paging"]
    assert ok(http.get(second["paging"]["previous"]))["data"] == first["data"]
    assert err(get(http, sim, f"{ACT}/insights", after="not-a-cursor"))["code"] == 100


def test_multiple_accounts_me_and_batch_post(http):
    with SimulatorServer(BASE_CONFIG.replace(accounts=2, campaigns=2)) as server:
        accts = ok(get(http, server, "me/adaccounts", fields="account_id,name,currency"))["data"]
        assert [a["id"] for a in accts] == ["act_1000000001", "act_1000000002"]
        other = ok(get(http, server, "act_1000000002/campaigns", fields="account_id"))["data"]
        assert other and all(c["account_id"] == "1000000002" for c in other)
        batch = [{"method": "POST", "relative_url": "act_1000000002/insights", "body": "level=campaign&fields=spend"}]
        res = ok(http.post(f"{server.graph_url}/", data={"access_token": TOKEN, "batch": json.dumps(batch)}))
        run_id = json.loads(res[0]["body"])["report_run_id"]
        assert ok(get(http, server, run_id, fields="account_id"))["account_id"] == "1000000002"


def test_keep_alive_and_stop_closes_connections():
    server = SimulatorServer(BASE_CONFIG.replace(campaigns=1)).start()
    with requests.Session() as session:
        first = session.get(f"{server.graph_url}/{ACT}", params={"access_token": TOKEN})
        assert first.status_code == 200 and "close" not in first.headers.get("Connection", "")
        server.stop()
        with pytest.raises(requests.ConnectionError):
            session.get(f"{server.graph_url}/{ACT}", params={"access_token": TOKEN}, timeout=2)


def test_one_session_reuses_one_connection(monkeypatch):
    """Calls on one requests.Session share one TCP connection, whatever their bodies (the benchmarks rely on it)."""
    opened = []
    connect = urllib3.util.connection.create_connection

    def counting_connect(address, *args, **kwargs):
        opened.append(address)
        return connect(address, *args, **kwargs)

    monkeypatch.setattr(urllib3.util.connection, "create_connection", counting_connect)
    with SimulatorServer(BASE_CONFIG.replace(campaigns=1)) as server, requests.Session() as session:
        ok(session.get(f"{server.graph_url}/{ACT}", params={"access_token": TOKEN}))
        ok(session.post(f"{server.graph_url}/{ACT}/insights", data={"access_token": TOKEN}))
        ok(session.get(server.url("/__sim/health"), data="a body nobody reads " * 20))
        assert ok(session.post(server.url("/__sim/faults"), json={"usage_pct": 5}))["usage_pct"] == 5
        assert ok(session.get(server.url("/__sim/calls")))["http_requests"] == 2
    assert len(opened) == 1


def test_chunked_request_body_closes_the_connection():
    """A chunked body is read to its end (never parsed as a next request); then the connection closes."""
    with SimulatorServer(BASE_CONFIG.replace(campaigns=1)) as server, requests.Session() as session:
        resp = session.post(server.url("/__sim/faults"), data=iter([b'{"usage_pct"', b": 7}"]))
        assert resp.status_code == 200 and resp.headers["Connection"] == "close"
        assert ok(session.get(server.url("/__sim/calls")))["http_requests"] == 0
