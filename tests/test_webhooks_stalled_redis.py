"""A stalled Redis cannot swallow Meta's retry: a notice counts as a duplicate only after an earlier one was
published (the de-duplication claim that Redis applies late is only PENDING)."""

from __future__ import annotations

import threading
import time

import pytest
import redis

from metasync.webhook_events.dedupe import ENQUEUED, PENDING, dedupe_key
from tests.test_webhooks import change, entry, envelope, queued_tasks, signed_request
from webhooks import create_app
from webhooks.views import EXTENSION

pytestmark = pytest.mark.services


@pytest.fixture
def app(redis_client):
    app = create_app({"WEBHOOK_BROKER_TIMEOUT_SECONDS": 0.5})
    yield app
    app.extensions[EXTENSION].close()


def test_a_claim_redis_applied_after_the_request_gave_up_does_not_swallow_the_retry(app, redis_client):
    request = signed_request(envelope(entry("123", change("7", "AD"))))
    paused = redis.Redis(connection_pool=redis_client.connection_pool)
    paused.execute_command("CLIENT", "PAUSE", 2000, "WRITE")  # Redis holds every write for 2 s, then applies it
    try:
        first = app.test_client().post("/webhooks/meta", **request)
    finally:
        time.sleep(2.2)  # the pause ends by itself; the held claim is applied now
    assert first.status_code == 503
    assert redis_client.get(dedupe_key("act_123", "AD", "7")) in (PENDING, None)

    retry = app.test_client().post("/webhooks/meta", **request)

    assert retry.status_code == 200 and retry.get_json()["enqueued"] == 1
    assert queued_tasks(redis_client) == [("route_ad_account_change", ["act_123", "AD", "7"])]
    assert redis_client.get(dedupe_key("act_123", "AD", "7")) == ENQUEUED


def test_a_retry_after_a_published_delivery_is_a_duplicate(app, redis_client):
    request = signed_request(envelope(entry("123", change("7", "AD"))))
    assert app.test_client().post("/webhooks/meta", **request).get_json()["enqueued"] == 1

    again = app.test_client().post("/webhooks/meta", **request).get_json()

    assert (again["enqueued"], again["duplicates"]) == (0, 1)
    assert len(queued_tasks(redis_client)) == 1


def test_concurrent_deliveries_of_one_object_enqueue_it_at_least_once(app, redis_client):
    request = signed_request(envelope(entry("123", change("7", "AD"))))
    answers = []
    threads = [threading.Thread(target=lambda: answers.append(app.test_client().post("/webhooks/meta", **request)))
               for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert all(answer.status_code == 200 for answer in answers)
    assert 1 <= len(queued_tasks(redis_client)) <= 4
