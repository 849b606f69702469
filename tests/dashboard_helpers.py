"""Seeding a tenant for the dashboard tests, and reading CSRF tokens out of its pages."""

from __future__ import annotations

import re
from datetime import timedelta

from metasync.access.keys import create_key
from metasync.connections.registry import upsert_connection
from metasync.infra.clock import utcnow
from metasync.store.changes import Change, ChangeSet
from metasync.store.documents import MetaConnection, PerformanceSnapshot, SyncRun
from tests.helpers import TOKEN

SECRET = "dashboard-test-session-secret-0123456789"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "the page has no form with a CSRF token"
    return match.group(1)


def seed_tenant(tenant: str, accounts: tuple[str, ...] = ("act_101", "act_102")) -> list[MetaConnection]:
    """Connections with runs, account-level spend for two days (plus campaign rows, which must not be added
    again), and one change set with a pending and a failed change."""
    now = utcnow()
    connections = []
    for n, account in enumerate(accounts):
        connection, _ = upsert_connection(tenant, account, TOKEN, user_id=f"{tenant}-user")
        connection.last_synced_at = now - timedelta(minutes=10)
        connection.last_performance_synced_at = now - timedelta(hours=5 * n + 1)
        connection.account_name = f"{tenant} account {n}"
        connection.currency = "USD"
        connection.save()
        connections.append(connection)
        for i, status in enumerate(("SUCCESS", "FAILED")):
            SyncRun(
                connection=connection.id,
                tenant_id=tenant,
                ad_account_id=account,
                kind="ENTITIES",
                trigger="beat",
                status=status,
                started_at=now - timedelta(minutes=30 + i),
                finished_at=now - timedelta(minutes=29 + i),
                duration_ms=1500,
                api_calls=7,
                errors=["Graph said no"] if status == "FAILED" else [],
            ).save()
        for days_ago, spend in ((1, 12345 + n), (2, 500)):
            day = (now.date() - timedelta(days=days_ago)).isoformat()
            for level, entity, amount in (("ACCOUNT", account[4:], spend), ("CAMPAIGN", "9001", spend // 2)):
                PerformanceSnapshot(
                    id=f"{tenant}:{level}:{entity}{n}:{day}",
                    tenant_id=tenant,
                    connection=connection.id,
                    ad_account_id=account,
                    entity_type=level,
                    entity_id=f"{entity}{n}",
                    date=day,
                    currency="USD",
                    currency_exponent=2,
                    spend=amount,
                    revenue=amount * 3,
                ).save()
    first = connections[0]
    set_id = f"cs-{tenant}-1"
    changes = [
        Change(
            tenant_id=tenant,
            connection=first.id,
            ad_account_id=first.ad_account_id,
            change_set_id=set_id,
            level="CAMPAIGN",
            object_id="9001",
            field=field,
            requested_input=value,
            status=status,
        )
        for field, value, status in (("status", "PAUSED", "REQUESTED"), ("daily_budget", "50.00", "FAILED"))
    ]
    for change in changes:
        change.save()
    ChangeSet(id=set_id, tenant_id=tenant, connection=first.id, change_ids=[c.id for c in changes]).save()
    return connections


def keys(tenant: str) -> dict[str, str]:
    """Raw keys: the tenant's write and read keys, and an admin key."""
    return {
        "write": create_key(tenant, "write")[0],
        "read": create_key(tenant, "read")[0],
        "admin": create_key(None, "write", admin=True)[0],
    }
