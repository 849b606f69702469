"""How many messages wait in a broker queue: Redis list lengths for the Redis broker, a passive `queue_declare`
(kombu) for RabbitMQ. Every call is bounded by a short timeout, so a dead broker answers an error, not a hang."""

from __future__ import annotations

import threading
from urllib.parse import urlsplit

import kombu
import redis
from kombu.exceptions import ChannelError

# Celery on Redis keeps one list per priority step: the queue's own name for priority 0, `<queue>\x06\x16<p>` for
# the others (kombu's default steps).
REDIS_PRIORITY_STEPS = (0, 3, 6, 9)
_PRIORITY_SEP = "\x06\x16"
REDIS_SCHEMES = ("redis", "rediss", "unix")

_clients: dict[tuple[str, float], redis.Redis] = {}
_clients_lock = threading.Lock()


def redis_queue_keys(queue: str) -> list[str]:
    return [queue if step == 0 else f"{queue}{_PRIORITY_SEP}{step}" for step in REDIS_PRIORITY_STEPS]


def passive_queue_length(conn: kombu.Connection, queue: str) -> int:
    """Messages waiting in `queue` on an open kombu connection (0 when the broker does not know the queue: Redis
    keeps no empty queues). Each ask has its own channel: RabbitMQ closes the channel that asked for an unknown
    queue."""
    channel = conn.channel()
    try:
        return channel.queue_declare(queue, passive=True).message_count
    except (ChannelError, *conn.channel_errors):
        return 0
    finally:
        try:
            channel.close()
        except (*conn.channel_errors, *conn.connection_errors):
            pass


def queue_lengths(broker_url: str, queues: list[str], timeout: float) -> dict[str, int]:
    """Messages waiting in each of `queues`; raises the broker's error (redis / kombu / OSError) when it cannot
    tell within about `timeout` seconds per call."""
    if urlsplit(broker_url).scheme in REDIS_SCHEMES:
        pipe = _redis_for(broker_url, timeout).pipeline(transaction=False)
        for queue in queues:
            for key in redis_queue_keys(queue):
                pipe.llen(key)
        lengths = pipe.execute()
        steps = len(REDIS_PRIORITY_STEPS)
        return {queue: sum(lengths[i * steps : (i + 1) * steps]) for i, queue in enumerate(queues)}
    with kombu.Connection(broker_url, connect_timeout=timeout, transport_options={"max_retries": 0}) as conn:
        conn.ensure_connection(max_retries=1, timeout=timeout)
        return {queue: passive_queue_length(conn, queue) for queue in queues}


def _redis_for(url: str, timeout: float) -> redis.Redis:
    with _clients_lock:
        client = _clients.get((url, timeout))
        if client is None:
            client = _clients[(url, timeout)] = redis.Redis.from_url(
                url, socket_timeout=timeout, socket_connect_timeout=timeout
            )
        return client
