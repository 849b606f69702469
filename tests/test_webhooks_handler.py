"""From a verified delivery to enqueued routing tasks: counts, no MongoDB work, and 503 when Redis or the broker
cannot take it."""

from __future__ import annotations

import time

import pytest

from tests.helpers import queued_tasks
from tests.webhook_fakes import ROUTE, assert_rejected, change, dead_port, entry, envelope, signed_request
from webhooks.handler import handle_meta_webhook
from webhooks.views import EXTENSION


@pytest.mark.services
def test_signed_delivery_enqueues_one_routing_task(client, redis_client):
    response = client.post("/webhooks/meta", **signed_request(envelope(entry("123", change("777", "AD")))))

    assert response.status_code == 200
    assert response.get_json() == {"enqueued": 1, "duplicates": 0, "ignored": 0, "invalid": 0}
    assert queued_tasks(redis_client) == [(ROUTE, ["act_123", "AD", "777"])]


@pytest.mark.services
def test_accounts_without_a_connection_are_acknowledged(client, redis_client):
    # The request cannot know (it does no MongoDB work); route_ad_account_change logs and drops it later.
    response = client.post("/webhooks/meta", **signed_request(envelope(entry("999999", change("1")))))

    assert response.status_code == 200
    assert queued_tasks(redis_client) == [(ROUTE, ["act_999999", "CAMPAIGN", "1"])]


@pytest.mark.services
def test_handle_meta_webhook_returns_the_summary(make_app, redis_client):
    dispatcher = make_app().extensions[EXTENSION]
    summary = handle_meta_webhook(envelope(entry("123", change("1"), change("1"))), dispatcher)
    assert summary == {"enqueued": 1, "duplicates": 1, "ignored": 0, "invalid": 0}


@pytest.mark.services
def test_broker_down_answers_503_fast_and_keeps_the_retry_possible(make_app, redis_client):
    down = make_app(CELERY_BROKER_URL=f"redis://127.0.0.1:{dead_port()}/15").test_client()
    request = signed_request(envelope(entry("123", change("1"), change("2"))))

    started = time.monotonic()
    response = down.post("/webhooks/meta", **request)

    assert time.monotonic() - started < 5
    assert_rejected(response, 503, "enqueue_failed", redis_client)
    # Meta's redelivery, once the broker is back, is enqueued rather than taken for a duplicate.
    retry = make_app().test_client().post("/webhooks/meta", **request)
    assert retry.get_json()["enqueued"] == 2


@pytest.mark.services
def test_dedupe_store_down_answers_503(make_app, redis_client):
    client = make_app(REDIS_URL=f"redis://127.0.0.1:{dead_port()}/15").test_client()
    assert_rejected(client.post("/webhooks/meta", **signed_request()), 503, "enqueue_failed", redis_client)
