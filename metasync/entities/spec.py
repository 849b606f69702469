"""The declarative table that drives campaign, ad set and ad sync: edge, columns, parents and document.

Each level's columns are the single source of the Graph fields it requests and the fields it stores: `fields=`
and the mapper are derived from them, and tests/test_entities_spec.py checks that each mongoengine document
declares exactly those fields.
"""

from __future__ import annotations

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

CREATIVE_FIELDS = (
    "id",
    "name",
    "status",
    "title",
    "body",
    "call_to_action_type",
    "image_url",
    "image_hash",
    "video_id",
    "thumbnail_url",
    "object_story_id",
    "effective_object_story_id",
    "url_tags",
    "object_story_spec",
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


def _common(payload: dict[str, Any], ctx: MapContext) -> dict[str, Any]:
    meta_id = payload.get("id")
    if not is_meta_id(meta_id):
        raise MappingError(f"object without a valid id: {str(meta_id)[:40]!r}")
    effective = payload.get("effective_status")
    configured = payload.get("configured_status") or payload.get("status")
    recommendations = [r for r in payload.get("recommendations") or [] if isinstance(r, dict)]
    return {
        "_id": entity_key(ctx.tenant_id, str(meta_id)),
        "meta_id": str(meta_id),
        "tenant_id": ctx.tenant_id,
        "connection": ctx.connection_id,
        "ad_account_id": ctx.ad_account_id,
        "name": payload.get("name"),
        "status": map_status(effective, configured),
        "effective_status": effective,
        "configured_status": configured,
        "currency": ctx.currency,
        "issues": map_issues(payload.get("issues_info")),
        "recommendations": recommendations,
        "created_time": parse_meta_time(payload.get("created_time")),
        "updated_time": parse_meta_time(payload.get("updated_time")),
        "raw": payload,
        "last_seen_at": ctx.seen_at or ctx.now,
        "synced_at": ctx.now,
        "missing_from_meta": False,
    }


@dataclass(frozen=True)
class Column:
    """One stored field of a level: the Graph field it is read from (requested in `fields=`) and its conversion."""

    name: str  # the stored field
    source: str = ""  # the Graph field, as requested (default: `name`); several columns may read one field
    convert: Callable[[Any], Any] = lambda value: value

    @property
    def graph_field(self) -> str:
        return self.source or self.name

    def read(self, payload: dict[str, Any]) -> Any:
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

AD_COLUMNS = (
    Column("ad_set_id", "adset_id", _id),
    Column("campaign_id", convert=_id),
    Column("creative", "creative{" + ",".join(CREATIVE_FIELDS) + "}", map_creative),
    Column("review_feedback", "ad_review_feedback", lambda value: map_review_feedback(value)[0]),
    Column("policy_violations", "ad_review_feedback", lambda value: map_review_feedback(value)[1]),
)


@dataclass(frozen=True)
class EntitySpec:
    kind: str  # key in counts and watermarks
    level: str  # Meta's level name, as webhooks name it
    edge: str  # edge on the ad account
    filter_prefix: str  # prefix for `filtering` fields
    columns: tuple[Column, ...]  # this level's own stored fields (COMMON_FIELDS are read for every level)
    document: type[Document]
    parent_keys: tuple[tuple[str, str], ...]  # (payload field, level of the parent)
    count_key: str

    @property
    def fields(self) -> tuple[str, ...]:
        """The Graph fields requested: the common ones, then each column's (once)."""
        return tuple(dict.fromkeys(COMMON_FIELDS + tuple(column.graph_field for column in self.columns)))

    def fields_param(self) -> str:
        return ",".join(self.fields)

    def mapper(self, payload: dict[str, Any], ctx: MapContext) -> dict[str, Any]:
        """The stored document of one Graph object: the common fields, then this level's columns."""
        doc = _common(payload, ctx)
        doc.update({column.name: column.read(payload) for column in self.columns})
        return doc

    @property
    def collection(self):
        return self.document._get_collection()


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
