"""The creative library: creatives, images and videos in their own collections, linked from ads and creatives, read
whole by a full sync and, incrementally, only through the ads that changed."""

from __future__ import annotations

import pytest
import requests

from metasync.connections.registry import remove_connection, upsert_connection
from metasync.entities.spec import CREATIVE, IMAGE, VIDEO, creative_media
from metasync.entities.sync import LIBRARY_WATERMARK, sync_meta_connection
from metasync.store.accounts import AdAccount
from metasync.store.documents import Ad, MetaConnection
from metasync.store.library import AdCreative, AdImage, AdVideo
from tests.helpers import TOKEN
from tests.simulator_helpers import ACT, calls_by_route, graph_server_fixture, metasync_world, sim_mutate

pytestmark = pytest.mark.services

sim = graph_server_fixture(metasync_world(campaigns=4, ad_sets_per_campaign=2, ads_per_ad_set=3, days=3))


@pytest.fixture
def synced(sim):
    connection, _ = upsert_connection("t1", ACT, TOKEN, user_id="42")
    result = sync_meta_connection(connection, full=True)
    return MetaConnection.objects.get(id=connection.id), result


def world_counts(sim) -> dict[str, int]:
    return requests.get(sim.url("/__sim/world"), timeout=5).json()["accounts"][0]["counts"]


def rename(sim, object_id: str) -> None:
    sim_mutate(sim, action="rename", id=object_id, name="renamed")


def test_a_full_sync_stores_every_creative_image_and_video_of_the_account(sim, synced):
    connection, result = synced
    counts = world_counts(sim)

    assert result["creatives_synced"] == counts["adcreatives"] == AdCreative.objects(tenant_id="t1").count()
    assert result["images_synced"] == counts["adimages"] == AdImage.objects(tenant_id="t1").count()
    assert result["videos_synced"] == counts["advideos"] == AdVideo.objects(tenant_id="t1").count()
    assert counts["advideos"] > 0 and counts["adimages"] > 0
    creative = AdCreative.objects(tenant_id="t1").first()
    assert creative.id == f"t1:{creative.meta_id}" and creative.connection == connection.id
    assert creative.object_story_spec and creative.effective_object_story_id and creative.url_tags
    assert creative.object_type in ("SHARE", "VIDEO") and creative.thumbnail_url


def test_ads_link_to_their_creatives_and_creatives_to_their_images_and_videos(synced):
    for ad in Ad.objects(tenant_id="t1"):
        creative = AdCreative.objects.get(id=f"t1:{ad.creative['id']}")
        assert creative.image_hashes or creative.video_ids
        for image_hash in creative.image_hashes:
            image = AdImage.objects.get(id=f"t1:{image_hash}")
            assert image.url and image.width and image.height and image.image_id.endswith(image_hash)
        for video_id in creative.video_ids:
            video = AdVideo.objects.get(id=f"t1:{video_id}")
            assert video.length > 0 and video.status == "ready" and video.picture


def test_a_dynamic_creative_keeps_its_asset_feed_and_links_its_alternatives():
    creative = {
        "id": "5",
        "image_hash": "aa",
        "object_story_spec": {"link_data": {"child_attachments": [{"image_hash": "bb"}, {"video_id": "7"}]}},
        "asset_feed_spec": {"images": [{"hash": "cc"}, {"hash": "aa"}], "videos": [{"video_id": "8"}]},
    }
    assert creative_media(creative) == (["aa", "bb", "cc"], ["7", "8"])


def test_an_incremental_sync_reads_no_library_edge_and_follows_the_ads_that_changed(sim, synced):
    connection, _ = synced
    ad = Ad.objects(tenant_id="t1").order_by("meta_id").first()
    before = calls_by_route(sim)
    rename(sim, ad.meta_id)

    result = sync_meta_connection(connection)

    after = calls_by_route(sim)
    assert result["mode"] == "incremental"
    for edge in ("adcreatives", "adimages", "advideos"):
        assert after.get(f"GET act/{edge}", 0) == before.get(f"GET act/{edge}", 0)
    assert result["creatives_synced"] >= 1  # the renamed ad's creative, from the ad itself
    assert AdCreative.objects.get(id=f"t1:{ad.creative['id']}").synced_at > ad.synced_at


def test_new_images_and_videos_of_changed_ads_are_read_by_hash_and_id(sim, synced):
    connection, _ = synced
    image_creative = AdCreative.objects(tenant_id="t1", video_id=None).first()
    video_creative = AdCreative.objects(tenant_id="t1", video_id__ne=None).first()
    AdImage.objects(id=f"t1:{image_creative.image_hash}").delete()
    AdVideo.objects(id=f"t1:{video_creative.video_id}").delete()
    for creative in (image_creative, video_creative):
        rename(sim, Ad.objects.get(tenant_id="t1", creative__id=creative.meta_id).meta_id)
    before = calls_by_route(sim)

    result = sync_meta_connection(connection)

    after = calls_by_route(sim)
    assert after["GET act/adimages"] - before["GET act/adimages"] == 1  # one call for the missing hash
    assert after["GET node"] - before.get("GET node", 0) == 1  # one node read for the missing video
    assert (result["images_synced"], result["videos_synced"]) == (1, 1)
    assert AdImage.objects(id=f"t1:{image_creative.image_hash}").count() == 1
    assert AdVideo.objects(id=f"t1:{video_creative.video_id}").count() == 1


def test_a_connection_synced_before_the_library_existed_reads_it_whole_once(sim, synced):
    connection, _ = synced
    watermarks = dict(connection.watermarks)
    watermarks.pop(LIBRARY_WATERMARK)
    MetaConnection.objects(id=connection.id).update_one(set__watermarks=watermarks)
    for document in (AdCreative, AdImage, AdVideo):
        document.objects(tenant_id="t1").delete()

    result = sync_meta_connection(MetaConnection.objects.get(id=connection.id))

    assert result["mode"] == "incremental"
    assert result["creatives_synced"] == world_counts(sim)["adcreatives"] == AdCreative.objects.count()
    again = sync_meta_connection(MetaConnection.objects.get(id=connection.id))
    # then it follows the ads read (those inside the watermark overlap), and every image and video is stored already
    assert again["creatives_synced"] == again["ads_synced"]
    assert again["images_synced"] == again["videos_synced"] == 0


def test_purge_removes_the_library_and_the_account_with_the_connection(synced):
    connection, _ = synced
    other, _ = upsert_connection("t2", ACT, TOKEN)
    AdCreative(id="t2:1", meta_id="1", tenant_id="t2", connection=other.id).save()

    removed = remove_connection(connection, purge=True)

    assert removed > 0
    for document in (AdCreative, AdImage, AdVideo, AdAccount):
        assert document.objects(tenant_id="t1").count() == 0
    assert AdCreative.objects(tenant_id="t2").count() == 1  # another tenant's library is untouched


@pytest.mark.parametrize("spec", (CREATIVE, IMAGE, VIDEO), ids=lambda spec: spec.level)
def test_each_library_document_declares_exactly_what_its_mapper_stores(spec):
    from tests.test_entities_spec import CTX, WRITER_FIELDS

    stored = set(spec.mapper({"id": "42", "hash": "ab12"}, CTX))
    assert set(spec.document._fields) - WRITER_FIELDS == stored - {"_id"}
    assert spec.fields[: len(spec.common_fields)] == spec.common_fields
