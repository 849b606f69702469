"""Webhook de-duplication in Redis: one enqueued re-sync per (ad account, level, object) at a time.

Meta redelivers and batches, so the same object is often named several times within seconds. A notice counts as a
duplicate only when an earlier one was really enqueued: the request first marks each key PENDING (one round trip for
the whole delivery), publishes, and only then marks the keys it published ENQUEUED for the window. So a claim that
Redis applied late (a stalled Redis, a lost reply, a broker that refused the publish) can never swallow Meta's retry:
PENDING is not a duplicate. The key is cleared again:
- by `sync_entity` right before it reads the object from Meta, so a change made after that read is enqueued again
  instead of waiting out the window (marking ENQUEUED only overwrites a key that still exists, so a read that has
  already begun is never taken to cover a later change);
- by expiry after the window, in case the task never ran.
"""

from __future__ import annotations

from collections.abc import Sequence

import redis

KEY_PREFIX = "metasync:webhook:pending:"
PENDING, ENQUEUED = b"pending", b"enqueued"

# For each key: 0 if an earlier notice was enqueued (a duplicate), else mark it PENDING and answer 1.
_CLAIM = """
local answers = {}
for i, key in ipairs(KEYS) do
  if redis.call('GET', key) == ARGV[2] then
    answers[i] = 0
  else
    redis.call('SET', key, ARGV[1], 'PX', ARGV[3])
    answers[i] = 1
  end
end
return answers
"""
# Delete the keys that are still PENDING (an ENQUEUED one stays: its task is in the broker).
_RELEASE = """
for _, key in ipairs(KEYS) do
  if redis.call('GET', key) == ARGV[1] then redis.call('DEL', key) end
end
return 0
"""


def dedupe_key(ad_account_id: str, level: str, object_id: str) -> str:
    return f"{KEY_PREFIX}{ad_account_id}:{level}:{object_id}"


class ChangeDeduper:
    """Claims and confirms de-duplication keys; Redis errors propagate (the caller answers 503)."""

    def __init__(self, client: redis.Redis, window_seconds: float):
        self.client = client
        self.window_ms = max(1, int(window_seconds * 1000))
        self._claim = client.register_script(_CLAIM)
        self._release = client.register_script(_RELEASE)

    def claim(self, keys: Sequence[str]) -> list[bool]:
        """For each key, True to enqueue it, False if an earlier notice was enqueued within the window.

        One round trip for the whole delivery; a key named twice in it is claimed once.
        """
        if not keys:
            return []
        unique = list(dict.fromkeys(keys))
        answers = dict(zip(unique, self._claim(keys=unique, args=[PENDING, ENQUEUED, self.window_ms]), strict=True))
        seen: set[str] = set()
        claimed = []
        for key in keys:
            claimed.append(bool(answers[key]) and key not in seen)
            seen.add(key)
        return claimed

    def confirm(self, keys: Sequence[str]) -> None:
        """These keys' tasks are in the broker: later notices within the window are duplicates."""
        if keys:
            pipe = self.client.pipeline(transaction=False)
            for key in keys:
                pipe.set(key, ENQUEUED, px=self.window_ms, xx=True)
            pipe.execute()

    def release(self, keys: Sequence[str]) -> None:
        """Tidy up after a failed delivery: drop the claims that were not published (harmless if it fails)."""
        if keys:
            self._release(keys=list(dict.fromkeys(keys)), args=[PENDING])


def clear_pending(client: redis.Redis, ad_account_id: str, level: str, object_id: str) -> None:
    """Called by the worker just before it reads the object: later notices must enqueue a fresh read."""
    client.delete(dedupe_key(ad_account_id, level, object_id))
