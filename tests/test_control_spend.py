"""Spend per day: account-level rows when a connection has them, else its campaigns summed; exact per currency."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from metasync.connections.registry import upsert_connection
from metasync.control.spend import spend_per_day
from metasync.store.documents import PerformanceSnapshot
from tests.helpers import TOKEN

pytestmark = pytest.mark.services

TODAY = date(2026, 12, 2)


def snapshot(connection, level: str, entity: str, day: str, spend: int, revenue: int, currency="USD", exponent=2):
    PerformanceSnapshot(
        id=f"{connection.tenant_id}:{level}:{entity}:{day}",
        tenant_id=connection.tenant_id,
        connection=connection.id,
        entity_type=level,
        entity_id=entity,
        date=day,
        currency=currency,
        currency_exponent=exponent,
        spend=spend,
        revenue=revenue,
    ).save()


def test_account_rows_win_and_campaign_rows_stand_in_where_there_are_none(shared_db):
    with_account, _ = upsert_connection("t", "act_1", TOKEN)
    campaigns_only, _ = upsert_connection("t", "act_2", TOKEN)
    snapshot(with_account, "ACCOUNT", "1", "2026-12-01", 1001, 3003)
    snapshot(with_account, "CAMPAIGN", "11", "2026-12-01", 999, 0)  # part of the account row: not added again
    snapshot(campaigns_only, "CAMPAIGN", "21", "2026-12-01", 10, 20)
    snapshot(campaigns_only, "CAMPAIGN", "22", "2026-12-01", 5, 0)

    [day] = [d for d in spend_per_day("t", days=3, today=TODAY)["USD"] if d.date == "2026-12-01"]
    assert (day.spend, day.revenue, day.spend_amount, day.roas) == (1016, 3023, Decimal("10.16"), Decimal("2.98"))


def test_each_currency_is_its_own_series_with_every_day_of_the_window(shared_db):
    usd, _ = upsert_connection("t", "act_1", TOKEN)
    jpy, _ = upsert_connection("t", "act_2", TOKEN)
    snapshot(usd, "ACCOUNT", "1", "2026-12-02", 250, 0)
    snapshot(jpy, "ACCOUNT", "2", "2026-12-02", 1500, 4500, currency="JPY", exponent=0)
    snapshot(upsert_connection("other", "act_1", TOKEN)[0], "ACCOUNT", "1", "2026-12-02", 777, 0)

    series = spend_per_day("t", days=2, today=TODAY)
    assert sorted(series) == ["JPY", "USD"]
    assert [(d.date, d.spend_amount) for d in series["USD"]] == [
        ("2026-12-01", Decimal("0")),
        ("2026-12-02", Decimal("2.50")),
    ]
    assert series["JPY"][-1].spend_amount == Decimal("1500") and series["JPY"][-1].roas == Decimal("3.00")
    assert series["USD"][0].roas is None
