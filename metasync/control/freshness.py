"""Which connections are fresh: each one's last entity and performance sync, aged and coloured against the schedule.

An age up to 1.5 schedule intervals is `fresh` (green), up to 3 intervals `late` (amber), beyond that, or never
synced, `stale` (red). The connection documents carry the times, so this is one read of the tenant's connections.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from metasync.infra.clock import as_utc, utcnow
from metasync.settings import get_settings
from metasync.store.documents import MetaConnection

FRESH_INTERVALS = 1.5
LATE_INTERVALS = 3.0


@dataclass(frozen=True)
class Age:
    at: datetime | None
    seconds: float | None
    level: str  # fresh, late, stale

    @property
    def text(self) -> str:
        if self.seconds is None:
            return "never"
        return f"{human_duration(self.seconds)} ago"


@dataclass(frozen=True)
class ConnectionFreshness:
    connection_id: str
    tenant_id: str
    ad_account_id: str
    account_name: str | None
    status: str
    last_error: str | None
    last_error_at: datetime | None
    entities: Age
    performance: Age

    @property
    def level(self) -> str:
        """The worse of the two ages; a connection that cannot sync is stale whatever its ages."""
        if self.status not in ("ACTIVE",):
            return "stale"
        order = ("fresh", "late", "stale")
        return max(self.entities.level, self.performance.level, key=order.index)


def human_duration(seconds: float) -> str:
    seconds = max(0, int(seconds))
    if seconds < 90:
        return f"{seconds} s"
    if seconds < 90 * 60:
        return f"{round(seconds / 60)} min"
    if seconds < 36 * 3600:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} d"


def age_of(at: datetime | None, interval_minutes: int, now: datetime) -> Age:
    at = as_utc(at)
    if at is None:
        return Age(None, None, "stale")
    seconds = max(0.0, (now - at).total_seconds())
    interval = timedelta(minutes=interval_minutes).total_seconds()
    level = (
        "fresh"
        if seconds <= FRESH_INTERVALS * interval
        else "late"
        if seconds <= LATE_INTERVALS * interval
        else "stale"
    )
    return Age(at, seconds, level)


def tenant_connections(tenant_id: str) -> list[MetaConnection]:
    return sorted(MetaConnection.objects(tenant_id=tenant_id), key=lambda c: (c.ad_account_id, str(c.id)))


def freshness(connections: list[MetaConnection], now: datetime | None = None) -> list[ConnectionFreshness]:
    settings = get_settings()
    now = now or utcnow()
    return [
        ConnectionFreshness(
            connection_id=str(c.id),
            tenant_id=c.tenant_id,
            ad_account_id=c.ad_account_id,
            account_name=c.account_name,
            status=c.status,
            last_error=c.last_error,
            last_error_at=as_utc(c.last_error_at),
            entities=age_of(c.last_synced_at, settings.meta_sync_interval_minutes, now),
            performance=age_of(c.last_performance_synced_at, settings.performance_sync_interval_minutes, now),
        )
        for c in connections
    ]
