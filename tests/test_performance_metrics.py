"""Insights rows to snapshots without any server: one action type per KPI, exact money, rates, dates."""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal

import pytest
from bson import ObjectId

from metasync.entities.mapping import MappingError
from metasync.performance.dates import (
    DATE_PRESETS,
    DateRange,
    InvalidDateRange,
    local_midnight,
    local_today,
    parse_date_request,
    preset_range,
)
from metasync.performance.metrics import currency_exponent, derived_rates, extract_conversions, from_minor, to_minor
from metasync.performance.rows import AD_LEVEL, CAMPAIGN_LEVEL, SnapshotContext, map_insights_row

CTX = SnapshotContext(tenant_id="t", connection_id=ObjectId(), ad_account_id="act_1", currency="USD",
                      timezone_name="America/Los_Angeles", now=datetime(2026, 3, 2, tzinfo=timezone.utc))


def actions(**counts: str) -> list[dict[str, str]]:
    return [{"action_type": name.replace("__", "."), "value": value} for name, value in counts.items()]


# --- one action type per KPI ------------------------------------------------------------------------------------
@pytest.mark.parametrize("present, chosen, count", [
    # every overlapping view of the same 3 purchases: omni wins, nothing is added up
    ({"omni_purchase": "3", "purchase": "3", "offsite_conversion__fb_pixel_purchase": "2",
      "onsite_web_purchase": "2", "app_custom_event__fb_mobile_purchase": "1"}, "omni_purchase", 3),
    # no omni: the aggregate
    ({"purchase": "4", "offsite_conversion__fb_pixel_purchase": "4", "onsite_web_purchase": "4"}, "purchase", 4),
    # channel-specific only, in order: pixel, then onsite web, then app
    ({"offsite_conversion__fb_pixel_purchase": "2", "onsite_web_purchase": "2",
      "app_custom_event__fb_mobile_purchase": "5"}, "offsite_conversion.fb_pixel_purchase", 2),
    ({"onsite_web_purchase": "6", "app_custom_event__fb_mobile_purchase": "5"}, "onsite_web_purchase", 6),
    ({"app_custom_event__fb_mobile_purchase": "5", "link_click": "90"}, "app_custom_event.fb_mobile_purchase", 5),
    ({"link_click": "90"}, None, 0),
])
def test_purchases_come_from_one_action_type_by_preference(present, chosen, count):
    result = extract_conversions(actions(**present), [], 2)
    assert (result.purchase_type, result.purchases) == (chosen, count)


@pytest.mark.parametrize("present, chosen, count", [
    ({"omni_lead": "7", "lead": "7", "onsite_conversion__lead_grouped": "4", "offsite_conversion__fb_pixel_lead": "3"},
     "omni_lead", 7),
    ({"lead": "5", "onsite_conversion__lead_grouped": "2", "offsite_conversion__fb_pixel_lead": "3"}, "lead", 5),
    ({"onsite_conversion__lead_grouped": "2", "offsite_conversion__fb_pixel_lead": "3"},
     "onsite_conversion.lead_grouped", 2),
    ({"offsite_conversion__fb_pixel_lead": "3"}, "offsite_conversion.fb_pixel_lead", 3),
    ({}, None, 0),
])
def test_leads_come_from_one_action_type_by_preference(present, chosen, count):
    result = extract_conversions(actions(**present), None, 2)
    assert (result.lead_type, result.leads) == (chosen, count)


def test_revenue_comes_from_the_same_purchase_type_as_the_count():
    result = extract_conversions(
        actions(purchase="2", offsite_conversion__fb_pixel_purchase="2"),
        actions(omni_purchase="300.00", purchase="199.98", offsite_conversion__fb_pixel_purchase="199.98"), 2)
    assert (result.purchase_type, result.purchases, result.revenue_minor) == ("purchase", 2, 19998)


def test_revenue_of_another_type_is_not_borrowed():
    # The count is only reported per channel; the omni value describes other conversions too.
    result = extract_conversions(actions(offsite_conversion__fb_pixel_purchase="2"),
                                 actions(omni_purchase="199.00"), 2)
    assert (result.purchase_type, result.purchases, result.revenue_minor) == (
        "offsite_conversion.fb_pixel_purchase", 2, 0)


def test_a_value_without_a_count_still_picks_its_type():
    result = extract_conversions([], actions(purchase="49.50"), 2)
    assert (result.purchase_type, result.purchases, result.revenue_minor) == ("purchase", 0, 4950)


def test_snapshot_counts_conversions_as_purchases_plus_leads_and_keeps_raw_arrays():
    row = {"ad_id": "4", "adset_id": "3", "campaign_id": "2", "ad_name": "Ad", "date_start": "2026-03-01",
           "date_stop": "2026-03-01", "impressions": "9708", "clicks": "120", "spend": "55.50", "reach": "7000",
           "actions": actions(link_click="80", omni_purchase="2", purchase="2", lead="3", omni_lead="3"),
           "action_values": actions(omni_purchase="199.00")}

    doc = map_insights_row(row, AD_LEVEL, CTX)

    assert (doc["purchases"], doc["leads"], doc["conversions"], doc["revenue"]) == (2, 3, 5, 19900)
    assert (doc["entity_type"], doc["entity_id"], doc["campaign_id"], doc["ad_set_id"]) == ("AD", "4", "2", "3")
    assert (doc["date"], doc["spend"], doc["currency"], doc["currency_exponent"]) == ("2026-03-01", 5550, "USD", 2)
    assert doc["actions"] == row["actions"] and doc["action_values"] == row["action_values"]
    assert doc["raw"]["spend"] == "55.50" and "actions" not in doc["raw"]


# --- money --------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("text, exponent, minor", [
    ("55.50", 2, 5550), ("0.01", 2, 1), ("1234567.89", 2, 123456789), ("7", 2, 700), ("", 2, 0), (None, 2, 0),
    ("1234", 0, 1234), ("0.125", 2, 12), ("0.135", 2, 14),  # extra digits (never sent) round half-even
])
def test_money_becomes_exact_minor_units(text, exponent, minor):
    assert to_minor(text, exponent) == minor


def test_many_small_amounts_add_up_exactly():
    cents = sum(to_minor("0.10", 2) for _ in range(1000)) + to_minor("0.20", 2) + to_minor("0.70", 2)
    assert cents == 10090
    assert from_minor(cents, 2) == Decimal("100.90")


@pytest.mark.parametrize("bad", [0.1, "ten", "NaN", "Infinity", True])
def test_money_that_is_not_an_exact_decimal_is_refused(bad):
    with pytest.raises(MappingError):
        to_minor(bad, 2)


@pytest.mark.parametrize("currency, exponent", [("USD", 2), ("EUR", 2), ("JPY", 0), ("krw", 0), ("CLP", 0),
                                                ("TWD", 0), ("VND", 0), (None, 2), ("XYZ", 2)])
def test_currency_exponent_follows_meta_offsets(currency, exponent):
    assert currency_exponent(currency) == exponent


def test_zero_decimal_currency_row_is_whole_units():
    row = {"campaign_id": "2", "date_start": "2026-03-01", "spend": "1234", "impressions": "1000", "clicks": "4",
           "account_currency": "JPY"}
    doc = map_insights_row(row, CAMPAIGN_LEVEL, CTX)
    assert (doc["spend"], doc["currency"], doc["currency_exponent"], doc["cpc"]) == (1234, "JPY", 0, 308.5)


# --- derived rates ------------------------------------------------------------------------------------------------
def test_rates_are_computed_from_exact_integers():
    rates = derived_rates(impressions=3, clicks=1, spend_minor=100, exponent=2)
    assert rates == {"ctr": 33.333333, "cpc": 1.0, "cpm": 333.333333}


def test_rates_without_a_denominator_are_empty():
    assert derived_rates(0, 0, 0, 2) == {"ctr": None, "cpc": None, "cpm": None}


# --- rows that cannot be stored ---------------------------------------------------------------------------------
@pytest.mark.parametrize("row", [
    {"date_start": "2026-03-01"},
    {"campaign_id": "abc", "date_start": "2026-03-01"},
    {"campaign_id": "2", "date_start": "March 1"},
    {"campaign_id": "2", "date_start": "2026-03-01", "impressions": "many"},
])
def test_unusable_rows_are_refused(row):
    with pytest.raises(MappingError):
        map_insights_row(row, CAMPAIGN_LEVEL, CTX)


# --- dates --------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("preset", DATE_PRESETS)
def test_every_meta_preset_is_accepted_and_resolves_to_a_range(preset):
    request = parse_date_request(preset)
    window = request.resolve(date(2026, 3, 4))
    assert window.since <= window.until <= date(2026, 3, 4)


@pytest.mark.parametrize("preset, since, until", [
    ("today", "2026-03-04", "2026-03-04"),
    ("yesterday", "2026-03-03", "2026-03-03"),
    ("last_7d", "2026-02-25", "2026-03-03"),
    ("this_week_mon_today", "2026-03-02", "2026-03-04"),
    ("last_week_sun_sat", "2026-02-22", "2026-02-28"),
    ("last_month", "2026-02-01", "2026-02-28"),
    ("last_quarter", "2025-10-01", "2025-12-31"),
])
def test_presets_mean_what_meta_means(preset, since, until):
    assert preset_range(preset, date(2026, 3, 4)) == DateRange(date.fromisoformat(since), date.fromisoformat(until))


@pytest.mark.parametrize("kwargs, message", [
    ({"date_preset": "last_8d"}, "unknown date preset"),
    ({"since": "2026-03-05", "until": "2026-03-01"}, "on or before"),
    ({"since": "2026/03/01", "until": "2026-03-02"}, "since must be a date"),
    ({"since": "2026-03-01"}, "both since and until"),
    ({"since": "2022-01-01", "until": "2022-01-02"}, "37 months"),
    ({"since": "2026-03-01", "until": "2026-04-01"}, "future"),
])
def test_invalid_requests_say_why(kwargs, message):
    with pytest.raises(InvalidDateRange, match=message):
        parse_date_request(**kwargs, today=date(2026, 3, 4))


def test_halves_split_a_range_without_gaps():
    first, second = DateRange(date(2026, 1, 1), date(2026, 1, 31)).halves()
    assert (first.days + second.days, first.until.toordinal() + 1) == (31, second.since.toordinal())


def test_account_local_days_follow_the_account_timezone():
    late_utc = datetime(2026, 3, 4, 3, 0, tzinfo=timezone.utc)
    assert local_today("America/Los_Angeles", late_utc) == date(2026, 3, 3)
    assert local_today("Asia/Tokyo", late_utc) == date(2026, 3, 4)
    assert local_today("Not/AZone", late_utc) == date(2026, 3, 4)
    assert local_midnight(date(2026, 3, 4), "America/Los_Angeles") == datetime(2026, 3, 4, 8, tzinfo=timezone.utc)
