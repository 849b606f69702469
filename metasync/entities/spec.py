"""The declarative table that drives campaign, ad set and ad sync: edge, fields, parents, document and mapper.

The Graph `fields=` list and the stored document come from the same spec, so the two cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable

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
from metasync.store.documents import Ad, AdSet, Campaign, entity_key

COMMON_FIELDS = ("id", "account_id", "name", "status", "configured_status", "effective_status", "created_time",
                 "updated_time", "issues_info", "recommendations")

CREATIVE_FIELDS = ("id", "name", "status", "title", "body", "call_to_action_type", "image_url", "image_hash",
                   "video_id", "thumbnail_url", "object_story_id", "effective_object_story_id", "url_tags",
                   "object_story_spec")


@dataclass(frozen=True)
class MapContext:
    tenant_id: str
    connection_id: ObjectId
    ad_account_id: str
    currency: str | None
    now: datetime


def _common(payload: dict[str, Any], ctx: MapContext) -> dict[str, Any]:
    meta_id = payload.get("id")
    if not meta_id or not str(meta_id).isdigit():
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
        "last_seen_at": ctx.now,
        "synced_at": ctx.now,
        "missing_from_meta": False,
    }


def _budgets(payload: dict[str, Any]) -> dict[str, Any]:
    return {key: minor_units(payload.get(key)) for key in ("daily_budget", "lifetime_budget", "budget_remaining")}


def map_campaign(payload: dict[str, Any], ctx: MapContext) -> dict[str, Any]:
    doc = _common(payload, ctx)
    doc.update(_budgets(payload))
    doc.update(
        objective=payload.get("objective"),
        buying_type=payload.get("buying_type"),
        bid_strategy=payload.get("bid_strategy"),
        spend_cap=minor_units(payload.get("spend_cap")),
        special_ad_categories=[str(c) for c in payload.get("special_ad_categories") or []],
        start_time=parse_meta_time(payload.get("start_time")),
        stop_time=parse_meta_time(payload.get("stop_time")),
    )
    return doc


def map_ad_set(payload: dict[str, Any], ctx: MapContext) -> dict[str, Any]:
    doc = _common(payload, ctx)
    doc.update(_budgets(payload))
    learning = payload.get("learning_stage_info") if isinstance(payload.get("learning_stage_info"), dict) else {}
    bid_amount = payload.get("bid_amount")
    doc.update(
        campaign_id=_id(payload.get("campaign_id")),
        optimization_goal=payload.get("optimization_goal"),
        billing_event=payload.get("billing_event"),
        bid_strategy=payload.get("bid_strategy"),
        bid_amount=minor_units(bid_amount),
        start_time=parse_meta_time(payload.get("start_time")),
        end_time=parse_meta_time(payload.get("end_time")),
        destination_type=payload.get("destination_type"),
        promoted_object=payload.get("promoted_object") if isinstance(payload.get("promoted_object"), dict) else {},
        targeting=map_targeting(payload.get("targeting")),
        learning_phase_status=learning.get("status"),
        learning_stage_info=learning,
    )
    return doc


def map_ad(payload: dict[str, Any], ctx: MapContext) -> dict[str, Any]:
    doc = _common(payload, ctx)
    feedback, policies = map_review_feedback(payload.get("ad_review_feedback"))
    doc.update(
        ad_set_id=_id(payload.get("adset_id")),
        campaign_id=_id(payload.get("campaign_id")),
        creative=map_creative(payload.get("creative")),
        review_feedback=feedback,
        policy_violations=policies,
    )
    return doc


def _id(value: Any) -> str | None:
    return None if value in (None, "") else str(value)


@dataclass(frozen=True)
class EntitySpec:
    kind: str  # key in counts and watermarks
    level: str  # Meta's level name, as webhooks name it
    edge: str  # edge on the ad account
    filter_prefix: str  # prefix for `filtering` fields
    fields: tuple[str, ...]
    document: type[Document]
    mapper: Callable[[dict[str, Any], MapContext], dict[str, Any]]
    parent_keys: tuple[tuple[str, str], ...]  # (payload field, level of the parent)
    count_key: str

    def fields_param(self) -> str:
        return ",".join(self.fields)

    @property
    def collection(self):
        return self.document._get_collection()


CAMPAIGN = EntitySpec(
    kind="campaigns",
    level="CAMPAIGN",
    edge="campaigns",
    filter_prefix="campaign",
    fields=COMMON_FIELDS + ("objective", "buying_type", "bid_strategy", "daily_budget", "lifetime_budget",
                            "budget_remaining", "spend_cap", "special_ad_categories", "start_time", "stop_time"),
    document=Campaign,
    mapper=map_campaign,
    parent_keys=(),
    count_key="campaigns_synced",
)

AD_SET = EntitySpec(
    kind="ad_sets",
    level="AD_SET",
    edge="adsets",
    filter_prefix="adset",
    fields=COMMON_FIELDS + ("campaign_id", "optimization_goal", "billing_event", "bid_strategy", "bid_amount",
                            "daily_budget", "lifetime_budget", "budget_remaining", "targeting", "promoted_object",
                            "destination_type", "learning_stage_info", "start_time", "end_time"),
    document=AdSet,
    mapper=map_ad_set,
    parent_keys=(("campaign_id", "CAMPAIGN"),),
    count_key="ad_sets_synced",
)

AD = EntitySpec(
    kind="ads",
    level="AD",
    edge="ads",
    filter_prefix="ad",
    fields=COMMON_FIELDS + ("adset_id", "campaign_id", "creative{" + ",".join(CREATIVE_FIELDS) + "}",
                            "ad_review_feedback"),
    document=Ad,
    mapper=map_ad,
    parent_keys=(("adset_id", "AD_SET"), ("campaign_id", "CAMPAIGN")),
    count_key="ads_synced",
)

ENTITY_SPECS: tuple[EntitySpec, ...] = (CAMPAIGN, AD_SET, AD)
SPECS_BY_LEVEL = {spec.level: spec for spec in ENTITY_SPECS}
ALL_EFFECTIVE_STATUSES = ("ACTIVE", "PAUSED", "DELETED", "ARCHIVED", "IN_PROCESS", "WITH_ISSUES", "CAMPAIGN_PAUSED",
                          "ADSET_PAUSED", "DISAPPROVED", "PENDING_REVIEW", "PREAPPROVED", "PENDING_BILLING_INFO")


def statuses_for(spec: EntitySpec) -> list[str]:
    """Every effective status the edge accepts for this level (asking for all includes archived and deleted)."""
    if spec is CAMPAIGN:
        return list(ALL_EFFECTIVE_STATUSES[:6])
    if spec is AD_SET:
        return list(ALL_EFFECTIVE_STATUSES[:7])
    return list(ALL_EFFECTIVE_STATUSES)
