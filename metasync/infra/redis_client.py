"""One Redis client per process, created lazily (after fork) from `REDIS_URL`."""

from __future__ import annotations

import os
import threading

import redis

from metasync.settings import get_settings

_lock = threading.Lock()
_client: redis.Redis | None = None
_client_pid: int | None = None


def get_redis() -> redis.Redis:
    global _client, _client_pid
    with _lock:
        if _client is None or _client_pid != os.getpid():
            _client = redis.Redis.from_url(
                get_settings().redis_url, socket_timeout=10, socket_connect_timeout=5, health_check_interval=30
            )
            _client_pid = os.getpid()
        return _client


def reset_redis() -> None:
    global _client
    with _lock:
        _client = None
