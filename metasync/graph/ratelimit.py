"""Rate limiting shared by every worker through Redis.

Two mechanisms:
- a token bucket per Meta user (one atomic Lua script), budget `META_RATE_LIMIT_PER_HOUR` calls per hour with the
  whole hour's budget available as burst; callers wait for a token, or get `RateLimitedError` when the wait would be
  longer than `META_RATE_LIMIT_MAX_WAIT_SECONDS` (a Celery task then retries later);
- a pause per ad account, set when Meta's usage headers pass the threshold or Meta throttles us: no worker calls
  that account until the pause expires.

Heavy, deferrable work (breakdown reports) takes tokens with a `reserve`: only while the user's bucket would keep
at least that many tokens afterwards, so entity and daily-performance syncs of the same user always find the
reserved share of the budget (`REPORTS_RATE_RESERVE_SHARE`); past it, the report waits or gives up and is retried.
"""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass

import redis

from metasync.graph.errors import RateLimitedError
from metasync.infra.counters import count
from metasync.infra.redis_client import get_redis
from metasync.infra.token_bucket import take

log = logging.getLogger(__name__)

KEY_PREFIX = "metasync:"

# KEYS[1] pause key. ARGV: milliseconds, reason. Only ever lengthens an existing pause.
_PAUSE_LUA = """
local current = redis.call('PTTL', KEYS[1])
local wanted = tonumber(ARGV[1])
if current < wanted then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', wanted)
  return 1
end
return 0
"""


def _bucket_key(user_key: str) -> str:
    return f"{KEY_PREFIX}bucket:{user_key}"


def _pause_key(account_id: str) -> str:
    return f"{KEY_PREFIX}pause:{account_id}"


def user_key_for(user_id: str | None, access_token: str) -> str:
    """Bucket identity: the Meta user id when known, else a hash of the token (never the token itself)."""
    if user_id:
        return f"user:{user_id}"
    return "token:" + hashlib.sha256(access_token.encode()).hexdigest()[:16]


@dataclass
class BucketState:
    tokens: float
    capacity: int


class RateLimiter:
    """Token bucket per Meta user plus pauses per ad account, all in Redis."""

    def __init__(
        self, per_hour: int, max_wait_seconds: float = 30.0, client: redis.Redis | None = None, sleep=time.sleep
    ):
        self.capacity = per_hour
        self.rate = per_hour / 3600.0
        self.max_wait_seconds = max_wait_seconds
        self._client = client
        self._sleep = sleep
        self._warned: dict[str, float] = {}

    @property
    def client(self) -> redis.Redis:
        return self._client or get_redis()

    def _take(self, user_key: str, cost: int = 1, reserve: float = 0.0) -> tuple[bool, float, float]:
        return take(self.client, _bucket_key(user_key), self.capacity, self.rate, cost, reserve)

    def acquire(self, user_key: str, account_id: str | None = None, cost: int = 1, reserve_share: float = 0.0) -> float:
        """Take a call's tokens for this user, waiting if needed; returns the tokens left.

        `cost` weighs the call as Meta scores it (a read 1, a write 3; a batch the sum of its items); a cost above
        the whole budget takes the whole budget, so it is never refused for good. With `reserve_share`, only while
        the bucket keeps that share of its capacity afterwards (see the module docstring)."""
        if account_id:
            self.check_account(account_id)
        cost = max(1, min(int(cost), self.capacity))
        reserve = self.capacity * max(0.0, min(reserve_share, 0.95))
        waited = 0.0
        while True:
            granted, left, wait = self._take(user_key, cost, reserve)
            if granted:
                self._maybe_warn(user_key, left)
                return left
            if waited + wait > self.max_wait_seconds:
                count("rate_limit_refusals", client=self.client)
                log.warning(
                    "rate limit budget exhausted",
                    extra={"event": "rate_limit_exhausted", "user_key": user_key, "retry_after": wait},
                )
                raise RateLimitedError(f"local rate limit for {user_key}: next call in {wait:.1f}s", retry_after=wait)
            self._sleep(wait)
            waited += wait
            count("rate_limit_waits", client=self.client)
            count("rate_limit_wait_seconds", wait, client=self.client)

    def _maybe_warn(self, user_key: str, left: float) -> None:
        used_pct = 100.0 * (1 - left / self.capacity)
        if used_pct < 90:
            return
        now = time.monotonic()
        if now - self._warned.get(user_key, -1e9) < 60:
            return
        self._warned[user_key] = now
        log.warning(
            "rate limit approaching: %.0f%% of the hourly budget used",
            used_pct,
            extra={"event": "rate_limit_approaching", "user_key": user_key, "used_pct": round(used_pct, 1)},
        )

    def state(self, user_key: str) -> BucketState:
        tokens, ts = self.client.hmget(_bucket_key(user_key), "tokens", "ts")
        if tokens is None:
            return BucketState(float(self.capacity), self.capacity)
        elapsed = max(0.0, time.time() - float(ts))
        return BucketState(min(self.capacity, float(tokens) + elapsed * self.rate), self.capacity)

    # --- account pauses -------------------------------------------------------------------------------------
    def pause_account(self, account_id: str, seconds: float, reason: str, cause: str = "throttled") -> None:
        """Pause the account; `cause` names why for `/metrics`: `usage` (Meta's usage headers past the
        threshold) or `throttled` (Meta refused a call)."""
        if seconds <= 0:
            return
        script = self.client.register_script(_PAUSE_LUA)
        if script(keys=[_pause_key(account_id)], args=[int(seconds * 1000), reason]):
            count("account_pauses", client=self.client, cause=cause)
            log.warning(
                "ad account paused for %.0fs: %s",
                seconds,
                reason,
                extra={"event": "account_paused", "ad_account_id": account_id, "seconds": round(seconds)},
            )

    def paused_for(self, account_id: str) -> float:
        """Seconds left on the account's pause (0 when it may be called)."""
        ms = self.client.pttl(_pause_key(account_id))
        return ms / 1000.0 if ms and ms > 0 else 0.0

    def check_account(self, account_id: str) -> None:
        left = self.paused_for(account_id)
        if left > 0:
            raise RateLimitedError(f"ad account {account_id} is paused by rate limits", retry_after=left)

    def paused_accounts(self) -> dict[str, float]:
        out = {}
        for key in self.client.scan_iter(match=_pause_key("*"), count=500):
            name = key.decode() if isinstance(key, bytes) else key
            left = self.paused_for(name[len(_pause_key("")) :])
            if left > 0:
                out[name[len(_pause_key("")) :]] = left
        return out
