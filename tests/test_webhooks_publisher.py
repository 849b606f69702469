"""The web app's publisher hands tasks to the broker by name, on Redis and on RabbitMQ alike, and answers fast
when the broker is down."""

from __future__ import annotations

import os
import socket
import time

import kombu
import pytest

from webhooks.publisher import BrokerUnavailable, TaskPublisher

pytestmark = pytest.mark.services

QUEUE = "metasync"  # celeryconfig.task_default_queue


@pytest.fixture(params=["redis", "amqp"])
def broker_url(request, redis_client):
    if request.param == "amqp":
        return request.getfixturevalue("amqp_url")
    return os.environ["CELERY_BROKER_URL"]


def test_a_published_task_waits_in_the_broker_queue_under_its_name(broker_url):
    publisher = TaskPublisher(broker_url, 2)
    try:
        publisher.publish("route_ad_account_change", ("act_123", "AD", "5"))
        publisher.publish("route_ad_account_change", ("act_123", "AD", "6"))  # the connection is reused
    finally:
        publisher.close()

    with kombu.Connection(broker_url) as connection:
        queue = connection.SimpleQueue(QUEUE)
        try:
            received = []
            for _ in range(2):
                message = queue.get(timeout=5)
                received.append((message.headers["task"], message.payload[0]))
                message.ack()
        finally:
            queue.close()
    assert received == [
        ("route_ad_account_change", ["act_123", "AD", "5"]),
        ("route_ad_account_change", ["act_123", "AD", "6"]),
    ]


def test_a_task_id_and_keyword_arguments_travel_with_the_message(broker_url):
    publisher = TaskPublisher(broker_url, 2)
    try:
        publisher.publish("sync_connection", ["c1"], {"full": True, "run_id": "r1"}, task_id="t-1")
    finally:
        publisher.close()

    with kombu.Connection(broker_url) as connection:
        queue = connection.SimpleQueue(QUEUE)
        try:
            message = queue.get(timeout=5)
            message.ack()
        finally:
            queue.close()
    assert (message.headers["task"], message.headers["id"]) == ("sync_connection", "t-1")
    assert message.payload[:2] == [["c1"], {"full": True, "run_id": "r1"}]


@pytest.mark.parametrize("scheme", ["redis://127.0.0.1:{port}/15", "amqp://guest:guest@127.0.0.1:{port}//"])
def test_a_dead_broker_is_reported_within_seconds(scheme, redis_client):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    publisher = TaskPublisher(scheme.format(port=port), 1)
    started = time.monotonic()
    with pytest.raises(BrokerUnavailable):
        publisher.publish("route_ad_account_change", ("act_123", "AD", "5"))
    assert time.monotonic() - started < 5
