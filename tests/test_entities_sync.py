"""Entity sync end to end: Graph answers scripted with `responses`, documents in the real MongoDB-compatible
server; full and incremental reads, deletions, failures and the run record."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from metasync.connections.registry import upsert_connection
from metasync.entities.spec import CAMPAIGN
from metasync.entities.sync import sync_meta_connection, upsert_payload
from metasync.runs.lifecycle import SyncFailed
from metasync.store.documents import Ad, AdSet, Campaign, MetaConnection, SyncRun
from tests.graph_fakes import GRAPH, FakeAccount, ad, ad_set, campaign, error_body

pytestmark = pytest.mark.services


@pytest.fixture
def account(graph):
    fake = FakeAccount(graph)
    fake.edges["campaigns"] = [
        campaign("1", updated_time="2025-11-01T10:00:00-0800"),
        campaign("2", effective_status="PAUSED", status="PAUSED", updated_time="2025-11-02T10:00:00-0800"),
    ]
    fake.edges["adsets"] = [
        ad_set("11", "1", updated_time="2025-11-03T10:00:00-0800"),
        ad_set("21", "2", effective_status="CAMPAIGN_PAUSED", updated_time="2025-11-04T10:00:00-0800"),
    ]
    fake.edges["ads"] = [
        ad("111", "11", "1", updated_time="2025-11-05T10:00:00-0800"),
        ad("211", "21", "2", effective_status="CAMPAIGN_PAUSED", updated_time="2025-11-06T10:00:00-0800"),
    ]
    return fake


def test_full_sync_writes_every_entity_with_parent_links(connection, account):
    result = sync_meta_connection(connection, full=True)

    assert (result["campaigns_synced"], result["ad_sets_synced"], result["ads_synced"]) == (2, 2, 2)
    assert result["mode"] == "full"
    # account details + one page per edge (campaigns, ad sets, ads, creatives, images, videos)
    assert result["api_calls"] == 7
    ad_doc = Ad.objects.get(meta_id="111")
    assert (ad_doc.ad_set_id, ad_doc.campaign_id, ad_doc.tenant_id) == ("11", "1", "tenant-a")
    assert ad_doc.connection == connection.id
    assert AdSet.objects.get(meta_id="21").status == "PAUSED"
    assert Campaign.objects.get(meta_id="1").daily_budget == 2000
    assert Campaign.objects.get(meta_id="1").currency == "USD"
    assert MetaConnection.objects.get(id=connection.id).currency == "USD"


def test_resync_changes_nothing_and_duplicates_nothing(connection, account, mongo):
    sync_meta_connection(connection, full=True)
    first = {
        d["meta_id"]: {k: v for k, v in d.items() if k not in ("synced_at", "last_seen_at")}
        for d in mongo["campaigns"].find()
    }
    sync_meta_connection(connection, full=True)
    second = {
        d["meta_id"]: {k: v for k, v in d.items() if k not in ("synced_at", "last_seen_at")}
        for d in mongo["campaigns"].find()
    }

    assert first == second
    assert (Campaign.objects.count(), AdSet.objects.count(), Ad.objects.count()) == (2, 2, 2)


def test_follows_next_past_a_short_page(connection, graph):
    fake = FakeAccount(graph)
    fake.edges["campaigns"] = [campaign(str(i)) for i in range(1, 8)]
    # A short page (privacy filtering dropped items) that still has a next link.
    graph.replace(
        "GET",
        f"{GRAPH}/act_123/campaigns",
        json={"data": [campaign("1")], "paging": {"next": f"{GRAPH}/act_123/campaigns?after=b2s&limit=100"}},
    )
    graph.add("GET", f"{GRAPH}/act_123/campaigns", json={"data": [campaign("2"), campaign("3")]})

    result = sync_meta_connection(connection, full=True)

    assert result["campaigns_synced"] == 3
    assert sorted(Campaign.objects.values_list("meta_id")) == ["1", "2", "3"]


def test_pagination_across_many_pages_uses_minimum_calls(connection, graph, settings_env):
    fake = FakeAccount(graph)
    fake.edges["ads"] = [ad(str(1000 + i), "11", "1") for i in range(250)]
    settings_env(META_PAGE_SIZE="100")

    result = sync_meta_connection(connection, full=True)

    assert result["ads_synced"] == 250
    assert fake.calls["ads"] == 3
    assert Ad.objects.count() == 250


def test_archived_and_deleted_objects_are_requested_and_not_left_active(connection, account):
    sync_meta_connection(connection, full=True)
    account.edges["campaigns"][0].update(
        effective_status="ARCHIVED", status="ARCHIVED", updated_time="2025-11-20T10:00:00-0800"
    )

    sync_meta_connection(connection, full=True)

    assert Campaign.objects.get(meta_id="1").status == "ARCHIVED"
    assert Campaign.objects.get(meta_id="1").effective_status == "ARCHIVED"


def test_objects_gone_from_meta_are_marked_deleted_by_full_sync(connection, account):
    sync_meta_connection(connection, full=True)
    account.edges["ads"] = [a for a in account.edges["ads"] if a["id"] != "211"]

    result = sync_meta_connection(connection, full=True)

    gone = Ad.objects.get(meta_id="211")
    assert gone.status == "DELETED" and gone.missing_from_meta is True
    assert Ad.objects.get(meta_id="111").status == "ACTIVE"
    assert result["marked_deleted"] == 1


def test_incremental_sync_fetches_only_changes_since_watermark(connection, account):
    sync_meta_connection(connection)  # first sync is full
    account.edges["campaigns"][1].update(name="Renamed", updated_time="2025-12-01T09:00:00-0800")

    result = sync_meta_connection(connection)

    assert result["mode"] == "incremental"
    assert result["campaigns_synced"] == 1
    # Only the newest ad set and ad fall inside the watermark overlap; nothing older is read again.
    assert (result["ad_sets_synced"], result["ads_synced"]) == (1, 1)
    assert Campaign.objects.get(meta_id="2").name == "Renamed"
    stored = MetaConnection.objects.get(id=connection.id).watermarks["campaigns"]
    assert stored.replace(tzinfo=timezone.utc) == datetime(2025, 12, 1, 17, 0, tzinfo=timezone.utc)


def test_incremental_sync_refreshes_children_when_parent_status_changes(connection, account):
    sync_meta_connection(connection)
    # Pausing campaign 1 changes its children's effective status but not their updated_time.
    account.edges["campaigns"][0].update(
        effective_status="PAUSED", status="PAUSED", updated_time="2025-12-01T09:00:00-0800"
    )
    account.edges["adsets"][0]["effective_status"] = "CAMPAIGN_PAUSED"
    account.edges["ads"][0]["effective_status"] = "CAMPAIGN_PAUSED"

    result = sync_meta_connection(connection)

    assert result["mode"] == "incremental"
    assert AdSet.objects.get(meta_id="11").status == "PAUSED"
    assert Ad.objects.get(meta_id="111").effective_status == "CAMPAIGN_PAUSED"
    # The child of the changed campaign, plus the newest of each kind inside the watermark overlap; ad 111 is
    # read once even though both its campaign and its ad set changed status.
    assert result["ad_sets_synced"] == 2 and result["ads_synced"] == 2


def test_full_flag_forces_a_full_read_after_incremental(connection, account):
    sync_meta_connection(connection)
    result = sync_meta_connection(connection, full=True)
    assert result["mode"] == "full"
    assert result["campaigns_synced"] == 2


def test_bad_object_is_counted_and_the_rest_is_synced(connection, account):
    account.edges["ads"].append({"id": "not-a-number", "name": "broken", "effective_status": "ACTIVE"})
    account.edges["ads"].append(ad("311", "11", "1", daily_budget="12.5", created_time="yesterday"))

    result = sync_meta_connection(connection, full=True)

    assert result["ads_synced"] == 2
    assert result["errors"] == 2
    run = SyncRun.objects(connection=connection.id).first()
    assert run.status == "PARTIAL" and run.error_count == 2
    assert any("not-a-number" in e for e in run.errors)


def test_unknown_enum_values_are_stored_not_rejected(connection, account):
    account.edges["campaigns"][0].update(
        objective="OUTCOME_FUTURE", bid_strategy="NEW_STRATEGY", buying_type="SOMETHING"
    )

    sync_meta_connection(connection, full=True)
    upsert_payload(
        CAMPAIGN, campaign("3", effective_status="SOMETHING_NEW", configured_status="NEW_CONFIGURED"), connection
    )

    doc = Campaign.objects.get(meta_id="1")
    assert (doc.objective, doc.bid_strategy, doc.buying_type) == ("OUTCOME_FUTURE", "NEW_STRATEGY", "SOMETHING")
    new = Campaign.objects.get(meta_id="3")
    assert (new.status, new.effective_status, new.configured_status) == ("UNKNOWN", "SOMETHING_NEW", "NEW_CONFIGURED")


def test_expired_token_marks_connection_expired_and_leaves_others_untouched(mongo, redis_client, graph):
    expired, _ = upsert_connection("tenant-a", "act_123", "EAAdead")
    healthy, _ = upsert_connection("tenant-b", "act_456", "EAAalive")
    graph.add("GET", f"{GRAPH}/act_123", json=error_body(190, "Error validating access token", 463), status=400)
    fake = FakeAccount(graph, account="act_456")
    fake.edges["campaigns"] = [campaign("7")]

    with pytest.raises(SyncFailed) as failure:
        sync_meta_connection(expired)
    sync_meta_connection(healthy)

    assert "re-authenticate" in str(failure.value)
    reloaded = MetaConnection.objects.get(id=expired.id)
    assert reloaded.status == "EXPIRED" and "access token" in reloaded.last_error
    assert MetaConnection.objects.get(id=healthy.id).status == "ACTIVE"
    assert SyncRun.objects(connection=expired.id).first().status == "FAILED"
    assert Campaign.objects(tenant_id="tenant-b").count() == 1
    assert len(graph.calls) == 1 + 7  # no retries of a dead token


def test_permission_error_marks_connection_error(connection, graph):
    graph.add("GET", f"{GRAPH}/act_123", json=error_body(200, "Permissions error"), status=403)

    with pytest.raises(SyncFailed):
        sync_meta_connection(connection)

    reloaded = MetaConnection.objects.get(id=connection.id)
    assert reloaded.status == "ERROR" and "permission" in reloaded.last_error


def test_sync_run_records_counts_and_calls(connection, account):
    result = sync_meta_connection(connection, full=True, trigger="cli")

    run = SyncRun.objects(connection=connection.id).first()
    assert run.status == "SUCCESS" and run.trigger == "cli" and run.kind == "ENTITIES"
    assert run.counts == {
        "campaigns_synced": 2,
        "ad_sets_synced": 2,
        "ads_synced": 2,
        "creatives_synced": 0,
        "images_synced": 0,
        "videos_synced": 0,
    }
    assert run.api_calls == result["api_calls"] and run.finished_at is not None


def test_tenants_sharing_an_account_get_separate_documents(mongo, redis_client, graph):
    first, _ = upsert_connection("tenant-a", "act_123", "EAAa")
    second, _ = upsert_connection("tenant-b", "act_123", "EAAb")
    fake = FakeAccount(graph)
    fake.edges["campaigns"] = [campaign("1")]

    sync_meta_connection(first)
    sync_meta_connection(second)

    assert Campaign.objects(meta_id="1").count() == 2
    assert {c.tenant_id for c in Campaign.objects(meta_id="1")} == {"tenant-a", "tenant-b"}
