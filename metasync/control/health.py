"""Freshness per connection (the last successful entity and performance syncs and their age) and the Graph budget
of each Meta user behind a key's connections, with the key's paused ad accounts."""

from __future__ import annotations

from typing import Any

from metasync.access.keys import Principal
from metasync.control.scope import age_seconds, iso, tenant_query
from metasync.graph.ratelimit import RateLimiter, user_key_for
from metasync.infra.clock import utcnow
from metasync.settings import get_settings
from metasync.store.documents import MetaConnection, SyncRun


def _connections(principal: Principal, tenant: str | None) -> list[MetaConnection]:
    query = tenant_query(principal, tenant)
    if query is None:
        return []
    return list(MetaConnection.objects(**query).order_by("tenant_id", "ad_account_id"))


def freshness(principal: Principal, tenant: str | None = None) -> list[dict[str, Any]]:
    """One row per connection; the latest runs are read by `_id` (one `$in` read for all of them)."""
    connections = _connections(principal, tenant)
    run_ids = [rid for c in connections for rid in (c.latest_runs or {}).values() if rid is not None]
    runs = {run.id: run for run in SyncRun.objects(id__in=run_ids)} if run_ids else {}
    now = utcnow()
    rows = []
    for c in connections:
        latest = {kind: runs.get(rid) for kind, rid in (c.latest_runs or {}).items()}
        rows.append(
            {
                "connection_id": str(c.id),
                "tenant_id": c.tenant_id,
                "ad_account_id": c.ad_account_id,
                "status": c.status,
                "last_error": c.last_error,
                "entities_synced_at": iso(c.last_synced_at),
                "entities_age_seconds": age_seconds(c.last_synced_at, now),
                "performance_synced_at": iso(c.last_performance_synced_at),
                "performance_age_seconds": age_seconds(c.last_performance_synced_at, now),
                "latest_runs": {kind: run.status for kind, run in sorted(latest.items()) if run is not None},
            }
        )
    return rows


def rate_budget(principal: Principal, tenant: str | None = None, limiter: RateLimiter | None = None) -> dict:
    """Tokens left per Meta user (the bucket every connection of that user shares) and the paused ad accounts,
    both only for the key's connections."""
    settings = get_settings()
    limiter = limiter or RateLimiter(settings.meta_rate_limit_per_hour, settings.meta_rate_limit_max_wait_seconds)
    connections = _connections(principal, tenant)
    users: dict[str, dict[str, Any]] = {}
    for c in connections:
        bucket = user_key_for(c.meta_user_id, c.access_token)
        entry = users.setdefault(bucket, {"meta_user_id": c.meta_user_id, "connections": []})
        entry["connections"].append(str(c.id))
    budget = []
    for bucket, entry in users.items():
        state = limiter.state(bucket)
        used = max(0.0, state.capacity - state.tokens)
        budget.append(
            {
                **entry,
                "capacity_per_hour": state.capacity,
                "tokens_left": round(state.tokens, 1),
                "used_share": round(used / state.capacity, 4),
            }
        )
    accounts = {c.ad_account_id for c in connections}
    paused = [
        {"ad_account_id": account, "seconds_left": round(seconds, 1)}
        for account, seconds in sorted(limiter.paused_accounts().items())
        if account in accounts
    ]
    return {"users": budget, "paused_accounts": paused}
