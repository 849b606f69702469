"""Deliveries are accepted only when signed by Meta with our app secret: one rejection reason per way to get it
wrong, and nothing enqueued for any of them."""

from __future__ import annotations

import pytest

from tests.helpers import queued_tasks
from tests.webhook_fakes import ROUTE, assert_rejected, change, entry, envelope, signed_request
from webhooks.signature import LEGACY_SIGNATURE_HEADER, SIGNATURE_HEADER


@pytest.mark.services
def test_legacy_sha1_signature_is_accepted_when_sha256_is_absent(client, redis_client):
    response = client.post("/webhooks/meta", **signed_request(algorithm="sha1"))

    assert response.status_code == 200
    assert len(queued_tasks(redis_client)) == 1


@pytest.mark.services
def test_signature_covers_the_raw_bytes_not_reserialized_json(client, redis_client):
    raw = b'{ "object" : "ad_account",\n "entry": [{"id": "123", "changes": [{"field": "in_process_ad_objects",' \
          b' "value": {"id": "5", "level": "AD_SET", "status_name": "In \\u00e9tude"}}]}] }'
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
