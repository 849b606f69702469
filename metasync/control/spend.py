"""Spend and ROAS per day for a tenant, exact from integer minor units, one series per currency.

Each connection counts its ACCOUNT-level rows when it has any, else the sum of its CAMPAIGN rows (accounts synced
before account-level insights existed). One read of the tenant's rows of those two levels in the window.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from metasync.infra.clock import utcnow
from metasync.performance.metrics import from_minor
from metasync.store.documents import PerformanceSnapshot

DAYS = 14


@dataclass(frozen=True)
class SpendDay:
    date: str
    spend: int  # minor units
    revenue: int
    exponent: int

    @property
    def spend_amount(self) -> Decimal:
        return from_minor(self.spend, self.exponent)

    @property
    def revenue_amount(self) -> Decimal:
        return from_minor(self.revenue, self.exponent)

    @property
    def roas(self) -> Decimal | None:
        """Revenue per unit of spend, to two places; None without spend."""
        if not self.spend:
            return None
        return (Decimal(self.revenue) / Decimal(self.spend)).quantize(Decimal("0.01"))


def window(days: int, today: date | None = None) -> list[str]:
    today = today or utcnow().date()
    return [(today - timedelta(days=i)).isoformat() for i in range(days - 1, -1, -1)]


def spend_per_day(tenant_id: str, days: int = DAYS, today: date | None = None) -> dict[str, list[SpendDay]]:
    """{currency: [SpendDay oldest first, every day of the window]}."""
    dates = window(days, today)
    rows = PerformanceSnapshot.objects(
        tenant_id=tenant_id, entity_type__in=("ACCOUNT", "CAMPAIGN"), date__gte=dates[0], date__lte=dates[-1]
    ).only("connection", "entity_type", "date", "spend", "revenue", "currency", "currency_exponent")
    # connection -> level -> list of rows
    by_connection: dict[object, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    for row in rows:
        by_connection[row.connection][row.entity_type].append(row)
    totals: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    exponents: dict[str, int] = {}
    for levels in by_connection.values():
        for row in levels.get("ACCOUNT") or levels.get("CAMPAIGN") or []:
            currency = row.currency or "?"
            exponents[currency] = row.currency_exponent if row.currency_exponent is not None else 2
            day = totals[currency][row.date]
            day[0] += row.spend or 0
            day[1] += row.revenue or 0
    return {
        currency: [SpendDay(d, *by_day.get(d, (0, 0)), exponents[currency]) for d in dates]
        for currency, by_day in sorted(totals.items())
    }
