"""Delivery bodies: the JSON envelope or a 400, and every change that names an object, whatever else is in it."""

from __future__ import annotations

import pytest

from tests.helpers import queued_tasks
from tests.webhook_fakes import ROUTE, assert_rejected, change, entry, envelope, signed_request
from webhooks.payload import ObjectChange, WebhookPayloadError, extract_changes, parse_webhook_body


@pytest.mark.services
@pytest.mark.parametrize(
    "raw",
    [
        b'{"object": "ad_account", "entry": [',
        b"\xff\xfe not utf-8",
        b"[" * 100_000 + b"]" * 100_000,
        b"",
    ],
    ids=["truncated", "not-utf8", "absurdly-nested", "empty"],
)
def test_body_that_is_not_json_is_rejected(client, redis_client, raw):
    assert_rejected(client.post("/webhooks/meta", **signed_request(raw)), 400, "bad_payload", redis_client)


@pytest.mark.services
@pytest.mark.parametrize(
    "body",
    [
        [],
        {"entry": []},
        {"object": "", "entry": []},
        {"object": 5, "entry": []},
        {"object": "ad_account"},
        {"object": "ad_account", "entry": {"id": "123"}},
    ],
    ids=["list", "no-object", "empty-object", "object-not-text", "no-entry", "entry-not-list"],
)
def test_wrong_envelope_is_rejected(client, redis_client, body):
    assert_rejected(client.post("/webhooks/meta", **signed_request(body)), 400, "bad_payload", redis_client)


@pytest.mark.services
def test_multi_entry_multi_change_delivery_enqueues_each_object_once(client, redis_client):
    body = envelope(
        entry(
            "123",
            change("1", "CAMPAIGN"),
            change("2", "AD_SET", field="with_issues_ad_objects", error_code=1, error_summary="s", error_message="m"),
            change("3", "CREATIVE"),  # creatives are not stored on their own: acknowledged
            {"field": "ad_recommendations", "value": {"recommendations": []}},  # other field: acknowledged
            {"field": "in_process_ad_objects", "value": {"level": "AD"}},  # no id: skipped, others go on
            "not a change",
            change("1", "CAMPAIGN"),
        ),  # named twice in one delivery
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


# --- parsing itself, without the app -------------------------------------------------------------------------
@pytest.mark.parametrize(
    "raw, message",
    [
        (b'{"object": "ad_account", "entry": [', "not valid JSON"),
        (b"\xff\xfe not utf-8", "not valid JSON"),
        (b"[" * 100_000 + b"]" * 100_000, "not valid JSON"),
        (b"", "not valid JSON"),
        (b"[]", "must be a JSON object"),
        (b'{"entry": []}', '"object" must be a non-empty string'),
        (b'{"object": 5, "entry": []}', '"object" must be a non-empty string'),
        (b'{"object": "ad_account"}', '"entry" must be a list'),
        (b'{"object": "ad_account", "entry": {"id": "123"}}', '"entry" must be a list'),
    ],
    ids=[
        "truncated",
        "not-utf8",
        "absurdly-nested",
        "empty",
        "list",
        "no-object",
        "object-not-text",
        "no-entry",
        "entry-not-list",
    ],
)
def test_a_body_that_is_not_the_envelope_says_why(raw, message):
    with pytest.raises(WebhookPayloadError, match=message):
        parse_webhook_body(raw)


def test_each_change_that_names_an_object_is_extracted_and_the_rest_counted():
    payload = envelope(
        entry(
            "123",
            change("1", "CAMPAIGN"),
            change("2", "ADSET"),
            change("3", "adgroup"),
            change("4", "CREATIVE"),  # a level not stored on its own: ignored
            {"field": "ad_recommendations", "value": {"recommendations": []}},  # another field: ignored
            {"field": "in_process_ad_objects", "value": {"level": "AD"}},  # no id: invalid
            "not a change",
        ),  # invalid
        entry("act_456", change("5", " ad ")),
        {"id": "not-digits", "changes": [change("6", "AD")]},  # invalid account
        {"id": "789"},  # no changes list: invalid
    )

    parsed = extract_changes(payload)

    assert parsed.changes == [
        ObjectChange("act_123", "CAMPAIGN", "1"),
        ObjectChange("act_123", "AD_SET", "2"),
        ObjectChange("act_123", "AD", "3"),
        ObjectChange("act_456", "AD", "5"),
    ]
    assert (parsed.ignored, parsed.invalid) == (2, 4)


@pytest.mark.parametrize(
    "object_id, valid",
    [
        ("123", True),
        (123, True),
        (" 42 ", True),
        ("1" * 32, True),
        ("1" * 33, False),
        ("12a", False),
        ("", False),
        (True, False),
        (None, False),
        ("\u0663", False),
    ],
)
def test_object_ids_are_up_to_32_ascii_digits(object_id, valid):
    parsed = extract_changes(envelope(entry("123", change(object_id, "AD"))))
    assert (len(parsed.changes), parsed.invalid) == ((1, 0) if valid else (0, 1))


def test_every_change_of_another_object_is_acknowledged_as_ignored():
    payload = {"object": "page", "entry": [{"id": "1", "changes": [{"field": "feed"}, {"field": "feed"}]}, "odd"]}
    parsed = extract_changes(payload)
    assert (parsed.changes, parsed.ignored, parsed.invalid) == ([], 3, 0)
