"""The tenants an admin key oversees, each with its connections' health in one line (one read of all connections)."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass

from metasync.control.freshness import ConnectionFreshness, freshness
from metasync.store.documents import MetaConnection


@dataclass(frozen=True)
class TenantSummary:
    tenant_id: str
    connections: int
    levels: dict[str, int]  # fresh / late / stale -> connections
    statuses: dict[str, int]
    errors: int


def tenants_overview() -> list[TenantSummary]:
    by_tenant: dict[str, list[ConnectionFreshness]] = defaultdict(list)
    for row in freshness(list(MetaConnection.objects())):
        by_tenant[row.tenant_id].append(row)
    return [
        TenantSummary(
            tenant_id=tenant,
            connections=len(rows),
            levels=dict(Counter(r.level for r in rows)),
            statuses=dict(Counter(r.status for r in rows)),
            errors=sum(1 for r in rows if r.last_error),
        )
        for tenant, rows in sorted(by_tenant.items())
    ]
