"""The simulator's writes: POST /<id> (read-after-write with `fields=`), DELETE /<id>, batch writes, Meta's
refusals, the write limits, write faults, the world (and its insights) changing, and the webhook of a write."""

from __future__ import annotations

import json
import queue
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from metasync.simulator import SimulatorServer
from tests.simulator_helpers import BASE_CONFIG, TOKEN, V, err, get, ok, session_fixture

http = session_fixture()


@pytest.fixture
def sim():
    with SimulatorServer(BASE_CONFIG.replace(campaigns=8)) as server:
        yield server


def post(http, sim, object_id, **form):
    form.setdefault("access_token", TOKEN)
    return http.post(f"{sim.graph_url}/{object_id}", data=form)


def first(sim, kind, **wanted):
    for obj in sim.world.accounts[0]["_lists"][kind]:
        if obj["configured_status"] == "ACTIVE" and all(
            (value(obj.get(k)) if callable(value) else obj.get(k) == value) for k, value in wanted.items()
        ):
            return obj
    raise AssertionError(f"no {kind} with {wanted}")


def test_a_post_changes_the_object_and_answers_it_back_with_fields(http, sim):
    adset = first(sim, "adset", daily_budget=bool)
    body = ok(post(http, sim, adset["id"], daily_budget="7000", name="Renamed", fields="id,name,daily_budget"))
    assert body == {"success": True, "id": adset["id"], "name": "Renamed", "daily_budget": "7000"}
    read = ok(get(http, sim, adset["id"], fields="name,daily_budget,updated_time"))
    assert read["daily_budget"] == "7000" and read["updated_time"] != adset.get("created_time")
    assert ok(post(http, sim, adset["id"], status="PAUSED")) == {"success": True}


def test_pausing_a_campaign_pauses_what_is_under_it(http, sim):
    campaign = first(sim, "campaign")
    ok(post(http, sim, campaign["id"], status="PAUSED"))
    adset_id = campaign["_adsets"][0]
    assert ok(get(http, sim, adset_id, fields="effective_status"))["effective_status"] == "CAMPAIGN_PAUSED"


def test_delete_is_status_deleted_and_then_nothing_changes_it(http, sim):
    ad = first(sim, "ad")
    assert ok(http.delete(f"{sim.graph_url}/{ad['id']}", params={"access_token": TOKEN})) == {"success": True}
    assert sim.world.objects[ad["id"]]["configured_status"] == "DELETED"
    assert err(post(http, sim, ad["id"], status="ACTIVE"))["error_subcode"] == 1487056


def _not_cbo_campaign(sim):
    return first(sim, "campaign", _cbo=False)


def _lifetime_holder(sim):
    """A campaign or ad set (not archived or deleted) that holds a lifetime budget."""
    lists = sim.world.accounts[0]["_lists"]
    return next(
        o
        for kind in ("campaign", "adset")
        for o in lists[kind]
        if o.get("lifetime_budget") and o["configured_status"] in ("ACTIVE", "PAUSED")
    )


@pytest.mark.parametrize(
    ("pick", "form", "subcode"),
    [
        (lambda s: first(s, "adset", daily_budget=bool), {"daily_budget": "50"}, 1885272),
        (lambda s: first(s, "campaign", _cbo=True, daily_budget=bool), {"daily_budget": "99"}, 1885272),
        (lambda s: s.world.objects[first(s, "campaign", _cbo=True)["_adsets"][0]], {"daily_budget": "5000"}, 1885621),
        (_not_cbo_campaign, {"daily_budget": "5000"}, 1885622),
        (lambda s: first(s, "adset", daily_budget=bool), {"lifetime_budget": "90000"}, 1885623),
        (lambda s: first(s, "adset", daily_budget=bool), {"daily_budget": "5000", "lifetime_budget": "9"}, 1885623),
        (lambda s: first(s, "adset", daily_budget=bool), {"end_time": "2020-01-01T00:00:00+0000"}, 1885184),
        (_lifetime_holder, {"lifetime_budget": "200000000"}, 1885261),
    ],
)
def test_meta_s_validation_errors(http, sim, pick, form, subcode):
    obj = pick(sim)
    before = dict(obj)
    error = err(post(http, sim, obj["id"], **form))
    assert (error["code"], error["error_subcode"]) == (100, subcode)
    assert {k: v for k, v in obj.items() if not k.startswith("_")} == {
        k: v for k, v in before.items() if not k.startswith("_")
    }


def test_a_lifetime_budget_needs_an_end_time(http, sim):
    holder = _lifetime_holder(sim)
    holder.pop("stop_time", None)
    holder.pop("end_time", None)
    assert err(post(http, sim, holder["id"], lifetime_budget="500000"))["error_subcode"] == 1885146


def test_archived_objects_can_only_be_deleted(http, sim):
    archived = next(o for o in sim.world.accounts[0]["_lists"]["adset"] if o["configured_status"] == "ARCHIVED")
    assert err(post(http, sim, archived["id"], status="ACTIVE"))["error_subcode"] == 1487057
    assert ok(post(http, sim, archived["id"], status="DELETED")) == {"success": True}


def test_fields_that_cannot_be_written_are_refused(http, sim):
    ad = first(sim, "ad")
    assert "daily_budget" in err(post(http, sim, ad["id"], daily_budget="5000"))["message"]


def test_a_fifth_budget_change_within_an_hour_gets_17_and_blocks_the_ad_set_for_an_hour(http, sim):
    adset = first(sim, "adset", daily_budget=bool)
    for n in range(4):
        ok(post(http, sim, adset["id"], daily_budget=str(5000 + n)))
    assert err(post(http, sim, adset["id"], daily_budget="6000"))["code"] == 17
    ok(post(http, sim, adset["id"], name="Other fields still change"))
    sim.app.writes.clock = lambda: time.time() + 3000  # the oldest four are out of the window, the block is not
    assert err(post(http, sim, adset["id"], daily_budget="6000"))["code"] == 17
    sim.app.writes.clock = lambda: time.time() + 3700
    ok(post(http, sim, adset["id"], daily_budget="6000"))


def test_too_many_mutations_on_the_account_get_613(http, sim):
    ok(http.post(sim.url("/__sim/config"), json={"account_mutations_per_hour": 2}))
    campaign = first(sim, "campaign")
    ok(post(http, sim, campaign["id"], name="a"))
    ok(post(http, sim, campaign["id"], name="b"))
    error = err(post(http, sim, campaign["id"], name="c"))
    assert (error["code"], error["error_subcode"]) == (613, 1487742)


def test_batch_writes_run_each_item_and_a_timed_out_item_answers_null(http, sim):
    one, two = [o for o in sim.world.accounts[0]["_lists"]["campaign"] if o["configured_status"] == "ACTIVE"][:2]
    ok(http.post(sim.url("/__sim/faults"), json={"null_batch_items": 1}))
    batch = [
        {"method": "POST", "relative_url": f"{V}/{one['id']}", "body": "name=first"},
        {"method": "POST", "relative_url": f"{V}/{two['id']}", "body": "name=second&fields=name"},
    ]
    answers = ok(http.post(f"{sim.graph_url}/", data={"access_token": TOKEN, "batch": json.dumps(batch)}))
    assert answers[0] is None and sim.world.objects[one["id"]]["name"] != "first"
    assert json.loads(answers[1]["body"]) == {"success": True, "name": "second", "id": two["id"]}


def test_injected_write_failures_hit_only_the_named_objects(http, sim):
    one, two = [o for o in sim.world.accounts[0]["_lists"]["campaign"] if o["configured_status"] == "ACTIVE"][:2]
    ok(http.post(sim.url("/__sim/faults"), json={"fail_writes": {"count": 1, "code": 2, "ids": [one["id"]]}}))
    ok(post(http, sim, two["id"], name="fine"))
    error = err(post(http, sim, one["id"], name="x"), status=500)
    assert error["code"] == 2 and error["is_transient"] is True
    ok(post(http, sim, one["id"], name="x"))  # the fault was used up


def _spend_today(http, sim, scope):
    rows = ok(get(http, sim, f"{scope}/insights", fields="spend", date_preset="today"))["data"]
    return sum(round(float(r["spend"]) * 100) for r in rows)


def test_paused_objects_stop_spending_and_a_bigger_budget_spends_more_from_then_on(http, sim):
    adset = next(
        o
        for o in sim.world.accounts[0]["_lists"]["adset"]
        if o.get("daily_budget") and o["effective_status"] == "ACTIVE" and _spend_today(http, sim, o["id"]) > 0
    )
    spend = _spend_today(http, sim, adset["id"])
    yesterday = ok(get(http, sim, f"{adset['id']}/insights", fields="spend", date_preset="yesterday"))["data"]
    ok(post(http, sim, adset["id"], daily_budget=str(int(adset["daily_budget"]) * 2)))
    assert spend * 19 // 10 <= _spend_today(http, sim, adset["id"]) <= spend * 2
    ok(post(http, sim, adset["id"], status="PAUSED"))
    assert _spend_today(http, sim, adset["id"]) == 0
    assert ok(get(http, sim, f"{adset['id']}/insights", fields="spend", date_preset="yesterday"))["data"] == yesterday


class _Receiver(BaseHTTPRequestHandler):
    deliveries: queue.Queue = queue.Queue()

    def do_POST(self):  # noqa: N802
        self.deliveries.put(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def test_a_write_sends_the_matching_webhook_to_the_configured_receiver(http, sim):
    receiver = HTTPServer(("127.0.0.1", 0), _Receiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{receiver.server_port}/webhooks/meta"
        ok(http.post(sim.url("/__sim/config"), json={"webhook_url": url}))
        campaign = first(sim, "campaign")
        ok(post(http, sim, campaign["id"], status="PAUSED"))
        payload = _Receiver.deliveries.get(timeout=10)
        [entry] = payload["entry"]
        assert entry["changes"] == [
            {
                "field": "in_process_ad_objects",
                "value": {"id": campaign["id"], "level": "CAMPAIGN", "status_name": "PAUSED"},
            }
        ]
    finally:
        receiver.shutdown()
