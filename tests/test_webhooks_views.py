"""The webhook routes as Meta meets them: size limits before verification, no secret in any log line, no input
that makes the receiver fail."""

from __future__ import annotations

import json
import logging

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from metasync.settings import load_settings
from tests.helpers import APP_SECRET, QUEUE, VERIFY_TOKEN
from tests.webhook_fakes import assert_rejected, change, entry, envelope, signed_request
from webhooks.signature import LEGACY_SIGNATURE_HEADER, SIGNATURE_HEADER, compute_signature


@pytest.mark.services
def test_default_size_limit_holds_a_full_batch_of_1000_updates(client, redis_client):
    changes = [
        change(
            str(10_000 + i),
            "AD",
            field="with_issues_ad_objects",
            error_code=1815869,
            error_summary="Ad account has no payment method",
            error_message="Add a payment method to your ad account to run ads.",
        )
        for i in range(1000)
    ]
    request = signed_request(envelope(*(entry(str(100 + n), *changes[n * 100 : (n + 1) * 100]) for n in range(10))))
    assert len(request["data"]) < load_settings({}).webhook_max_body_bytes / 4

    response = client.post("/webhooks/meta", **request)

    assert response.status_code == 200
    assert response.get_json()["enqueued"] == 1000
    assert redis_client.llen(QUEUE) == 1000


@pytest.mark.services
def test_oversized_body_is_rejected_before_verification(make_app, redis_client):
    client = make_app(WEBHOOK_MAX_BODY_BYTES=2048).test_client()
    body = envelope(entry("123", *(change(str(i)) for i in range(40))))
    request = signed_request(body)
    assert len(request["data"]) > 2048
    assert_rejected(client.post("/webhooks/meta", **request), 413, "too_large", redis_client)


@pytest.mark.services
def test_oversized_chunked_body_without_length_is_rejected(make_app, redis_client):
    client = make_app(WEBHOOK_MAX_BODY_BYTES=2048).test_client()
    request = signed_request(envelope(entry("123", *(change(str(i)) for i in range(40)))))
    # As gunicorn passes a chunked body: no length, the stream ends where the body ends.
    response = client.post(
        "/webhooks/meta",
        data=request["data"],
        environ_overrides={"wsgi.input_terminated": True},
        headers={**request["headers"], "Transfer-Encoding": "chunked"},
    )
    assert_rejected(response, 413, "too_large", redis_client)


@pytest.mark.services
def test_body_at_the_size_limit_is_accepted(make_app, redis_client):
    request = signed_request(envelope(entry("123", change("1"))))
    client = make_app(WEBHOOK_MAX_BODY_BYTES=len(request["data"])).test_client()
    assert client.post("/webhooks/meta", **request).status_code == 200


@pytest.mark.services
def test_secrets_and_signatures_never_reach_the_logs(client, caplog):
    caplog.set_level(logging.DEBUG)
    good = signed_request()
    bad = signed_request(signature="sha256=" + "ab" * 32)
    other = signed_request(secret="other-secret")
    client.post("/webhooks/meta", **good)
    client.post("/webhooks/meta", **bad)
    client.post("/webhooks/meta", **other)
    client.post("/webhooks/meta", **signed_request(b"not json"))
    client.get(
        "/webhooks/meta",
        query_string={"hub.mode": "subscribe", "hub.verify_token": "wrong-token", "hub.challenge": "1"},
    )
    client.get(
        "/webhooks/meta", query_string={"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1"}
    )

    assert any(getattr(r, "event", None) == "webhook_rejected" for r in caplog.records)
    logged = caplog.text + " ".join(str(r.__dict__) for r in caplog.records)
    forbidden = [APP_SECRET, VERIFY_TOKEN, "wrong-token", "other-secret", "ab" * 32]
    forbidden += [r["headers"][SIGNATURE_HEADER].partition("=")[2] for r in (good, other)]
    assert [secret for secret in forbidden if secret in logged] == []


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)


_ids = st.one_of(st.from_regex(r"\A(act_)?[0-9]{1,20}\Z"), st.text(max_size=8), st.integers(), st.none())


_changes = (
    st.fixed_dictionaries(
        {
            "field": st.sampled_from(["in_process_ad_objects", "with_issues_ad_objects", "creative_fatigue", "x"])
            | _json,
            "value": st.fixed_dictionaries(
                {"id": _ids, "level": st.sampled_from(["CAMPAIGN", "AD_SET", "AD", "CREATIVE"]) | _json}
            )
            | _json,
        }
    )
    | _json
)


_envelopes = st.fixed_dictionaries(
    {
        "object": st.sampled_from(["ad_account", "page"]) | _json,
        "entry": st.lists(
            st.fixed_dictionaries({"id": _ids, "changes": st.lists(_changes, max_size=3) | _json}) | _json, max_size=3
        )
        | _json,
    }
)


_bodies = st.one_of(
    st.binary(max_size=200),
    _json.map(lambda v: json.dumps(v).encode()),
    _envelopes.map(lambda v: json.dumps(v).encode()),
)


_header_text = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=80)


@pytest.mark.services
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    body=_bodies,
    how=st.sampled_from(["sha256", "sha1", "random", "none"]),
    header_value=_header_text,
    content_type=st.sampled_from(["application/json", "text/plain", "application/x-www-form-urlencoded", ""]),
)
def test_no_body_or_header_makes_the_receiver_fail(client, body, how, header_value, content_type):
    if how in ("sha256", "sha1"):
        headers = {
            SIGNATURE_HEADER if how == "sha256" else LEGACY_SIGNATURE_HEADER: compute_signature(body, APP_SECRET, how)
        }
    elif how == "random":
        headers = {SIGNATURE_HEADER: header_value}
    else:
        headers = {}
    if content_type:
        headers["Content-Type"] = content_type

    response = client.post("/webhooks/meta", data=body, headers=headers)

    assert response.status_code in (200, 400, 401)
    if how == "random" or how == "none":
        assert response.status_code == 401
