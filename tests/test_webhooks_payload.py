"""Delivery bodies: the JSON envelope or a 400, and every change that names an object, whatever else is in it."""

from __future__ import annotations

import pytest

from tests.helpers import queued_tasks
from tests.webhook_fakes import ROUTE, assert_rejected, change, entry, envelope, signed_request


@pytest.mark.services
@pytest.mark.parametrize("raw", [
    b'{"object": "ad_account", "entry": [',
    b"\xff\xfe not utf-8",
    b"[" * 100_000 + b"]" * 100_000,
    b"",
], ids=["truncated", "not-utf8", "absurdly-nested", "empty"])
def test_body_that_is_not_json_is_rejected(client, redis_client, raw):
    assert_rejected(client.post("/webhooks/meta", **signed_request(raw)), 400, "bad_payload", redis_client)


@pytest.mark.services
@pytest.mark.parametrize("body", [
    [],
    {"entry": []},
    {"object": "", "entry": []},
    {"object": 5, "entry": []},
    {"object": "ad_account"},
    {"object": "ad_account", "entry": {"id": "123"}},
], ids=["list", "no-object", "empty-object", "object-not-text", "no-entry", "entry-not-list"])
def test_wrong_envelope_is_rejected(client, redis_client, body):
    assert_rejected(client.post("/webhooks/meta", **signed_request(body)), 400, "bad_payload", redis_client)


@pytest.mark.services
def test_multi_entry_multi_change_delivery_enqueues_each_object_once(client, redis_client):
    body = envelope(
        entry("123",
              change("1", "CAMPAIGN"),
              change("2", "AD_SET", field="with_issues_ad_objects", error_code=1, error_summary="s",
                     error_message="m"),
              change("3", "CREATIVE"),  # creatives are not stored on their own: acknowledged
              {"field": "ad_recommendations", "value": {"recommendations": []}},  # other field: acknowledged
              {"field": "in_process_ad_objects", "value": {"level": "AD"}},  # no id: skipped, others go on
              "not a change",
              change("1", "CAMPAIGN")),  # named twice in one delivery
        entry("act_456", change("4", "ad")),  # tolerated: act_ prefix, lower-case level
        {"id": "not-digits", "changes": [change("5", "AD")]},
        {"id": "789"},  # no changes list
        entry("789", change("6", "AD", field="some_future_field")),  # any change carrying an id and a level
    )
    response = client.post("/webhooks/meta", **signed_request(body))

    assert response.status_code == 200
    assert response.get_json() == {"enqueued": 4, "duplicates": 1, "ignored": 2, "invalid": 4}
    assert queued_tasks(redis_client) == [
        (ROUTE, ["act_123", "CAMPAIGN", "1"]),
        (ROUTE, ["act_123", "AD_SET", "2"]),
        (ROUTE, ["act_456", "AD", "4"]),
        (ROUTE, ["act_789", "AD", "6"]),
    ]


@pytest.mark.services
def test_other_objects_are_acknowledged_and_ignored(client, redis_client):
    body = {"object": "page", "entry": [{"id": "1", "changes": [{"field": "feed", "value": {}}]}]}
    response = client.post("/webhooks/meta", **signed_request(body))

    assert response.status_code == 200
    assert response.get_json()["ignored"] == 1
    assert queued_tasks(redis_client) == []
