"""Node-field fidelity: every field Meta documents on a node is accepted (answered when the world models it, else
omitted), and only a field Meta does not have is refused; `fields` may also be a JSON array, in GET, POST and batch."""

from __future__ import annotations

import json

import pytest

from metasync.simulator.call import comma_fields
from metasync.simulator.node_fields import DOCUMENTED_FIELDS
from tests.simulator_helpers import ACT, TOKEN, err, get, ok, shared_server_fixtures

sim, http, _clean_faults = shared_server_fixtures()


def first(sim, kind: str) -> dict:
    return sim.world.accounts[0]["_lists"][kind][0]


def node_id(sim, node: str) -> str:
    account = sim.world.accounts[0]
    if node == "AdAccount":
        return ACT
    if node == "Business":
        return account["_business_id"]
    kind = {"Campaign": "campaign", "AdSet": "adset", "Ad": "ad", "AdCreative": "creative"}.get(node)
    if kind:
        return first(sim, kind)["id"]
    return first(sim, {"AdImage": "image", "AdVideo": "video"}[node])["id"]


# (node, a documented field the world models, documented fields it does not model)
CASES = [
    ("Campaign", "objective", ["boosted_object_id", "adbatch", "promoted_object"]),
    ("AdSet", "optimization_goal", ["bid_info", "daily_min_spend_target", "adset_schedule"]),
    ("Ad", "tracking_specs", ["bid_type", "ad_active_time", "creative_asset_groups_spec"]),
    ("AdCreative", "object_story_spec", ["degrees_of_freedom_spec", "image_crops"]),
    ("AdAccount", "amount_spent", ["tax_id", "funding_source_details", "capabilities"]),
    ("AdImage", "hash", ["bytes", "creatives"]),
    ("AdVideo", "length", ["views", "embed_html"]),
]


@pytest.mark.parametrize(("node", "modeled", "unmodeled"), CASES, ids=[case[0] for case in CASES])
def test_documented_fields_are_answered_or_omitted_and_never_refused(sim, http, node, modeled, unmodeled):
    body = ok(get(http, sim, node_id(sim, node), fields=",".join([modeled, *unmodeled])))

    assert body[modeled] not in (None, "")
    assert not set(unmodeled) & set(body)
    assert set(unmodeled) <= DOCUMENTED_FIELDS[node]


@pytest.mark.parametrize("node", [case[0] for case in CASES] + ["Business"])
def test_a_field_meta_does_not_have_is_refused_as_nonexisting(sim, http, node):
    e = err(get(http, sim, node_id(sim, node), fields="id,not_a_real_field"))
    assert e["code"] == 100 and f"nonexisting field (not_a_real_field) on node type ({node})" in e["message"]


def test_edges_and_nested_selections_accept_documented_fields_too(sim, http):
    body = ok(get(http, sim, f"{ACT}/ads", fields="id,bid_type,creative{id,degrees_of_freedom_spec,object_type}"))
    assert body["data"] and all("bid_type" not in ad and "object_type" in ad["creative"] for ad in body["data"])
    e = err(get(http, sim, f"{ACT}/ads", fields="id,creative{id,bogus}"))
    assert "nonexisting field (bogus) on node type (AdCreative)" in e["message"]


def test_fields_as_a_json_array_read_as_the_same_comma_list():
    assert comma_fields('["ad_id", "spend","creative{id,name}"]') == "ad_id,spend,creative{id,name}"
    assert comma_fields("id,name") == "id,name"
    assert comma_fields('["id", 3]') == '["id", 3]'  # not a list of names: left for the parser to refuse
    assert comma_fields("[broken") == "[broken"


def test_json_array_fields_work_in_get_post_and_batch_items(sim, http):
    campaign = first(sim, "campaign")
    as_list = ok(get(http, sim, campaign["id"], fields=json.dumps(["name", "objective"])))
    assert as_list == ok(get(http, sim, campaign["id"], fields="name,objective"))

    posted = http.post(
        f"{sim.graph_url}/{ACT}/insights",
        data={
            "access_token": TOKEN,
            "level": "ad",
            "date_preset": "last_7d",
            "time_increment": "1",
            "fields": json.dumps(["ad_id", "spend", "impressions"]),
        },
    )
    assert "report_run_id" in ok(posted)

    batch = [
        {"method": "GET", "relative_url": f"{campaign['id']}?fields=%5B%22name%22%2C%22objective%22%5D"},
        {"method": "GET", "relative_url": campaign["id"], "body": "fields=" + json.dumps(["name"])},
    ]
    items = ok(http.post(sim.graph_url, data={"access_token": TOKEN, "batch": json.dumps(batch)}))
    bodies = [json.loads(item["body"]) for item in items]
    assert [item["code"] for item in items] == [200, 200]
    assert bodies[0] == {"id": campaign["id"], "name": campaign["name"], "objective": campaign["objective"]}
    assert bodies[1] == {"id": campaign["id"], "name": campaign["name"]}


def test_account_fields_serve_status_money_and_business(sim, http):
    fields = "account_status,disable_reason,spend_cap,amount_spent,balance,min_daily_budget,business{id,name}"
    body = ok(get(http, sim, ACT, fields=fields))
    assert (body["account_status"], body["disable_reason"]) == (1, 0)
    assert body["amount_spent"] == "2500000" and body["balance"] == "4217" and body["min_daily_budget"] == 100
    assert body["business"]["name"] == "Simulated Business" and body["business"]["id"] == node_id(sim, "Business")
