"""De-duplication of webhook notices: one pending re-sync per account, level and object, until the window ends
or the re-sync starts; a stalled Redis cannot swallow Meta's retry (a notice is a duplicate only after an earlier
one was published: the claim Redis applies late is only PENDING)."""

from __future__ import annotations

import threading
import time

import pytest
import redis

from metasync.webhook_events.dedupe import ENQUEUED, PENDING, clear_pending, dedupe_key
from tests.helpers import queued_tasks, wait_until_expired
from tests.webhook_fakes import change, entry, envelope, signed_request


@pytest.mark.services
def test_same_object_within_the_window_is_enqueued_once_and_again_after_it(make_app, redis_client):
    client = make_app(WEBHOOK_DEDUPE_SECONDS=0.3).test_client()
    request = signed_request(envelope(entry("123", change("1", "AD"))))

    first = client.post("/webhooks/meta", **request).get_json()
    redelivery = client.post("/webhooks/meta", **request).get_json()
    wait_until_expired(redis_client, dedupe_key("act_123", "AD", "1"))  # the window is Redis's key expiry
    later = client.post("/webhooks/meta", **request).get_json()

    assert (first["enqueued"], redelivery["enqueued"], redelivery["duplicates"], later["enqueued"]) == (1, 0, 1, 1)
    assert len(queued_tasks(redis_client)) == 2


@pytest.mark.services
def test_same_id_in_another_account_or_level_is_not_a_duplicate(client, redis_client):
    body = envelope(entry("123", change("1", "AD"), change("1", "CAMPAIGN")), entry("456", change("1", "AD")))
    assert client.post("/webhooks/meta", **signed_request(body)).get_json()["enqueued"] == 3


@pytest.mark.services
def test_a_started_resync_lets_the_next_notice_through(client, redis_client):
    request = signed_request(envelope(entry("123", change("1", "AD"))))
    client.post("/webhooks/meta", **request)
    clear_pending(redis_client, "act_123", "AD", "1")  # what sync_entity does right before reading Meta

    assert client.post("/webhooks/meta", **request).get_json()["enqueued"] == 1


# --- a stalled Redis ------------------------------------------------------------------------------------------
@pytest.fixture
def app(make_app):
    """The webhook app, giving up on Redis or the broker after half a second."""
    return make_app(WEBHOOK_BROKER_TIMEOUT_SECONDS=0.5)


@pytest.mark.services
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


@pytest.mark.services
def test_a_retry_after_a_published_delivery_is_a_duplicate(app, redis_client):
    request = signed_request(envelope(entry("123", change("7", "AD"))))
    assert app.test_client().post("/webhooks/meta", **request).get_json()["enqueued"] == 1

    again = app.test_client().post("/webhooks/meta", **request).get_json()

    assert (again["enqueued"], again["duplicates"]) == (0, 1)
    assert len(queued_tasks(redis_client)) == 1


@pytest.mark.services
def test_concurrent_deliveries_of_one_object_enqueue_it_at_least_once(app, redis_client):
    request = signed_request(envelope(entry("123", change("7", "AD"))))
    answers = []
    threads = [
        threading.Thread(target=lambda: answers.append(app.test_client().post("/webhooks/meta", **request)))
        for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert all(answer.status_code == 200 for answer in answers)
    assert 1 <= len(queued_tasks(redis_client)) <= 4
