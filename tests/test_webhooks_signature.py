"""Deliveries are accepted only when signed by Meta with our app secret: one rejection reason per way to get it
wrong, nothing enqueued for any of them, and no digest in any message."""

from __future__ import annotations

import pytest

from tests.helpers import APP_SECRET, queued_tasks
from tests.webhook_fakes import ROUTE, assert_rejected, change, entry, envelope, signed_request
from webhooks.signature import (
    LEGACY_SIGNATURE_HEADER,
    SIGNATURE_HEADER,
    WebhookSecretMissing,
    WebhookSignatureError,
    compute_signature,
    pick_signature_header,
    verify_meta_webhook_signature,
)


@pytest.mark.services
def test_legacy_sha1_signature_is_accepted_when_sha256_is_absent(client, redis_client):
    response = client.post("/webhooks/meta", **signed_request(algorithm="sha1"))

    assert response.status_code == 200
    assert len(queued_tasks(redis_client)) == 1


@pytest.mark.services
def test_signature_covers_the_raw_bytes_not_reserialized_json(client, redis_client):
    raw = (
        b'{ "object" : "ad_account",\n "entry": [{"id": "123", "changes": [{"field": "in_process_ad_objects",'
        b' "value": {"id": "5", "level": "AD_SET", "status_name": "In \\u00e9tude"}}]}] }'
    )
    response = client.post("/webhooks/meta", **signed_request(raw))

    assert response.status_code == 200
    assert queued_tasks(redis_client) == [(ROUTE, ["act_123", "AD_SET", "5"])]


@pytest.mark.services
def test_missing_signature_header_is_rejected(client, redis_client):
    assert_rejected(client.post("/webhooks/meta", **signed_request(header="")), 401, "missing", redis_client)


@pytest.mark.services
def test_signature_with_a_bad_prefix_is_rejected(client, redis_client):
    good = signed_request()["headers"][SIGNATURE_HEADER].partition("=")[2]
    response = client.post("/webhooks/meta", **signed_request(signature=f"md5={good}"))
    assert_rejected(response, 401, "bad_prefix", redis_client)


@pytest.mark.services
def test_sha1_digest_in_the_sha256_header_is_rejected(client, redis_client):
    sha1 = signed_request(algorithm="sha1")["headers"][LEGACY_SIGNATURE_HEADER]
    response = client.post("/webhooks/meta", **signed_request(signature=sha1))
    assert_rejected(response, 401, "bad_prefix", redis_client)


@pytest.mark.services
def test_signature_that_is_not_a_hex_digest_is_rejected(client, redis_client):
    response = client.post("/webhooks/meta", **signed_request(signature="sha256=" + "z" * 64))
    assert_rejected(response, 401, "malformed", redis_client)


@pytest.mark.services
def test_wrong_digest_is_rejected(client, redis_client):
    response = client.post("/webhooks/meta", **signed_request(signature="sha256=" + "ab" * 32))
    assert_rejected(response, 401, "mismatch", redis_client)


@pytest.mark.services
def test_signature_made_with_another_secret_is_rejected(client, redis_client):
    response = client.post("/webhooks/meta", **signed_request(secret="not-the-app-secret"))
    assert_rejected(response, 401, "mismatch", redis_client)


@pytest.mark.services
def test_tampered_body_is_rejected(client, redis_client):
    original = signed_request(envelope(entry("123", change("1"))))
    tampered = original["data"].replace(b'"123"', b'"124"')
    response = client.post("/webhooks/meta", data=tampered, headers=original["headers"])
    assert_rejected(response, 401, "mismatch", redis_client)


@pytest.mark.services
def test_bad_sha256_header_does_not_fall_back_to_a_good_sha1_one(client, redis_client):
    request = signed_request(algorithm="sha1")
    request["headers"][SIGNATURE_HEADER] = "sha256=" + "00" * 32
    assert_rejected(client.post("/webhooks/meta", **request), 401, "mismatch", redis_client)


@pytest.mark.services
def test_unsigned_requests_are_refused_when_no_secret_is_configured(make_app, redis_client):
    client = make_app(META_APP_SECRET="").test_client()
    response = client.post("/webhooks/meta", **signed_request(secret="anything"))
    assert_rejected(response, 503, "secret_not_configured", redis_client)


# --- the check itself, without the app ------------------------------------------------------------------------
BODY = b'{"object": "ad_account", "entry": []}'
GOOD = compute_signature(BODY, APP_SECRET)


@pytest.mark.parametrize(
    "header, legacy, reason",
    [
        (None, False, "missing"),
        ("", False, "missing"),
        ("md5=" + GOOD.partition("=")[2], False, "bad_prefix"),
        ("sha256", False, "bad_prefix"),
        (compute_signature(BODY, APP_SECRET, "sha1"), False, "bad_prefix"),  # a SHA-1 value in the SHA-256 header
        (GOOD, True, "bad_prefix"),  # a SHA-256 value in the legacy header
        ("sha256=" + "z" * 64, False, "malformed"),
        ("sha256=" + GOOD.partition("=")[2][:-2], False, "malformed"),
        ("sha256=" + "ab" * 32, False, "mismatch"),
        (compute_signature(BODY, "not-the-app-secret"), False, "mismatch"),
        (compute_signature(BODY + b" ", APP_SECRET), False, "mismatch"),
    ],
)
def test_each_way_a_signature_is_wrong_has_its_reason_and_shows_no_digest(header, legacy, reason):
    with pytest.raises(WebhookSignatureError) as info:
        verify_meta_webhook_signature(header, BODY, APP_SECRET, legacy=legacy)

    assert info.value.reason == reason
    message, received = str(info.value), (header or "").partition("=")[2]
    assert GOOD.partition("=")[2] not in message and APP_SECRET not in message
    assert len(received) < 8 or received not in message


@pytest.mark.parametrize(
    "header, legacy, algorithm",
    [
        (GOOD, False, "sha256"),
        ("SHA256=" + GOOD.partition("=")[2].upper(), False, "sha256"),
        (f"  {GOOD} ", False, "sha256"),
        (compute_signature(BODY, APP_SECRET, "sha1"), True, "sha1"),
    ],
)
def test_a_good_signature_is_accepted_whatever_its_case(header, legacy, algorithm):
    assert verify_meta_webhook_signature(header, BODY, APP_SECRET, legacy=legacy) == algorithm


def test_no_app_secret_is_a_deployment_error_not_a_bad_signature():
    with pytest.raises(WebhookSecretMissing):
        verify_meta_webhook_signature(GOOD, BODY, "")


@pytest.mark.parametrize(
    "headers, picked",
    [
        ({SIGNATURE_HEADER: "sha256=a", LEGACY_SIGNATURE_HEADER: "sha1=b"}, ("sha256=a", False)),
        ({SIGNATURE_HEADER: "", LEGACY_SIGNATURE_HEADER: "sha1=b"}, ("", False)),  # present, even empty: no fallback
        ({LEGACY_SIGNATURE_HEADER: "sha1=b"}, ("sha1=b", True)),
        ({}, (None, False)),
    ],
)
def test_the_sha256_header_wins_whenever_it_is_present(headers, picked):
    assert pick_signature_header(headers) == picked
