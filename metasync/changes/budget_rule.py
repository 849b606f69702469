"""Meta's limit on ad-set budget changes, kept in Redis for every worker: at most 4 changes of an ad set's daily or
lifetime budget per hour; a fifth gets error 17 and blocks that ad set's budget changes for an hour. metasync never
sends the fifth: the change waits (DEFERRED) until the oldest of the four is an hour old."""

from __future__ import annotations

import time
from dataclasses import dataclass

import redis

from metasync.graph.ratelimit import KEY_PREFIX
from metasync.infra.redis_client import get_redis

MAX_CHANGES_PER_HOUR = 4
WINDOW_SECONDS = 3600

# KEYS[1] sorted set of (change id -> unix time). ARGV: now, window, limit, change id.
# Returns {1, 0} when the change may be sent (and records it), else {0, seconds until the oldest leaves the window}.
_RESERVE_LUA = """
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZSCORE', KEYS[1], ARGV[4]) then
  return {1, 0}
end
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[3]) then
  redis.call('ZADD', KEYS[1], now, ARGV[4])
  redis.call('EXPIRE', KEYS[1], window + 60)
  return {1, 0}
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return {0, math.ceil(tonumber(oldest[2]) + window - now)}
"""


def _key(ad_account_id: str, ad_set_id: str) -> str:
    return f"{KEY_PREFIX}budget_changes:{ad_account_id}:{ad_set_id}"


@dataclass(frozen=True)
class Reservation:
    allowed: bool
    wait_seconds: float = 0.0


class BudgetChangeRule:
    def __init__(self, client: redis.Redis | None = None, clock=time.time) -> None:
        self._client = client
        self._clock = clock

    @property
    def client(self) -> redis.Redis:
        return self._client or get_redis()

    def reserve(self, ad_account_id: str, ad_set_id: str, change_id: str) -> Reservation:
        """Count this change against the ad set's hour (once, however often it is asked), or say how long to wait."""
        script = self.client.register_script(_RESERVE_LUA)
        allowed, wait = script(
            keys=[_key(ad_account_id, ad_set_id)],
            args=[self._clock(), WINDOW_SECONDS, MAX_CHANGES_PER_HOUR, change_id],
        )
        return Reservation(bool(allowed), float(wait))

    def release(self, ad_account_id: str, ad_set_id: str, change_id: str) -> None:
        """A change Meta refused (or that was never sent) does not count."""
        self.client.zrem(_key(ad_account_id, ad_set_id), change_id)

    def block(self, ad_account_id: str, ad_set_id: str) -> None:
        """Meta blocked the ad set's budget (error 17): treat the whole hour as used from now."""
        now = self._clock()
        key = _key(ad_account_id, ad_set_id)
        self.client.zadd(key, {f"meta-block:{now}:{n}": now for n in range(MAX_CHANGES_PER_HOUR)})
        self.client.expire(key, WINDOW_SECONDS + 60)

    def used(self, ad_account_id: str, ad_set_id: str) -> int:
        key = _key(ad_account_id, ad_set_id)
        return self.client.zcount(key, self._clock() - WINDOW_SECONDS, "+inf")
