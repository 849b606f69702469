"""Mapping Graph payloads to stored values: statuses, times, money, targeting, creatives, review feedback."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from metasync.entities.mapping import (
    MappingError,
    map_creative,
    map_review_feedback,
    map_status,
    map_targeting,
    minor_units,
    parse_meta_time,
)


@pytest.mark.parametrize(
    "effective,configured,expected",
    [
        ("ACTIVE", "ACTIVE", "ACTIVE"),
        ("PAUSED", "PAUSED", "PAUSED"),
        ("CAMPAIGN_PAUSED", "ACTIVE", "PAUSED"),
        ("ADSET_PAUSED", "ACTIVE", "PAUSED"),
        ("IN_PROCESS", "ACTIVE", "PENDING"),
        ("PENDING_REVIEW", "ACTIVE", "PENDING"),
        ("PREAPPROVED", "ACTIVE", "PENDING"),
        ("PENDING_BILLING_INFO", "ACTIVE", "PENDING"),
        ("WITH_ISSUES", "ACTIVE", "WITH_ISSUES"),
        ("DISAPPROVED", "ACTIVE", "DISAPPROVED"),
        ("ARCHIVED", "ARCHIVED", "ARCHIVED"),
        ("DELETED", "DELETED", "DELETED"),
        (None, "PAUSED", "PAUSED"),
        ("BRAND_NEW_STATE", None, "UNKNOWN"),
        ("BRAND_NEW_STATE", "ACTIVE", "UNKNOWN"),
        (None, None, "UNKNOWN"),
    ],
)
def test_meta_statuses_map_to_one_stored_status(effective, configured, expected):
    assert map_status(effective, configured) == expected


@pytest.mark.parametrize(
    "raw,expected",
    [
        ("2025-11-11T14:25:17-0800", datetime(2025, 11, 11, 22, 25, 17, tzinfo=timezone.utc)),
        ("2025-11-11T14:25:17+0530", datetime(2025, 11, 11, 8, 55, 17, tzinfo=timezone.utc)),
        ("2025-11-11T14:25:17+05:30", datetime(2025, 11, 11, 8, 55, 17, tzinfo=timezone.utc)),
        ("2025-11-11T14:25:17Z", datetime(2025, 11, 11, 14, 25, 17, tzinfo=timezone.utc)),
        (1700000000, datetime(2023, 11, 14, 22, 13, 20, tzinfo=timezone.utc)),
        ("0", None),
        (None, None),
    ],
)
def test_meta_times_become_utc(raw, expected):
    assert parse_meta_time(raw) == expected


def test_bad_time_is_a_mapping_error():
    with pytest.raises(MappingError):
        parse_meta_time("next tuesday")


@pytest.mark.parametrize("raw,expected", [("2000", 2000), ("0", 0), (150, 150), (None, None), ("", None)])
def test_budgets_stay_integer_minor_units(raw, expected):
    assert minor_units(raw) == expected


@pytest.mark.parametrize("raw", ["20.00", "abc", True, "1e3"])
def test_non_minor_unit_amounts_are_rejected(raw):
    with pytest.raises(MappingError):
        minor_units(raw)


def test_targeting_maps_locations_interests_ages_genders_platforms():
    targeting = {
        "geo_locations": {
            "countries": ["US"],
            "regions": [{"key": "4081", "name": "California", "country": "US"}],
            "cities": [{"key": "2420605", "radius": 10, "distance_unit": "mile"}],
            "location_types": ["home", "recent"],
        },
        "age_min": 18,
        "age_max": 65,
        "genders": [1],
        "flexible_spec": [
            {"interests": [{"id": "6003139266461", "name": "Movies"}]},
            {"interests": [{"id": "6003139266461", "name": "Movies"}, {"id": "7", "name": "Tea"}]},
        ],
        "publisher_platforms": ["facebook", "instagram"],
    }

    mapped = map_targeting(targeting)

    assert mapped["locations"] == {
        "countries": ["US"],
        "regions": ["California"],
        "cities": ["2420605"],
        "location_types": ["home", "recent"],
    }
    assert mapped["interests"] == [{"id": "6003139266461", "name": "Movies"}, {"id": "7", "name": "Tea"}]
    assert (mapped["age_min"], mapped["age_max"]) == (18, 65)
    assert mapped["genders"] == ["male"]
    assert mapped["platforms"] == ["facebook", "instagram"]


def test_targeting_defaults_when_fields_absent():
    mapped = map_targeting({"geo_locations": {"countries": ["DE"]}})
    assert mapped["genders"] == ["all"] and mapped["platforms"] == ["automatic"] and mapped["age_min"] is None
    assert map_targeting(None) == {}


def test_creative_fields_from_object_story_spec():
    creative = {
        "id": "5",
        "name": "C",
        "object_story_spec": {
            "link_data": {
                "name": "Big sale",
                "message": "Everything half price",
                "link": "https://shop.example/sale",
                "picture": "https://img.example/1.jpg",
                "call_to_action": {"type": "SHOP_NOW"},
            }
        },
    }

    mapped = map_creative(creative)

    assert mapped["headline"] == "Big sale" and mapped["body"] == "Everything half price"
    assert mapped["call_to_action"] == "SHOP_NOW" and mapped["link"] == "https://shop.example/sale"
    assert mapped["image_url"] == "https://img.example/1.jpg"


def test_creative_fields_from_video_data_and_top_level():
    video = map_creative(
        {
            "id": "6",
            "object_story_spec": {
                "video_data": {
                    "title": "Watch",
                    "message": "New film",
                    "video_id": 991,
                    "call_to_action": {"type": "LEARN_MORE"},
                }
            },
        }
    )
    top = map_creative({"id": "7", "title": "T", "body": "B", "call_to_action_type": "SIGN_UP", "image_hash": "h"})

    assert (video["headline"], video["body"], video["video_id"], video["call_to_action"]) == (
        "Watch",
        "New film",
        "991",
        "LEARN_MORE",
    )
    assert (top["headline"], top["body"], top["call_to_action"], top["image_hash"]) == ("T", "B", "SIGN_UP", "h")


def test_review_feedback_lists_policies():
    feedback = {
        "global": {"Adult Content": "Ads can't promote adult content."},
        "placement_specific": {"instagram": {"Circumventing Systems": "text"}},
    }
    raw, policies = map_review_feedback(feedback)
    assert raw == feedback
    assert policies == ["Adult Content", "Circumventing Systems"]


def test_stored_status_vocabulary_is_what_the_mapping_produces():
    from metasync.entities.mapping import EFFECTIVE_TO_INTERNAL
    from metasync.store.documents import INTERNAL_STATUSES

    assert set(INTERNAL_STATUSES) == set(EFFECTIVE_TO_INTERNAL.values()) | {"UNKNOWN"}
