"""Dependency checks for `/healthz`: a fresh, short-timeout connection each, closed right after.

Fresh connections keep a probe honest (a pooled one can look fine while new ones fail) and cost a few
milliseconds at probe frequency.
"""

from __future__ import annotations

import logging

import pymongo
import redis
from pymongo.errors import PyMongoError

log = logging.getLogger(__name__)


def redis_is_up(url: str, timeout: float) -> bool:
    client = redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
    try:
        return bool(client.ping())
    except (redis.RedisError, OSError) as exc:
        log.warning(
            "health check: Redis is down (%s)",
            exc.__class__.__name__,
            extra={"event": "healthcheck_failed", "dependency": "redis"},
        )
        return False
    finally:
        client.close()


def mongodb_is_up(uri: str, timeout: float) -> bool:
    ms = max(1, int(timeout * 1000))
    client = pymongo.MongoClient(
        uri, serverSelectionTimeoutMS=ms, connectTimeoutMS=ms, socketTimeoutMS=ms, connect=False
    )
    try:
        client.admin.command("ping")
        return True
    except PyMongoError as exc:
        log.warning(
            "health check: MongoDB is down (%s)",
            exc.__class__.__name__,
            extra={"event": "healthcheck_failed", "dependency": "mongodb"},
        )
        return False
    finally:
        client.close()


def check_dependencies(redis_url: str, mongodb_uri: str, timeout: float) -> tuple[dict[str, str], bool]:
    """({"redis": "ok"|"down", "mongodb": "ok"|"down"}, all up)."""
    report = {
        "redis": "ok" if redis_is_up(redis_url, timeout) else "down",
        "mongodb": "ok" if mongodb_is_up(mongodb_uri, timeout) else "down",
    }
    return report, all(v == "ok" for v in report.values())
