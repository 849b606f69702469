"""From a verified delivery to enqueued re-syncs: extract object changes, de-duplicate, publish.

No Graph or MongoDB work happens here. Each changed object is enqueued once as
`route_ad_account_change(ad_account_id, level, object_id)`; that task finds the account's connections (a MongoDB
read, kept out of the request) and enqueues `sync_entity(connection_id, level, object_id)` for each of them.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

import redis

from metasync.webhook_events import ROUTE_TASK
from metasync.webhook_events.dedupe import ChangeDeduper, dedupe_key
from webhooks.payload import ObjectChange, extract_changes
from webhooks.publisher import BrokerUnavailable, TaskPublisher

log = logging.getLogger(__name__)


class DispatchUnavailable(Exception):
    """Redis or the broker is down: the delivery was not (fully) enqueued and must be retried by Meta (503)."""


class ChangeDispatcher:
    """De-duplicates changes in Redis and publishes one routing task per new one."""

    def __init__(self, deduper: ChangeDeduper, publisher: TaskPublisher, task_name: str = ROUTE_TASK):
        self.deduper = deduper
        self.publisher = publisher
        self.task_name = task_name

    def dispatch(self, changes: Sequence[ObjectChange]) -> tuple[int, int]:
        """(enqueued, duplicates); raises DispatchUnavailable when not everything could be enqueued (what was is
        marked, so Meta's retry enqueues only the rest)."""
        keys = [dedupe_key(c.ad_account_id, c.level, c.object_id) for c in changes]
        try:
            claimed = self.deduper.claim(keys)
        except redis.RedisError as exc:
            self._tidy_quietly(keys)  # a claim Redis applied before the reply was lost: PENDING, tidied if it can be
            raise DispatchUnavailable(f"de-duplication store unavailable: {exc.__class__.__name__}") from exc
        new = [(change, key) for change, key, mine in zip(changes, keys, claimed, strict=True) if mine]
        published: list[str] = []
        try:
            for change, key in new:
                self.publisher.publish(self.task_name, (change.ad_account_id, change.level, change.object_id))
                published.append(key)
        except BrokerUnavailable as exc:
            self._tidy_quietly([key for _, key in new[len(published) :]])
            raise DispatchUnavailable(str(exc)) from exc
        finally:
            self._confirm_quietly(published)
        return len(new), len(changes) - len(new)

    def close(self) -> None:
        self.publisher.close()
        self.deduper.client.close()

    def _tidy_quietly(self, keys: Sequence[str]) -> None:
        try:
            self.deduper.release(keys)
        except redis.RedisError:
            pass  # PENDING keys are never taken for duplicates; they expire after the window

    def _confirm_quietly(self, keys: Sequence[str]) -> None:
        try:
            self.deduper.confirm(keys)
        except redis.RedisError:
            # Enqueued all the same; a redelivery within the window is enqueued again, which only re-reads.
            log.warning(
                "could not mark %d enqueued webhook changes; a redelivery will enqueue them again",
                len(keys),
                extra={"event": "webhook_dedupe_confirm_failed", "keys": len(keys)},
            )


def build_dispatcher(config: Mapping[str, Any]) -> ChangeDispatcher:
    """A dispatcher for the Redis, broker and window in `config` (keys as in `webhooks.config`)."""
    timeout = config["WEBHOOK_BROKER_TIMEOUT_SECONDS"]
    client = redis.Redis.from_url(config["REDIS_URL"], socket_timeout=timeout, socket_connect_timeout=timeout)
    return ChangeDispatcher(
        ChangeDeduper(client, config["WEBHOOK_DEDUPE_SECONDS"]), TaskPublisher(config["CELERY_BROKER_URL"], timeout)
    )


@lru_cache(maxsize=1)
def default_dispatcher() -> ChangeDispatcher:
    from webhooks.config import default_config

    return build_dispatcher(default_config())


def handle_meta_webhook(payload: dict[str, Any], dispatcher: ChangeDispatcher | None = None) -> dict[str, int]:
    """Enqueue a re-sync for every changed campaign, ad set and ad in a (verified, parsed) delivery.

    Returns counts for the response: enqueued, duplicates (already pending), ignored (acknowledged on purpose:
    other objects, other fields, creative-level changes) and invalid (malformed changes, skipped).
    Raises DispatchUnavailable when nothing can be safely enqueued.
    """
    parsed = extract_changes(payload)
    enqueued, duplicates = (dispatcher or default_dispatcher()).dispatch(parsed.changes)
    summary = {"enqueued": enqueued, "duplicates": duplicates, "ignored": parsed.ignored, "invalid": parsed.invalid}
    if parsed.invalid:
        log.warning(
            "skipped %d malformed webhook changes",
            parsed.invalid,
            extra={"event": "webhook_changes_invalid", **summary},
        )
    log.info(
        "webhook delivery handled", extra={"event": "webhook_received", "object": payload["object"][:64], **summary}
    )
    return summary
