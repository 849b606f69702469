"""De-duplication of webhook notices: one pending re-sync per account, level and object, until the window ends
or the re-sync starts."""

from __future__ import annotations

import pytest

from metasync.webhook_events.dedupe import clear_pending, dedupe_key
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
