"""The webhook receiver: handshake, signatures, size and envelope checks, de-duplication, enqueueing, health.

These tests need no MongoDB fixture: the POST handler does no MongoDB work. They run against the real test Redis,
which is also the broker, and read the enqueued messages straight from the broker queue.
The helpers at the top are shared with tests/test_webhooks_sync.py.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import socket
import time
from typing import Any

import pytest
import redis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from metasync.settings import load_settings
from webhooks import create_app
from metasync.webhook_events.dedupe import KEY_PREFIX, clear_pending
from webhooks.handler import handle_meta_webhook
from webhooks.signature import LEGACY_SIGNATURE_HEADER, SIGNATURE_HEADER, compute_signature
from webhooks.views import EXTENSION

APP_SECRET = "test-app-secret"  # as tests/conftest.py sets META_APP_SECRET
VERIFY_TOKEN = "verify-me"
QUEUE = "metasync"  # celeryconfig.task_default_queue
ROUTE = "route_ad_account_change"


# --- helpers -------------------------------------------------------------------------------------------------------
def change(object_id: str = "1", level: str = "CAMPAIGN", field: str = "in_process_ad_objects",
           **value: Any) -> dict[str, Any]:
    return {"field": field, "value": {"id": object_id, "level": level, "status_name": "In process", **value}}


def entry(account: str = "123", *changes: dict[str, Any]) -> dict[str, Any]:
    return {"id": account, "time": 1_760_000_000, "changes": list(changes) or [change()]}


def envelope(*entries: dict[str, Any], obj: str = "ad_account") -> dict[str, Any]:
    return {"object": obj, "entry": list(entries) or [entry()]}


def signed_request(body: Any = None, *, secret: str = APP_SECRET, algorithm: str = "sha256",
                   signature: str | None = None, header: str | None = None) -> dict[str, Any]:
    """Keyword arguments for `client.post`: `body` (a dict as JSON, or raw bytes) signed the way Meta signs it.

    Override one part per bad request: `secret` (signed with another key), `signature` (the exact header value),
    `header` (the header name; default: the one for `algorithm`; "" sends no signature header at all).
    """
    raw = body if isinstance(body, bytes) else json.dumps(envelope() if body is None else body).encode()
    if header is None:
        header = SIGNATURE_HEADER if algorithm == "sha256" else LEGACY_SIGNATURE_HEADER
    headers = {"Content-Type": "application/json"}
    if header:
        headers[header] = signature if signature is not None else compute_signature(raw, secret, algorithm)
    return {"data": raw, "headers": headers}


def queued_tasks(client: redis.Redis, queue: str = QUEUE) -> list[tuple[str, list[Any]]]:
    """(task name, args) of each message waiting in the broker queue (kombu's Redis format), oldest first."""
    tasks = []
    for raw in reversed(client.lrange(queue, 0, -1)):
        message = json.loads(raw)
        args, _kwargs, _embed = json.loads(base64.b64decode(message["body"]))
        tasks.append((message["headers"]["task"], args))
    return tasks


def dead_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def pending_keys(client: redis.Redis) -> list[bytes]:
    return client.keys(f"{KEY_PREFIX}*")


@pytest.fixture
def make_app(redis_client):
    apps = []

    def make(**config):
        app = create_app(config)
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.extensions[EXTENSION].close()


@pytest.fixture
def client(make_app):
    return make_app().test_client()


# --- handshake -----------------------------------------------------------------------------------------------------
def test_handshake_echoes_the_challenge_as_plain_text(client):
    response = client.get("/webhooks/meta", query_string={"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN,
                                                          "hub.challenge": "1158201444"})
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    assert response.get_data(as_text=True) == "1158201444"


def test_handshake_with_a_wrong_token_is_forbidden(client):
    response = client.get("/webhooks/meta", query_string={"hub.mode": "subscribe", "hub.verify_token": "guess",
                                                          "hub.challenge": "1158201444"})
    assert response.status_code == 403
    assert "1158201444" not in response.get_data(as_text=True)


@pytest.mark.parametrize("missing", ["hub.mode", "hub.verify_token", "hub.challenge"])
def test_handshake_missing_a_parameter_is_a_bad_request(client, missing):
    query = {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "42"}
    del query[missing]
    assert client.get("/webhooks/meta", query_string=query).status_code == 400


def test_handshake_with_another_mode_is_a_bad_request(client):
    query = {"hub.mode": "unsubscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "42"}
    assert client.get("/webhooks/meta", query_string=query).status_code == 400


def test_handshake_without_a_configured_token_is_unavailable(make_app):
    client = make_app(META_APP_VERIFY_TOKEN="").test_client()
    query = {"hub.mode": "subscribe", "hub.verify_token": "", "hub.challenge": "42"}
    assert client.get("/webhooks/meta", query_string=query).status_code == 503


# --- accepted deliveries -------------------------------------------------------------------------------------------
def test_signed_delivery_enqueues_one_routing_task(client, redis_client):
    response = client.post("/webhooks/meta", **signed_request(envelope(entry("123", change("777", "AD")))))

    assert response.status_code == 200
    assert response.get_json() == {"enqueued": 1, "duplicates": 0, "ignored": 0, "invalid": 0}
    assert queued_tasks(redis_client) == [(ROUTE, ["act_123", "AD", "777"])]


def test_legacy_sha1_signature_is_accepted_when_sha256_is_absent(client, redis_client):
    response = client.post("/webhooks/meta", **signed_request(algorithm="sha1"))

    assert response.status_code == 200
    assert len(queued_tasks(redis_client)) == 1


def test_signature_covers_the_raw_bytes_not_reserialized_json(client, redis_client):
    raw = b'{ "object" : "ad_account",\n "entry": [{"id": "123", "changes": [{"field": "in_process_ad_objects",' \
          b' "value": {"id": "5", "level": "AD_SET", "status_name": "In \\u00e9tude"}}]}] }'
    response = client.post("/webhooks/meta", **signed_request(raw))

    assert response.status_code == 200
    assert queued_tasks(redis_client) == [(ROUTE, ["act_123", "AD_SET", "5"])]


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


def test_other_objects_are_acknowledged_and_ignored(client, redis_client):
    body = {"object": "page", "entry": [{"id": "1", "changes": [{"field": "feed", "value": {}}]}]}
    response = client.post("/webhooks/meta", **signed_request(body))

    assert response.status_code == 200
    assert response.get_json()["ignored"] == 1
    assert queued_tasks(redis_client) == []


def test_accounts_without_a_connection_are_acknowledged(client, redis_client):
    # The request cannot know (it does no MongoDB work); route_ad_account_change logs and drops it later.
    response = client.post("/webhooks/meta", **signed_request(envelope(entry("999999", change("1")))))

    assert response.status_code == 200
    assert queued_tasks(redis_client) == [(ROUTE, ["act_999999", "CAMPAIGN", "1"])]


def test_default_size_limit_holds_a_full_batch_of_1000_updates(client, redis_client):
    changes = [change(str(10_000 + i), "AD", field="with_issues_ad_objects", error_code=1815869,
                      error_summary="Ad account has no payment method",
                      error_message="Add a payment method to your ad account to run ads.") for i in range(1000)]
    request = signed_request(envelope(*(entry(str(100 + n), *changes[n * 100:(n + 1) * 100]) for n in range(10))))
    assert len(request["data"]) < load_settings({}).webhook_max_body_bytes / 4

    response = client.post("/webhooks/meta", **request)

    assert response.status_code == 200
    assert response.get_json()["enqueued"] == 1000
    assert redis_client.llen(QUEUE) == 1000


def test_handle_meta_webhook_returns_the_summary(make_app, redis_client):
    dispatcher = make_app().extensions[EXTENSION]
    summary = handle_meta_webhook(envelope(entry("123", change("1"), change("1"))), dispatcher)
    assert summary == {"enqueued": 1, "duplicates": 1, "ignored": 0, "invalid": 0}


# --- rejected deliveries: one test per reason ----------------------------------------------------------------------
def _assert_rejected(response, status: int, reason: str, redis_client) -> None:
    assert response.status_code == status
    assert response.get_json()["reason"] == reason
    assert queued_tasks(redis_client) == []
    assert pending_keys(redis_client) == []


def test_missing_signature_header_is_rejected(client, redis_client):
    _assert_rejected(client.post("/webhooks/meta", **signed_request(header="")), 401, "missing", redis_client)


def test_signature_with_a_bad_prefix_is_rejected(client, redis_client):
    good = signed_request()["headers"][SIGNATURE_HEADER].partition("=")[2]
    response = client.post("/webhooks/meta", **signed_request(signature=f"md5={good}"))
    _assert_rejected(response, 401, "bad_prefix", redis_client)


def test_sha1_digest_in_the_sha256_header_is_rejected(client, redis_client):
    sha1 = signed_request(algorithm="sha1")["headers"][LEGACY_SIGNATURE_HEADER]
    response = client.post("/webhooks/meta", **signed_request(signature=sha1))
    _assert_rejected(response, 401, "bad_prefix", redis_client)


def test_signature_that_is_not_a_hex_digest_is_rejected(client, redis_client):
    response = client.post("/webhooks/meta", **signed_request(signature="sha256=" + "z" * 64))
    _assert_rejected(response, 401, "malformed", redis_client)


def test_wrong_digest_is_rejected(client, redis_client):
    response = client.post("/webhooks/meta", **signed_request(signature="sha256=" + "ab" * 32))
    _assert_rejected(response, 401, "mismatch", redis_client)


def test_signature_made_with_another_secret_is_rejected(client, redis_client):
    response = client.post("/webhooks/meta", **signed_request(secret="not-the-app-secret"))
    _assert_rejected(response, 401, "mismatch", redis_client)


def test_tampered_body_is_rejected(client, redis_client):
    original = signed_request(envelope(entry("123", change("1"))))
    tampered = original["data"].replace(b'"123"', b'"124"')
    response = client.post("/webhooks/meta", data=tampered, headers=original["headers"])
    _assert_rejected(response, 401, "mismatch", redis_client)


def test_bad_sha256_header_does_not_fall_back_to_a_good_sha1_one(client, redis_client):
    request = signed_request(algorithm="sha1")
    request["headers"][SIGNATURE_HEADER] = "sha256=" + "00" * 32
    _assert_rejected(client.post("/webhooks/meta", **request), 401, "mismatch", redis_client)


def test_oversized_body_is_rejected_before_verification(make_app, redis_client):
    client = make_app(WEBHOOK_MAX_BODY_BYTES=2048).test_client()
    body = envelope(entry("123", *(change(str(i)) for i in range(40))))
    request = signed_request(body)
    assert len(request["data"]) > 2048
    _assert_rejected(client.post("/webhooks/meta", **request), 413, "too_large", redis_client)


def test_oversized_chunked_body_without_length_is_rejected(make_app, redis_client):
    client = make_app(WEBHOOK_MAX_BODY_BYTES=2048).test_client()
    request = signed_request(envelope(entry("123", *(change(str(i)) for i in range(40)))))
    # As gunicorn passes a chunked body: no length, the stream ends where the body ends.
    response = client.post("/webhooks/meta", data=request["data"], environ_overrides={"wsgi.input_terminated": True},
                           headers={**request["headers"], "Transfer-Encoding": "chunked"})
    _assert_rejected(response, 413, "too_large", redis_client)


def test_body_at_the_size_limit_is_accepted(make_app, redis_client):
    request = signed_request(envelope(entry("123", change("1"))))
    client = make_app(WEBHOOK_MAX_BODY_BYTES=len(request["data"])).test_client()
    assert client.post("/webhooks/meta", **request).status_code == 200


@pytest.mark.parametrize("raw", [
    b'{"object": "ad_account", "entry": [',
    b"\xff\xfe not utf-8",
    b"[" * 100_000 + b"]" * 100_000,
    b"",
], ids=["truncated", "not-utf8", "absurdly-nested", "empty"])
def test_body_that_is_not_json_is_rejected(client, redis_client, raw):
    _assert_rejected(client.post("/webhooks/meta", **signed_request(raw)), 400, "bad_payload", redis_client)


@pytest.mark.parametrize("body", [
    [],
    {"entry": []},
    {"object": "", "entry": []},
    {"object": 5, "entry": []},
    {"object": "ad_account"},
    {"object": "ad_account", "entry": {"id": "123"}},
], ids=["list", "no-object", "empty-object", "object-not-text", "no-entry", "entry-not-list"])
def test_wrong_envelope_is_rejected(client, redis_client, body):
    _assert_rejected(client.post("/webhooks/meta", **signed_request(body)), 400, "bad_payload", redis_client)


def test_unsigned_requests_are_refused_when_no_secret_is_configured(make_app, redis_client):
    client = make_app(META_APP_SECRET="").test_client()
    response = client.post("/webhooks/meta", **signed_request(secret="anything"))
    _assert_rejected(response, 503, "secret_not_configured", redis_client)


def test_secrets_and_signatures_never_reach_the_logs(client, caplog):
    caplog.set_level(logging.DEBUG)
    good = signed_request()
    bad = signed_request(signature="sha256=" + "ab" * 32)
    other = signed_request(secret="other-secret")
    client.post("/webhooks/meta", **good)
    client.post("/webhooks/meta", **bad)
    client.post("/webhooks/meta", **other)
    client.post("/webhooks/meta", **signed_request(b"not json"))
    client.get("/webhooks/meta", query_string={"hub.mode": "subscribe", "hub.verify_token": "wrong-token",
                                               "hub.challenge": "1"})
    client.get("/webhooks/meta", query_string={"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN,
                                               "hub.challenge": "1"})

    assert any(getattr(r, "event", None) == "webhook_rejected" for r in caplog.records)
    logged = caplog.text + " ".join(str(r.__dict__) for r in caplog.records)
    forbidden = [APP_SECRET, VERIFY_TOKEN, "wrong-token", "other-secret", "ab" * 32]
    forbidden += [r["headers"][SIGNATURE_HEADER].partition("=")[2] for r in (good, other)]
    assert [secret for secret in forbidden if secret in logged] == []


# --- de-duplication ------------------------------------------------------------------------------------------------
def test_same_object_within_the_window_is_enqueued_once_and_again_after_it(make_app, redis_client):
    client = make_app(WEBHOOK_DEDUPE_SECONDS=0.3).test_client()
    request = signed_request(envelope(entry("123", change("1", "AD"))))

    first = client.post("/webhooks/meta", **request).get_json()
    redelivery = client.post("/webhooks/meta", **request).get_json()
    time.sleep(0.4)
    later = client.post("/webhooks/meta", **request).get_json()

    assert (first["enqueued"], redelivery["enqueued"], redelivery["duplicates"], later["enqueued"]) == (1, 0, 1, 1)
    assert len(queued_tasks(redis_client)) == 2


def test_same_id_in_another_account_or_level_is_not_a_duplicate(client, redis_client):
    body = envelope(entry("123", change("1", "AD"), change("1", "CAMPAIGN")), entry("456", change("1", "AD")))
    assert client.post("/webhooks/meta", **signed_request(body)).get_json()["enqueued"] == 3


def test_a_started_resync_lets_the_next_notice_through(client, redis_client):
    request = signed_request(envelope(entry("123", change("1", "AD"))))
    client.post("/webhooks/meta", **request)
    clear_pending(redis_client, "act_123", "AD", "1")  # what sync_entity does right before reading Meta

    assert client.post("/webhooks/meta", **request).get_json()["enqueued"] == 1


# --- unavailable dependencies --------------------------------------------------------------------------------------
def test_broker_down_answers_503_fast_and_keeps_the_retry_possible(make_app, redis_client):
    down = make_app(CELERY_BROKER_URL=f"redis://127.0.0.1:{dead_port()}/15").test_client()
    request = signed_request(envelope(entry("123", change("1"), change("2"))))

    started = time.monotonic()
    response = down.post("/webhooks/meta", **request)

    assert time.monotonic() - started < 5
    _assert_rejected(response, 503, "enqueue_failed", redis_client)
    # Meta's redelivery, once the broker is back, is enqueued rather than taken for a duplicate.
    retry = make_app().test_client().post("/webhooks/meta", **request)
    assert retry.get_json()["enqueued"] == 2


def test_dedupe_store_down_answers_503(make_app, redis_client):
    client = make_app(REDIS_URL=f"redis://127.0.0.1:{dead_port()}/15").test_client()
    _assert_rejected(client.post("/webhooks/meta", **signed_request()), 503, "enqueue_failed", redis_client)


def test_healthz_reports_both_dependencies_up(client):
    response = client.get("/healthz")
    assert (response.status_code, response.get_json()) == (200, {"redis": "ok", "mongodb": "ok"})


@pytest.mark.parametrize("down, config_key, url", [
    ("mongodb", "MONGODB_URI", "mongodb://127.0.0.1:{port}/metasync"),
    ("redis", "REDIS_URL", "redis://127.0.0.1:{port}/15"),
])
def test_healthz_names_the_dependency_that_is_down(make_app, down, config_key, url):
    client = make_app(**{config_key: url.format(port=dead_port()), "WEBHOOK_HEALTH_TIMEOUT_SECONDS": 0.5}).test_client()
    started = time.monotonic()
    response = client.get("/healthz")

    assert time.monotonic() - started < 3
    assert response.status_code == 503
    assert response.get_json()[down] == "down"
    assert set(response.get_json().values()) == {"ok", "down"}


# --- no input makes it fail ----------------------------------------------------------------------------------------
_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)
_ids = st.one_of(st.from_regex(r"\A(act_)?[0-9]{1,20}\Z"), st.text(max_size=8), st.integers(), st.none())
_changes = st.fixed_dictionaries({
    "field": st.sampled_from(["in_process_ad_objects", "with_issues_ad_objects", "creative_fatigue", "x"]) | _json,
    "value": st.fixed_dictionaries({"id": _ids, "level": st.sampled_from(["CAMPAIGN", "AD_SET", "AD", "CREATIVE"])
                                    | _json}) | _json,
}) | _json
_envelopes = st.fixed_dictionaries({
    "object": st.sampled_from(["ad_account", "page"]) | _json,
    "entry": st.lists(st.fixed_dictionaries({"id": _ids, "changes": st.lists(_changes, max_size=3) | _json})
                      | _json, max_size=3) | _json,
})
_bodies = st.one_of(st.binary(max_size=200), _json.map(lambda v: json.dumps(v).encode()),
                    _envelopes.map(lambda v: json.dumps(v).encode()))
_header_text = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=80)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=_bodies, how=st.sampled_from(["sha256", "sha1", "random", "none"]), header_value=_header_text,
       content_type=st.sampled_from(["application/json", "text/plain", "application/x-www-form-urlencoded", ""]))
def test_no_body_or_header_makes_the_receiver_fail(client, body, how, header_value, content_type):
    if how in ("sha256", "sha1"):
        headers = {SIGNATURE_HEADER if how == "sha256" else LEGACY_SIGNATURE_HEADER:
                   compute_signature(body, APP_SECRET, how)}
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


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=st.dictionaries(st.sampled_from(["hub.mode", "hub.verify_token", "hub.challenge", "x"]),
                             st.text(max_size=300), max_size=4))
def test_no_handshake_query_makes_the_receiver_fail(client, query):
    assert client.get("/webhooks/meta", query_string=query).status_code in (200, 400, 403)


def test_the_helpers_read_the_environment_conftest_sets():
    assert os.environ["META_APP_SECRET"] == APP_SECRET and os.environ["META_APP_VERIFY_TOKEN"] == VERIFY_TOKEN
