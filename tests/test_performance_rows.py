"""One insights row to one snapshot document without any server: ids, money, conversions, refused rows."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from bson import ObjectId

from metasync.entities.mapping import MappingError
from metasync.performance.rows import AD_LEVEL, CAMPAIGN_LEVEL, SnapshotContext, map_insights_row
from tests.graph_fakes import actions

CTX = SnapshotContext(
    tenant_id="t",
    connection_id=ObjectId(),
    ad_account_id="act_1",
    currency="USD",
    timezone_name="America/Los_Angeles",
    now=datetime(2026, 3, 2, tzinfo=timezone.utc),
)


def test_snapshot_counts_conversions_as_purchases_plus_leads_and_keeps_raw_arrays():
    row = {
        "ad_id": "4",
        "adset_id": "3",
        "campaign_id": "2",
        "ad_name": "Ad",
        "date_start": "2026-03-01",
        "date_stop": "2026-03-01",
        "impressions": "9708",
        "clicks": "120",
        "spend": "55.50",
        "reach": "7000",
        "actions": actions(link_click="80", omni_purchase="2", purchase="2", lead="3", omni_lead="3"),
        "action_values": actions(omni_purchase="199.00"),
    }

    doc = map_insights_row(row, AD_LEVEL, CTX)

    assert (doc["purchases"], doc["leads"], doc["conversions"], doc["revenue"]) == (2, 3, 5, 19900)
    assert (doc["entity_type"], doc["entity_id"], doc["campaign_id"], doc["ad_set_id"]) == ("AD", "4", "2", "3")
    assert (doc["date"], doc["spend"], doc["currency"], doc["currency_exponent"]) == ("2026-03-01", 5550, "USD", 2)
    assert doc["actions"] == row["actions"] and doc["action_values"] == row["action_values"]
    assert doc["raw"]["spend"] == "55.50" and "actions" not in doc["raw"]


def test_zero_decimal_currency_row_is_whole_units():
    row = {
        "campaign_id": "2",
        "date_start": "2026-03-01",
        "spend": "1234",
        "impressions": "1000",
        "clicks": "4",
        "account_currency": "JPY",
    }
    doc = map_insights_row(row, CAMPAIGN_LEVEL, CTX)
    assert (doc["spend"], doc["currency"], doc["currency_exponent"], doc["cpc"]) == (1234, "JPY", 0, 308.5)


@pytest.mark.parametrize(
    "row",
    [
        {"date_start": "2026-03-01"},
        {"campaign_id": "abc", "date_start": "2026-03-01"},
        {"campaign_id": "2", "date_start": "March 1"},
        {"campaign_id": "2", "date_start": "2026-03-01", "impressions": "many"},
    ],
)
def test_unusable_rows_are_refused(row):
    with pytest.raises(MappingError):
        map_insights_row(row, CAMPAIGN_LEVEL, CTX)
