"""Webhook de-duplication in Redis: one pending re-sync per (ad account, level, object) at a time.

Meta redelivers and batches, so the same object is often named several times within seconds. The first notice
claims a key (SET NX with the window as expiry) and is enqueued; later ones find the key and are counted as
duplicates. The key is cleared again:
- by the request itself when enqueueing failed, so Meta's retry is not swallowed;
- by `sync_entity` right before it reads the object from Meta, so a change made after that read is enqueued
  again instead of waiting out the window (the read that is still to come covers everything before it);
- by expiry after the window, in case the task never ran.
"""

from __future__ import annotations

from collections.abc import Sequence

import redis

KEY_PREFIX = "metasync:webhook:pending:"


def dedupe_key(ad_account_id: str, level: str, object_id: str) -> str:
    return f"{KEY_PREFIX}{ad_account_id}:{level}:{object_id}"


class ChangeDeduper:
    """Claims and releases de-duplication keys; Redis errors propagate (the caller answers 503)."""

    def __init__(self, client: redis.Redis, window_seconds: float):
        self.client = client
        self.window_ms = max(1, int(window_seconds * 1000))

    def claim(self, keys: Sequence[str]) -> list[bool]:
        """For each key, True if this call claimed it (enqueue), False if it was already pending (duplicate).

        One round trip for the whole delivery; a key named twice in it is claimed once.
        """
        if not keys:
            return []
        pipe = self.client.pipeline(transaction=False)
        for key in keys:
            pipe.set(key, b"1", nx=True, px=self.window_ms)
        return [bool(result) for result in pipe.execute()]

    def release(self, keys: Sequence[str]) -> None:
        if keys:
            self.client.delete(*keys)


def clear_pending(client: redis.Redis, ad_account_id: str, level: str, object_id: str) -> None:
    """Called by the worker just before it reads the object: later notices must enqueue a fresh read."""
    client.delete(dedupe_key(ad_account_id, level, object_id))
