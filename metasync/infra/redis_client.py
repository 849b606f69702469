"""One Redis client per process, created lazily (after fork) from `REDIS_URL`."""

from __future__ import annotations

import os
import threading

import redis

from metasync.settings import get_settings

CLIENT_NAME = "metasync"
_lock = threading.Lock()
_client: redis.Redis | None = None
_client_pid: int | None = None


def get_redis() -> redis.Redis:
    global _client, _client_pid
    with _lock:
        if _client is None or _client_pid != os.getpid():
            # Named, so `CLIENT LIST` on a shared Redis shows which connections are metasync's.
            _client = redis.Redis.from_url(
                get_settings().redis_url,
                socket_timeout=10,
                socket_connect_timeout=5,
                health_check_interval=30,
                client_name=CLIENT_NAME,
            )
            _client_pid = os.getpid()
        return _client


def reset_redis() -> None:
    global _client
    with _lock:
        _client = None
