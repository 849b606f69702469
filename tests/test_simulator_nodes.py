"""Node and edge reads over HTTP: accounts, objects, child edges, several accounts and /me."""

from __future__ import annotations

import json

from metasync.simulator import SimulatorServer
from tests.simulator_helpers import ACT, BASE_CONFIG, TOKEN, err, get, ok, server_fixture, shared_server_fixtures

sim, http, _clean_faults = shared_server_fixtures()
fresh = server_fixture(BASE_CONFIG, scope="function")


def test_node_fetch_account_and_unknown_id(sim, http):
    world = sim.world
    camp = world.accounts[0]["_lists"]["campaign"][0]
    body = ok(get(http, sim, camp["id"], fields="name,objective,status,effective_status,updated_time"))
    assert body["id"] == camp["id"] and body["name"] == camp["name"]
    assert ok(get(http, sim, camp["id"])) == {"id": camp["id"]}
    ad = world.accounts[0]["_lists"]["ad"][0]
    cr = ok(get(http, sim, ad["_creative_id"], fields="object_story_spec,effective_object_story_id"))
    assert "object_story_spec" in cr
    acct = ok(
        get(http, sim, ACT, fields="id,account_id,name,currency,timezone_name,timezone_offset_hours_utc,account_status")
    )
    assert acct["account_id"] == "1000000001" and acct["currency"] == "USD"
    assert acct["timezone_name"] == "America/Los_Angeles" and acct["account_status"] == 1
    e = err(get(http, sim, "999999999999", fields="name"))
    assert e["code"] == 100 and e["error_subcode"] == 33 and "Unsupported get request" in e["message"]
    e = err(get(http, sim, f"{camp['id']}/bogus_edge"))
    assert e["code"] == 100
    # child edges on nodes
    kids = ok(
        get(
            http,
            sim,
            f"{camp['id']}/adsets",
            effective_status=json.dumps(
                ["ACTIVE", "PAUSED", "ARCHIVED", "DELETED", "CAMPAIGN_PAUSED", "WITH_ISSUES", "IN_PROCESS"]
            ),
        )
    )["data"]
    assert [k["id"] for k in kids] == camp["_adsets"]


def test_deleted_objects_readable(fresh, http):
    ad = fresh.world.accounts[0]["_lists"]["ad"][1]
    ok(http.post(fresh.url("/__sim/mutate"), json={"action": "delete", "id": ad["id"]}))
    body = ok(get(http, fresh, ad["id"], fields="effective_status,status"))
    assert body["effective_status"] == "DELETED" and body["status"] == "DELETED"


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


def test_image_and_video_edges_page_the_media_the_creatives_use(sim, http):
    account = sim.world.accounts[0]
    images = account["_lists"]["image"]
    pages, after = [], None
    while True:
        params = {"fields": "hash,url,width,height,status", "limit": "5", **({"after": after} if after else {})}
        body = ok(get(http, sim, f"{ACT}/adimages", **params))
        pages.append(body["data"])
        if "next" not in body.get("paging", {}):
            break
        after = body["paging"]["cursors"]["after"]
    assert [i["hash"] for page in pages for i in page] == [i["hash"] for i in images] and len(pages) > 1
    used = {c["image_hash"] for c in account["_lists"]["creative"] if c.get("image_hash")}
    assert used == {i["hash"] for i in images}
    wanted = [images[2]["hash"], images[0]["hash"]]
    picked = ok(get(http, sim, f"{ACT}/adimages", fields="hash", hashes=json.dumps(wanted)))
    assert sorted(i["hash"] for i in picked["data"]) == sorted(wanted)
    videos = ok(get(http, sim, f"{ACT}/advideos", fields="id,title,length,status", limit="100"))
    assert [v["id"] for v in videos["data"]] == [v["id"] for v in account["_lists"]["video"]]
    assert all(v["status"]["video_status"] == "ready" and v["length"] > 0 for v in videos["data"])
    e = err(get(http, sim, f"{ACT}/adimages", filtering=json.dumps([{"field": "adimage.name", "operator": "EQUAL"}])))
    assert e["code"] == 100


def test_a_business_lists_its_owned_and_client_ad_accounts(http):
    with SimulatorServer(BASE_CONFIG.replace(accounts=3, campaigns=1)) as server:
        business = server.world.accounts[0]["_business_id"]
        owned = ok(get(http, server, f"{business}/owned_ad_accounts", fields="id,account_status,currency"))
        client = ok(get(http, server, f"{business}/client_ad_accounts", fields="id"))
        everyone = ok(get(http, server, "me/adaccounts", fields="id", limit="2"))
    assert [a["id"] for a in owned["data"]] == ["act_1000000001", "act_1000000003"]
    assert [a["id"] for a in client["data"]] == ["act_1000000002"]
    assert owned["data"][0]["account_status"] == 1 and len(everyone["data"]) == 2 and "next" in everyone["paging"]


def test_an_account_status_change_shows_on_the_account_node(fresh, http):
    changed = http.post(
        fresh.url("/__sim/mutate"),
        json={"action": "set_account_status", "id": ACT, "account_status": 2, "disable_reason": 3},
    )
    assert changed.status_code == 200, changed.text
    body = ok(get(http, fresh, ACT, fields="account_status,disable_reason"))
    assert (body["account_status"], body["disable_reason"]) == (2, 3)
    bad = http.post(fresh.url("/__sim/mutate"), json={"action": "set_account_status", "id": ACT})
    assert bad.status_code == 400
