"""One atomic token bucket in Redis (a Lua script), shared by the Graph rate limiter and the HTTP API's per-key
limits: capacity tokens at most, refilled continuously at `rate` per second, taken all or nothing."""

from __future__ import annotations

import redis

# KEYS[1] bucket hash. ARGV: capacity, refill per second, tokens wanted, tokens that must stay (the reserve).
# Returns {granted (0/1), tokens left (x1000), milliseconds until enough tokens}.
TOKEN_BUCKET_LUA = """
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local wanted = tonumber(ARGV[3])
local reserve = tonumber(ARGV[4] or 0)
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1])
local ts = tonumber(state[2])
if tokens == nil then
  tokens = capacity
  ts = now
end
tokens = math.min(capacity, tokens + math.max(0, now - ts) * rate)
local granted = 0
local wait_ms = 0
if tokens >= wanted + reserve then
  tokens = tokens - wanted
  granted = 1
else
  wait_ms = math.ceil((wanted + reserve - tokens) / rate * 1000)
end
redis.call('HSET', KEYS[1], 'tokens', tokens, 'ts', now)
redis.call('EXPIRE', KEYS[1], math.ceil(capacity / rate) + 60)
return {granted, math.floor(tokens * 1000), wait_ms}
"""


def take(
    client: redis.Redis, key: str, capacity: float, rate: float, cost: float = 1, reserve: float = 0.0
) -> tuple[bool, float, float]:
    """Take `cost` tokens from the bucket at `key` if it keeps `reserve` afterwards: (granted, tokens left, seconds
    until enough tokens)."""
    script = client.register_script(TOKEN_BUCKET_LUA)
    granted, tokens_milli, wait_ms = script(keys=[key], args=[capacity, rate, cost, reserve])
    return bool(granted), tokens_milli / 1000.0, wait_ms / 1000.0
