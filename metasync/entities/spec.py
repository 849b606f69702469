"""The declarative table that drives campaign, ad set and ad sync, and the creative library's (creatives, images,
videos): edge, columns, parents and document.

Each level's columns are the single source of the Graph fields it requests and the fields it stores: `fields=`
and the mapper are derived from them, and tests/test_entities_spec.py checks that each mongoengine document
declares exactly those fields.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bson import ObjectId
from mongoengine import Document

from metasync.entities.mapping import (
    MappingError,
    map_creative,
    map_issues,
    map_review_feedback,
    map_status,
    map_targeting,
    minor_units,
    parse_meta_time,
)
from metasync.graph.ids import is_meta_id
from metasync.store.documents import Ad, AdSet, Campaign, entity_key
from metasync.store.library import AdCreative, AdImage, AdVideo

COMMON_FIELDS = (
    "id",
    "account_id",
    "name",
    "status",
    "configured_status",
    "effective_status",
    "created_time",
    "updated_time",
    "issues_info",
    "recommendations",
)


@dataclass(frozen=True)
class MapContext:
    tenant_id: str
    connection_id: ObjectId
    ad_account_id: str
    currency: str | None
    now: datetime
    # When the full read this object belongs to began (a resumed full sync keeps its first attempt's); default now.
    seen_at: datetime | None = None


def _synced_object(meta_id: str, payload: dict[str, Any], ctx: MapContext) -> dict[str, Any]:
    """What every synced object stores (metasync.store.library.SyncedObject), keyed by its Meta id."""
    return {
        "_id": entity_key(ctx.tenant_id, meta_id),
        "meta_id": meta_id,
        "tenant_id": ctx.tenant_id,
        "connection": ctx.connection_id,
        "ad_account_id": ctx.ad_account_id,
        "created_time": parse_meta_time(payload.get("created_time")),
        "updated_time": parse_meta_time(payload.get("updated_time")),
        "raw": payload,
        "last_seen_at": ctx.seen_at or ctx.now,
        "synced_at": ctx.now,
        "missing_from_meta": False,
    }


def _common(payload: dict[str, Any], ctx: MapContext) -> dict[str, Any]:
    meta_id = payload.get("id")
    if not is_meta_id(meta_id):
        raise MappingError(f"object without a valid id: {str(meta_id)[:40]!r}")
    effective = payload.get("effective_status")
    configured = payload.get("configured_status") or payload.get("status")
    recommendations = [r for r in payload.get("recommendations") or [] if isinstance(r, dict)]
    return {
        **_synced_object(str(meta_id), payload, ctx),
        "name": payload.get("name"),
        "status": map_status(effective, configured),
        "effective_status": effective,
        "configured_status": configured,
        "currency": ctx.currency,
        "issues": map_issues(payload.get("issues_info")),
        "recommendations": recommendations,
    }


@dataclass(frozen=True)
class Column:
    """One stored field of a level: the Graph field it is read from (requested in `fields=`) and its conversion."""

    name: str  # the stored field
    source: str = ""  # the Graph field, as requested (default: `name`); several columns may read one field
    convert: Callable[[Any], Any] = lambda value: value
    # The conversion reads the whole object (a value gathered from several of its fields, `source` among them).
    whole: bool = False

    @property
    def graph_field(self) -> str:
        return self.source or self.name

    def read(self, payload: dict[str, Any]) -> Any:
        if self.whole:
            return self.convert(payload)
        # `creative{id,name,...}` is requested with its subfields and answered under `creative`
        return self.convert(payload.get(self.graph_field.split("{", 1)[0]))


def _id(value: Any) -> str | None:
    return None if value in (None, "") else str(value)


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _strings(value: Any) -> list[str]:
    return [str(item) for item in value or []]


BUDGETS = (
    Column("daily_budget", convert=minor_units),
    Column("lifetime_budget", convert=minor_units),
    Column("budget_remaining", convert=minor_units),
)

CAMPAIGN_COLUMNS = BUDGETS + (
    Column("objective"),
    Column("buying_type"),
    Column("bid_strategy"),
    Column("spend_cap", convert=minor_units),
    Column("special_ad_categories", convert=_strings),
    Column("start_time", convert=parse_meta_time),
    Column("stop_time", convert=parse_meta_time),
)

AD_SET_COLUMNS = BUDGETS + (
    Column("campaign_id", convert=_id),
    Column("optimization_goal"),
    Column("billing_event"),
    Column("bid_strategy"),
    Column("bid_amount", convert=minor_units),
    Column("start_time", convert=parse_meta_time),
    Column("end_time", convert=parse_meta_time),
    Column("destination_type"),
    Column("promoted_object", convert=_dict),
    Column("targeting", convert=map_targeting),
    Column("learning_phase_status", "learning_stage_info", lambda value: _dict(value).get("status")),
    Column("learning_stage_info", convert=_dict),
)


def _float(value: Any) -> float | None:
    try:
        return None if value in (None, "") else float(value)
    except (TypeError, ValueError):
        raise MappingError(f"not a number: {value!r}") from None


def _whole_number(value: Any) -> int | None:
    if value in (None, ""):
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    raise MappingError(f"not a whole number: {value!r}")


def creative_media(creative: dict[str, Any]) -> tuple[list[str], list[str]]:
    """(image hashes, video ids) a creative uses: its own, its story's (link, video, carousel cards) and its asset
    feed's (a dynamic creative's alternatives), each once."""
    story = _dict(creative.get("object_story_spec"))
    link, video = _dict(story.get("link_data")), _dict(story.get("video_data"))
    feed = _dict(creative.get("asset_feed_spec"))
    cards = [_dict(card) for card in link.get("child_attachments") or []]
    hashes = [creative.get("image_hash"), link.get("image_hash"), video.get("image_hash")]
    hashes += [card.get("image_hash") for card in cards]
    hashes += [_dict(image).get("hash") for image in feed.get("images") or []]
    videos = [creative.get("video_id"), video.get("video_id")] + [card.get("video_id") for card in cards]
    videos += [_dict(item).get("video_id") for item in feed.get("videos") or []]
    return (
        list(dict.fromkeys(str(h) for h in hashes if h)),
        list(dict.fromkeys(str(v) for v in videos if v)),
    )


CREATIVE_COLUMNS = (
    Column("title"),
    Column("body"),
    Column("call_to_action_type"),
    Column("image_url"),
    Column("image_hash"),
    Column("video_id", convert=_id),
    Column("thumbnail_url"),
    Column("object_story_id"),
    Column("effective_object_story_id"),
    Column("object_type"),
    Column("url_tags"),
    Column("object_story_spec", convert=_dict),
    Column("asset_feed_spec", convert=_dict),
    Column("image_hashes", "asset_feed_spec", lambda payload: creative_media(payload)[0], whole=True),
    Column("video_ids", "asset_feed_spec", lambda payload: creative_media(payload)[1], whole=True),
)

IMAGE_COLUMNS = (
    Column("image_id", "id", _id),
    Column("url"),
    Column("url_128"),
    Column("width", convert=_whole_number),
    Column("height", convert=_whole_number),
)

VIDEO_COLUMNS = (
    Column("title"),
    Column("length", convert=_float),
    Column("picture"),
)

# The library's own fields read for every item of each kind, and the field its key (meta_id) comes from.
CREATIVE_COMMON = ("id", "account_id", "name", "status")
IMAGE_COMMON = ("hash", "id", "account_id", "name", "status", "created_time", "updated_time")
VIDEO_COMMON = ("id", "title", "status", "created_time", "updated_time")
_LIBRARY_KEY = re.compile(r"^[0-9A-Za-z]{1,64}$")


def _library_common(payload: dict[str, Any], ctx: MapContext, key_field: str) -> dict[str, Any]:
    key = payload.get(key_field)
    if not isinstance(key, (str, int)) or isinstance(key, bool) or not _LIBRARY_KEY.match(str(key)):
        raise MappingError(f"object without a valid {key_field}: {str(key)[:40]!r}")
    status = payload.get("status")
    if isinstance(status, dict):  # a video's status is {"video_status": "ready", ...}
        status = status.get("video_status")
    return {
        **_synced_object(str(key), payload, ctx),
        "name": payload.get("name") or payload.get("title"),
        "status": None if status is None else str(status),
    }


@dataclass(frozen=True)
class EntitySpec:
    kind: str  # key in counts and watermarks
    level: str  # Meta's level name, as webhooks name it
    edge: str  # edge on the ad account
    filter_prefix: str  # prefix for `filtering` fields ("": the edge takes no filtering)
    columns: tuple[Column, ...]  # this level's own stored fields (its common fields are read for every object)
    document: type[Document]
    parent_keys: tuple[tuple[str, str], ...]  # (payload field, level of the parent)
    count_key: str
    common_fields: tuple[str, ...] = COMMON_FIELDS
    # The library's kinds: the field their key comes from (campaigns, ad sets and ads: "", the common mapping).
    key_field: str = ""

    @property
    def fields(self) -> tuple[str, ...]:
        """The Graph fields requested: the common ones, then each column's (once)."""
        return tuple(dict.fromkeys(self.common_fields + tuple(column.graph_field for column in self.columns)))

    def fields_param(self) -> str:
        return ",".join(self.fields)

    def mapper(self, payload: dict[str, Any], ctx: MapContext) -> dict[str, Any]:
        """The stored document of one Graph object: the common fields, then this level's columns."""
        doc = _library_common(payload, ctx, self.key_field) if self.key_field else _common(payload, ctx)
        doc.update({column.name: column.read(payload) for column in self.columns})
        return doc

    @property
    def collection(self):
        return self.document._get_collection()


def _library_spec(
    kind: str, edge: str, columns: tuple[Column, ...], document: type[Document], common: tuple[str, ...], key: str
) -> EntitySpec:
    """A creative-library kind: no filtering, no parents, keyed by `key` (metasync.entities.library)."""
    return EntitySpec(
        kind=kind,
        level=kind.upper().removesuffix("S"),
        edge=edge,
        filter_prefix="",
        columns=columns,
        document=document,
        parent_keys=(),
        count_key=f"{kind}_synced",
        common_fields=common,
        key_field=key,
    )


CREATIVE = _library_spec("creatives", "adcreatives", CREATIVE_COLUMNS, AdCreative, CREATIVE_COMMON, "id")
IMAGE = _library_spec("images", "adimages", IMAGE_COLUMNS, AdImage, IMAGE_COMMON, "hash")
VIDEO = _library_spec("videos", "advideos", VIDEO_COLUMNS, AdVideo, VIDEO_COMMON, "id")

AD_COLUMNS = (
    Column("ad_set_id", "adset_id", _id),
    Column("campaign_id", convert=_id),
    # Every creative field: an incremental sync stores the creatives of the ads it reads from these.
    Column("creative", "creative{" + CREATIVE.fields_param() + "}", map_creative),
    Column("review_feedback", "ad_review_feedback", lambda value: map_review_feedback(value)[0]),
    Column("policy_violations", "ad_review_feedback", lambda value: map_review_feedback(value)[1]),
)

CAMPAIGN = EntitySpec(
    kind="campaigns",
    level="CAMPAIGN",
    edge="campaigns",
    filter_prefix="campaign",
    columns=CAMPAIGN_COLUMNS,
    document=Campaign,
    parent_keys=(),
    count_key="campaigns_synced",
)

AD_SET = EntitySpec(
    kind="ad_sets",
    level="AD_SET",
    edge="adsets",
    filter_prefix="adset",
    columns=AD_SET_COLUMNS,
    document=AdSet,
    parent_keys=(("campaign_id", "CAMPAIGN"),),
    count_key="ad_sets_synced",
)

AD = EntitySpec(
    kind="ads",
    level="AD",
    edge="ads",
    filter_prefix="ad",
    columns=AD_COLUMNS,
    document=Ad,
    parent_keys=(("adset_id", "AD_SET"), ("campaign_id", "CAMPAIGN")),
    count_key="ads_synced",
)

ENTITY_SPECS: tuple[EntitySpec, ...] = (CAMPAIGN, AD_SET, AD)
# The creative library, read after the entities (full reads of each edge; see metasync.entities.library).
LIBRARY_SPECS: tuple[EntitySpec, ...] = (CREATIVE, IMAGE, VIDEO)
SPECS_BY_LEVEL = {spec.level: spec for spec in ENTITY_SPECS}
ALL_EFFECTIVE_STATUSES = (
    "ACTIVE",
    "PAUSED",
    "DELETED",
    "ARCHIVED",
    "IN_PROCESS",
    "WITH_ISSUES",
    "CAMPAIGN_PAUSED",
    "ADSET_PAUSED",
    "DISAPPROVED",
    "PENDING_REVIEW",
    "PREAPPROVED",
    "PENDING_BILLING_INFO",
)


def statuses_for(spec: EntitySpec) -> list[str]:
    """Every effective status the edge accepts for this level (asking for all includes archived and deleted)."""
    if spec is CAMPAIGN:
        return list(ALL_EFFECTIVE_STATUSES[:6])
    if spec is AD_SET:
        return list(ALL_EFFECTIVE_STATUSES[:7])
    return list(ALL_EFFECTIVE_STATUSES)
