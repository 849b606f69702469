"""Queue depth as the broker holds it: every priority list of a Redis queue, a passive declare on RabbitMQ."""

from __future__ import annotations

import os

import kombu
import pytest

from metasync.infra.queues import queue_lengths, redis_queue_keys
from tests.webhook_fakes import dead_port

pytestmark = pytest.mark.services


def test_redis_queue_length_counts_every_priority_list(redis_client):
    keys = redis_queue_keys("metasync")
    redis_client.rpush(keys[0], "a", "b")
    redis_client.rpush(keys[2], "c")

    assert queue_lengths(os.environ["REDIS_URL"], ["metasync", "other"], 1.0) == {"metasync": 3, "other": 0}


def test_a_celery_message_on_redis_is_counted(redis_client):
    with kombu.Connection(os.environ["REDIS_URL"]) as conn:
        queue = kombu.Queue("metasync", kombu.Exchange("metasync"), "metasync")
        conn.Producer().publish({"x": 1}, exchange=queue.exchange, routing_key="metasync", declare=[queue], priority=6)

    assert queue_lengths(os.environ["REDIS_URL"], ["metasync"], 1.0) == {"metasync": 1}


@pytest.mark.parametrize("url", ["redis://127.0.0.1:{port}/0", "amqp://guest:guest@127.0.0.1:{port}//"])
def test_a_dead_broker_raises_instead_of_waiting(url):
    with pytest.raises(Exception):  # noqa: B017 - redis, kombu or OSError, whichever the transport raises
        queue_lengths(url.format(port=dead_port()), ["metasync"], 0.5)


def test_rabbitmq_queue_length_comes_from_a_passive_declare(amqp_url):
    with kombu.Connection(amqp_url) as conn:
        queue = kombu.Queue("metasync-metrics-test", kombu.Exchange("metasync-metrics-test"), "m")
        conn.Producer().publish({"x": 1}, exchange=queue.exchange, routing_key="m", declare=[queue])
        try:
            assert queue_lengths(amqp_url, ["metasync-metrics-test", "absent-queue"], 1.0) == {
                "metasync-metrics-test": 1,
                "absent-queue": 0,
            }
        finally:
            queue(conn.default_channel).delete()
