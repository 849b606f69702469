"""The creative library: ad creatives, ad images and ad videos, each its own collection, one document per tenant
and Meta object (`_id` from entity_key). Ads link to creatives by `creative.id`; creatives to images by hash
(`image_hashes`) and to videos by id (`video_ids`)."""

from __future__ import annotations

from mongoengine import (
    BooleanField,
    DateTimeField,
    DictField,
    Document,
    FloatField,
    IntField,
    ListField,
    ObjectIdField,
    StringField,
)


class SyncedObject(Document):
    """Fields shared by every object synced from an ad account's edges: campaigns, ad sets and ads
    (metasync.store.documents) and the library's creatives, images and videos."""

    id = StringField(primary_key=True)  # "<tenant_id>:<meta_id>" (entity_key)
    meta_id = StringField(required=True)  # Meta's id (an image's: its hash)
    tenant_id = StringField(required=True)
    connection = ObjectIdField(required=True)
    ad_account_id = StringField()
    name = StringField()
    status = StringField()
    created_time = DateTimeField()
    updated_time = DateTimeField()
    raw = DictField()
    first_seen_at = DateTimeField()
    last_seen_at = DateTimeField()
    synced_at = DateTimeField()
    # Set when a full sync no longer finds the object in Meta at all.
    missing_from_meta = BooleanField(default=False)

    meta = {"abstract": True}


class _LibraryItem(SyncedObject):
    meta = {"abstract": True}


def _library_indexes(*extra) -> list:
    return [{"fields": ["tenant_id", "meta_id"], "unique": True}, "connection", *extra]


class AdCreative(_LibraryItem):
    title = StringField()
    body = StringField()
    call_to_action_type = StringField()
    image_url = StringField()
    image_hash = StringField()
    video_id = StringField()
    thumbnail_url = StringField()
    object_story_id = StringField()
    effective_object_story_id = StringField()
    object_type = StringField()
    url_tags = StringField()
    object_story_spec = DictField()
    asset_feed_spec = DictField()  # a dynamic creative's alternative texts, images and videos
    # Every image hash and video id the creative uses (its own, its story's, its asset feed's): the links.
    image_hashes = ListField(StringField())
    video_ids = ListField(StringField())

    meta = {"collection": "ad_creatives", "indexes": _library_indexes()}


class AdImage(_LibraryItem):
    image_id = StringField()  # Meta's "<account digits>:<hash>"
    url = StringField()
    url_128 = StringField()
    width = IntField()
    height = IntField()

    meta = {"collection": "ad_images", "indexes": _library_indexes()}


class AdVideo(_LibraryItem):
    title = StringField()
    length = FloatField()  # seconds
    picture = StringField()

    meta = {"collection": "ad_videos", "indexes": _library_indexes()}


LIBRARY_DOCUMENTS = (AdCreative, AdImage, AdVideo)
