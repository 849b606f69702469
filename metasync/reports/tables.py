"""Reading a report back from MongoDB: its rows summed per breakdown value (additive metrics only), per window.

Spend, purchases and revenue add up across entities and days; ROAS is computed from the sums, exactly, never
averaged. A window's figures sum only the rows Meta returned it on; `-` means no row had it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from metasync.store.reports import BreakdownRow

CENT = Decimal("0.01")


@dataclass
class Line:
    values: tuple[str, ...]
    spend: int = 0
    purchases: int = 0
    revenue: int = 0
    windows: dict[str, dict[str, int]] = field(default_factory=dict)

    def add(self, row: dict[str, Any]) -> None:
        self.spend += row.get("spend", 0)
        self.purchases += row.get("purchases", 0)
        self.revenue += row.get("revenue", 0)
        for window, kpis in (row.get("windows") or {}).items():
            sums = self.windows.setdefault(window, defaultdict(int))
            for kpi, value in kpis.items():
                sums[kpi] += value


def _roas(revenue: int | None, spend: int) -> str:
    if revenue is None or not spend:
        return "-"
    return str((Decimal(revenue) / Decimal(spend)).quantize(CENT, ROUND_HALF_EVEN))


def _amount(minor: int, exponent: int) -> str:
    return str(Decimal(minor).scaleb(-exponent))


def summarize(
    report: str,
    tenant_id: str | None = None,
    since: str | None = None,
    until: str | None = None,
    windows: tuple[str, ...] = ("7d_click", "1d_view"),
) -> tuple[list[str], list[list[str]]]:
    """(headers, rows) of `report` per breakdown value: spend, purchases, revenue and ROAS, then per window."""
    query: dict[str, Any] = {"report": report}
    if tenant_id:
        query["tenant_id"] = tenant_id
    days = {op: day for op, day in (("$gte", since), ("$lte", until)) if day}
    if days:
        query["date"] = days
    projection = ("breakdowns", "spend", "purchases", "revenue", "windows", "date", "currency_exponent")
    lines: dict[tuple[str, ...], Line] = {}
    names: tuple[str, ...] = ()
    exponent = 2
    for row in BreakdownRow._get_collection().find(query, {name: 1 for name in projection}):
        names = names or tuple(row.get("breakdowns") or {})
        exponent = row.get("currency_exponent", 2)
        key = tuple(str((row.get("breakdowns") or {}).get(name, "")) for name in names)
        lines.setdefault(key, Line(key)).add(row)
    headers = [*names, "spend", "purchases", "revenue", "ROAS"]
    for window in windows:
        headers += [f"purchases {window}", f"ROAS {window}"]
    out = []
    for key in sorted(lines, key=lambda k: -lines[k].spend):
        line = lines[key]
        cells = [*line.values, _amount(line.spend, exponent), str(line.purchases), _amount(line.revenue, exponent)]
        cells.append(_roas(line.revenue, line.spend))
        for window in windows:
            kpis = line.windows.get(window)
            cells.append(str(kpis["purchases"]) if kpis and "purchases" in kpis else "-")
            cells.append(_roas(kpis.get("revenue") if kpis else None, line.spend))
        out.append(cells)
    return headers, out
