"""Webhook tasks: route one changed object to its connections (`route_ad_account_change`), re-sync it per
connection (`sync_entity`)."""

from __future__ import annotations

import logging
import random

from pymongo.errors import PyMongoError

from metasync.celery import app
from metasync.connections.registry import routable_connection_ids
from metasync.entities.refresh import sync_entity_from_webhook
from metasync.entities.spec import SPECS_BY_LEVEL
from metasync.graph.ids import is_meta_id
from metasync.infra import db
from metasync.infra.redis_client import get_redis
from metasync.webhook_events import ROUTE_TASK
from metasync.webhook_events.dedupe import clear_pending
from tasks.base import MAX_TASK_RETRIES
from tasks.sync import run_locked_connection_job

log = logging.getLogger(__name__)

# Another worker is re-reading the same object right now: read again shortly after it, so nothing is missed.
LOCKED_RETRY_SECONDS = 5.0


@app.task(
    name=ROUTE_TASK,
    bind=True,
    acks_late=True,
    ignore_result=True,
    autoretry_for=(PyMongoError,),
    retry_backoff=30,
    retry_backoff_max=600,
    max_retries=MAX_TASK_RETRIES,
)
def route_ad_account_change(self, ad_account_id: str, level: str, object_id: str) -> dict:
    """Enqueue `sync_entity` for every connection of the ad account. Idempotent: a re-run only re-reads again.

    Retried with backoff while MongoDB is unreachable (the webhook itself was acknowledged already).
    """
    db.connect()
    connection_ids = routable_connection_ids(ad_account_id)
    if not connection_ids:
        log.warning(
            "webhook for ad account %s, which no active connection syncs; ignored",
            ad_account_id,
            extra={
                "event": "webhook_unknown_account",
                "ad_account_id": ad_account_id,
                "level": level,
                "object_id": object_id,
            },
        )
        return {"ad_account_id": ad_account_id, "connections": 0}
    for connection_id in connection_ids:
        sync_entity.delay(connection_id, level, object_id)
    return {"ad_account_id": ad_account_id, "connections": len(connection_ids)}


@app.task(name="sync_entity", bind=True, acks_late=True, ignore_result=True, max_retries=MAX_TASK_RETRIES)
def sync_entity(self, connection_id: str, level: str, object_id: str) -> dict:
    """Re-read one campaign, ad set or ad of one connection from Meta. Idempotent (upserts).

    Rate limits, the per-connection lock (one per object, so a running full sync does not block it) and
    Celery retries are those of `sync_connection`.
    """
    if level not in SPECS_BY_LEVEL or not is_meta_id(object_id):
        log.warning(
            "sync_entity for an unknown level or malformed id; dropped",
            extra={"event": "entity_sync_invalid", "level": str(level)[:32], "object_id": str(object_id)[:32]},
        )
        return {"connection_id": connection_id, "skipped": "invalid"}

    def job(connection):
        # From here on a new webhook for this object must enqueue again: this read may predate its change.
        clear_pending(get_redis(), connection.ad_account_id, level, object_id)
        return sync_entity_from_webhook(connection, level, object_id)

    result = run_locked_connection_job(self, connection_id, f"entity:{object_id}", job)
    if result.get("skipped") == "locked":
        # Unlike a scheduled sync, skipping could lose a change made after the running read began.
        if self.request.retries >= MAX_TASK_RETRIES:
            log.warning(
                "entity %s %s stayed locked; giving up",
                level,
                object_id,
                extra={"event": "entity_sync_locked", "connection_id": connection_id},
            )
            return result
        raise self.retry(
            countdown=LOCKED_RETRY_SECONDS + random.uniform(0, LOCKED_RETRY_SECONDS), max_retries=MAX_TASK_RETRIES
        )
    return result
