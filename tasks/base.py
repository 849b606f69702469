"""What every metasync task shares: a database connection after fork, logging, and retry countdowns."""

from __future__ import annotations

import logging
import random

from celery.signals import setup_logging, worker_process_init
from pymongo.errors import ConnectionFailure, PyMongoError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from metasync.graph.errors import is_retryable
from metasync.infra import db
from metasync.infra.logs import configure_logging
from metasync.store.documents import MetaConnection, ensure_indexes

log = logging.getLogger(__name__)

# Celery-level retries (minutes); in-call retries (seconds) happen in the Graph client.
MAX_TASK_RETRIES = 5


@worker_process_init.connect
def _connect_after_fork(**_kwargs) -> None:
    db.disconnect()
    db.connect()
    try:
        ensure_indexes()  # idempotent: a fresh install has every index before the first task writes
    except PyMongoError as exc:
        log.warning(
            "indexes not created yet (MongoDB unreachable: %s); tasks retry until it answers",
            exc.__class__.__name__,
            extra={"event": "indexes_pending"},
        )


@setup_logging.connect
def _setup_logging(**_kwargs) -> None:
    # Connected, this replaces Celery's own logging setup: one handler, our format, secrets redacted.
    configure_logging()


def worth_retrying(exc: BaseException) -> bool:
    """Worth a task retry minutes later: what Graph calls retryable, and our own servers (MongoDB, Redis) unreachable
    for a moment (a restart, a failover): every write is an upsert, so running the job again loses nothing."""
    return is_retryable(exc) or isinstance(exc, (ConnectionFailure, RedisConnectionError, RedisTimeoutError))


def retry_countdown(retries: int, at_least: float = 0.0) -> float:
    """Exponential minutes with jitter (1, 2, 4, 8, 16 min), never below what Meta asked us to wait."""
    base = 60.0 * (2**retries)
    return max(at_least, base) + random.uniform(0, 30)


def load_connection(connection_id: str) -> MetaConnection | None:
    db.connect()
    try:
        return MetaConnection.objects(id=connection_id).first()
    except Exception:  # a malformed id is a bad message, not a crash loop
        log.warning("not a connection id: %r", str(connection_id)[:64])
        return None
