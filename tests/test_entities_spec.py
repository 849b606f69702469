"""The entity spec table is the single source of the Graph fields requested and the fields stored per level."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from bson import ObjectId

from metasync.entities.spec import COMMON_FIELDS, ENTITY_SPECS, MapContext, statuses_for

CTX = MapContext("t1", ObjectId(), "act_1", "USD", datetime(2026, 1, 1, tzinfo=timezone.utc))
# Set by the writer, not by the mapper: the primary key (stored as `_id`) and the first time it was written.
WRITER_FIELDS = {"id", "first_seen_at"}


@pytest.mark.parametrize("spec", ENTITY_SPECS, ids=lambda spec: spec.level)
def test_each_document_declares_exactly_what_the_mapper_stores(spec):
    stored = set(spec.mapper({"id": "42"}, CTX))
    assert "_id" in stored
    assert set(spec.document._fields) - WRITER_FIELDS == stored - {"_id"}


@pytest.mark.parametrize("spec", ENTITY_SPECS, ids=lambda spec: spec.level)
def test_fields_requested_are_the_common_ones_and_each_columns_source(spec):
    requested = spec.fields_param().split(",") if "{" not in spec.fields_param() else list(spec.fields)
    assert list(spec.fields[: len(COMMON_FIELDS)]) == list(COMMON_FIELDS)
    assert set(spec.fields) == set(COMMON_FIELDS) | {column.graph_field for column in spec.columns}
    assert len(requested) == len(set(requested)), "a field is requested twice"


# A value as Meta sends it for each level-specific Graph field.
SAMPLE = {
    "daily_budget": "2000",
    "lifetime_budget": "50000",
    "budget_remaining": "1500",
    "spend_cap": "900000",
    "objective": "OUTCOME_SALES",
    "buying_type": "AUCTION",
    "bid_strategy": "COST_CAP",
    "special_ad_categories": ["HOUSING"],
    "start_time": "2025-11-11T14:25:17-0800",
    "stop_time": "2025-12-11T14:25:17-0800",
    "end_time": "2025-12-11T14:25:17-0800",
    "campaign_id": "1",
    "adset_id": "2",
    "optimization_goal": "OFFSITE_CONVERSIONS",
    "billing_event": "IMPRESSIONS",
    "bid_amount": 150,
    "destination_type": "WEBSITE",
    "promoted_object": {"pixel_id": "9"},
    "targeting": {"age_min": 18, "genders": [1]},
    "learning_stage_info": {"status": "LEARNING"},
    "creative": {"id": "7", "title": "Buy now"},
    "ad_review_feedback": {"global": {"ADULT_CONTENT": "Not allowed"}},
}


@pytest.mark.parametrize("spec", ENTITY_SPECS, ids=lambda spec: spec.level)
def test_every_column_reads_the_field_it_requests(spec):
    own = [field.split("{", 1)[0] for field in spec.fields if field not in COMMON_FIELDS]
    assert set(own) <= set(SAMPLE), f"no sample value for {sorted(set(own) - set(SAMPLE))}"
    payload = {"id": "42", **{field: SAMPLE[field] for field in own}}
    ignored = [column.name for column in spec.columns if column.read(payload) == column.read({"id": "42"})]
    assert not ignored, f"columns that do not follow their Graph field: {ignored}"


def test_the_status_filter_asks_for_every_status_of_each_level():
    assert [len(statuses_for(spec)) for spec in ENTITY_SPECS] == [6, 7, 12]
