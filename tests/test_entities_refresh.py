"""Re-reading one campaign, ad set or ad after a webhook: the entity mapping, missing parents, deletions, other
accounts, and a rejected token."""

from __future__ import annotations

import pytest

from metasync.entities.refresh import sync_ad_from_webhook, sync_campaign_from_webhook, sync_entity_from_webhook
from metasync.entities.spec import AD_SET, CAMPAIGN
from metasync.entities.sync import upsert_payload
from metasync.runs.lifecycle import SyncFailed
from metasync.store.documents import Ad, AdSet, Campaign, MetaConnection, SyncRun
from tests.graph_fakes import GRAPH, ad, ad_set, campaign, error_body, query_of

# The account node gives currency and timezone to a connection never synced before.
pytestmark = [pytest.mark.services, pytest.mark.usefixtures("account_graph")]


def node_calls(graph) -> list[str]:
    return [
        call.request.path_url.split("?")[0].rsplit("/", 1)[1]
        for call in graph.calls
        if "act_" not in call.request.path_url
    ]


def test_campaign_webhook_stores_the_campaign_through_the_entity_mapping(connection, graph):
    graph.add("GET", f"{GRAPH}/1", json=campaign("1", name="Spring sale", daily_budget="5000"))

    result = sync_campaign_from_webhook(connection, "1")

    stored = Campaign.objects.get(tenant_id="tenant-a", meta_id="1")
    assert (stored.name, stored.daily_budget, stored.currency, stored.status) == ("Spring sale", 5000, "USD", "ACTIVE")
    assert query_of(graph.calls[-1].request)["fields"] == CAMPAIGN.fields_param()
    assert result["campaigns_synced"] == 1
    run = SyncRun.objects.get(connection=connection.id)
    assert (run.kind, run.trigger, run.status, run.api_calls) == ("ENTITY", "webhook", "SUCCESS", 2)


def test_ad_webhook_also_reads_the_parents_missing_locally(connection, graph):
    graph.add("GET", f"{GRAPH}/3", json=ad("3", "2", "1"))
    graph.add("GET", f"{GRAPH}/2", json=ad_set("2", "1"))
    graph.add("GET", f"{GRAPH}/1", json=campaign("1"))

    result = sync_ad_from_webhook(connection, "3")

    assert node_calls(graph) == ["3", "2", "1"]
    assert (result["ads_synced"], result["ad_sets_synced"], result["campaigns_synced"]) == (1, 1, 1)
    assert Ad.objects.get(meta_id="3").ad_set_id == "2"
    assert AdSet.objects.get(meta_id="2").campaign_id == "1"


def test_parents_already_stored_are_not_read_again(connection, graph):
    connection.currency = "USD"
    upsert_payload(CAMPAIGN, campaign("1"), connection)
    upsert_payload(AD_SET, ad_set("2", "1"), connection)
    graph.add("GET", f"{GRAPH}/3", json=ad("3", "2", "1", name="New copy"))

    sync_ad_from_webhook(connection, "3")

    assert node_calls(graph) == ["3"]
    assert Ad.objects.get(meta_id="3").name == "New copy"


def test_object_deleted_in_meta_is_marked_deleted(connection, graph):
    connection.currency = "USD"
    upsert_payload(CAMPAIGN, campaign("1"), connection)
    graph.add(
        "GET",
        f"{GRAPH}/1",
        status=400,
        json=error_body(100, "Unsupported get request. Object with ID '1' does not exist", subcode=33),
    )

    result = sync_campaign_from_webhook(connection, "1")

    stored = Campaign.objects.get(meta_id="1")
    assert (stored.status, stored.missing_from_meta, result["marked_deleted"]) == ("DELETED", True, 1)


def test_deleted_object_never_stored_leaves_no_placeholder(connection, graph):
    graph.add("GET", f"{GRAPH}/1", status=400, json=error_body(100, "does not exist", subcode=33))

    assert sync_campaign_from_webhook(connection, "1")["marked_deleted"] == 0
    assert Campaign.objects.count() == 0


def test_object_of_another_ad_account_is_not_stored(connection, graph):
    graph.add("GET", f"{GRAPH}/1", json=campaign("1", account_id="999"))

    assert sync_campaign_from_webhook(connection, "1")["skipped_foreign"] == 1
    assert Campaign.objects.count() == 0


def test_rejected_token_marks_the_connection_expired(connection, graph):
    connection.currency = "USD"
    graph.add("GET", f"{GRAPH}/1", status=400, json=error_body(190, "Error validating access token", 463))

    with pytest.raises(SyncFailed, match="re-authenticate"):
        sync_campaign_from_webhook(connection, "1")

    assert MetaConnection.objects.get(id=connection.id).status == "EXPIRED"
    assert SyncRun.objects.get(connection=connection.id).status == "FAILED"


def test_unknown_level_is_refused(connection):
    with pytest.raises(ValueError, match="CREATIVE"):
        sync_entity_from_webhook(connection, "CREATIVE", "1")
