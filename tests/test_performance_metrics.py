"""Insights metrics without any server: one action type per KPI, exact money in minor units, derived rates."""

from __future__ import annotations

from decimal import Decimal

import pytest

from metasync.entities.mapping import MappingError
from metasync.performance.metrics import currency_exponent, derived_rates, extract_conversions, from_minor, to_minor
from tests.graph_fakes import actions


@pytest.mark.parametrize(
    "present, chosen, count",
    [
        # every overlapping view of the same 3 purchases: omni wins, nothing is added up
        (
            {
                "omni_purchase": "3",
                "purchase": "3",
                "offsite_conversion__fb_pixel_purchase": "2",
                "onsite_web_purchase": "2",
                "app_custom_event__fb_mobile_purchase": "1",
            },
            "omni_purchase",
            3,
        ),
        # no omni: the aggregate
        ({"purchase": "4", "offsite_conversion__fb_pixel_purchase": "4", "onsite_web_purchase": "4"}, "purchase", 4),
        # channel-specific only, in order: pixel, then onsite web, then app
        (
            {
                "offsite_conversion__fb_pixel_purchase": "2",
                "onsite_web_purchase": "2",
                "app_custom_event__fb_mobile_purchase": "5",
            },
            "offsite_conversion.fb_pixel_purchase",
            2,
        ),
        ({"onsite_web_purchase": "6", "app_custom_event__fb_mobile_purchase": "5"}, "onsite_web_purchase", 6),
        ({"app_custom_event__fb_mobile_purchase": "5", "link_click": "90"}, "app_custom_event.fb_mobile_purchase", 5),
        ({"link_click": "90"}, None, 0),
    ],
)
def test_purchases_come_from_one_action_type_by_preference(present, chosen, count):
    result = extract_conversions(actions(**present), [], 2)
    assert (result.purchase_type, result.purchases) == (chosen, count)


@pytest.mark.parametrize(
    "present, chosen, count",
    [
        (
            {
                "omni_lead": "7",
                "lead": "7",
                "onsite_conversion__lead_grouped": "4",
                "offsite_conversion__fb_pixel_lead": "3",
            },
            "omni_lead",
            7,
        ),
        ({"lead": "5", "onsite_conversion__lead_grouped": "2", "offsite_conversion__fb_pixel_lead": "3"}, "lead", 5),
        (
            {"onsite_conversion__lead_grouped": "2", "offsite_conversion__fb_pixel_lead": "3"},
            "onsite_conversion.lead_grouped",
            2,
        ),
        ({"offsite_conversion__fb_pixel_lead": "3"}, "offsite_conversion.fb_pixel_lead", 3),
        ({}, None, 0),
    ],
)
def test_leads_come_from_one_action_type_by_preference(present, chosen, count):
    result = extract_conversions(actions(**present), None, 2)
    assert (result.lead_type, result.leads) == (chosen, count)


def test_revenue_comes_from_the_same_purchase_type_as_the_count():
    result = extract_conversions(
        actions(purchase="2", offsite_conversion__fb_pixel_purchase="2"),
        actions(omni_purchase="300.00", purchase="199.98", offsite_conversion__fb_pixel_purchase="199.98"),
        2,
    )
    assert (result.purchase_type, result.purchases, result.revenue_minor) == ("purchase", 2, 19998)


def test_revenue_of_another_type_is_not_borrowed():
    # The count is only reported per channel; the omni value describes other conversions too.
    result = extract_conversions(actions(offsite_conversion__fb_pixel_purchase="2"), actions(omni_purchase="199.00"), 2)
    assert (result.purchase_type, result.purchases, result.revenue_minor) == (
        "offsite_conversion.fb_pixel_purchase",
        2,
        0,
    )


def test_a_value_without_a_count_still_picks_its_type():
    result = extract_conversions([], actions(purchase="49.50"), 2)
    assert (result.purchase_type, result.purchases, result.revenue_minor) == ("purchase", 0, 4950)


@pytest.mark.parametrize(
    "text, exponent, minor",
    [
        ("55.50", 2, 5550),
        ("0.01", 2, 1),
        ("1234567.89", 2, 123456789),
        ("7", 2, 700),
        ("", 2, 0),
        (None, 2, 0),
        ("1234", 0, 1234),
        ("0.125", 2, 12),
        ("0.135", 2, 14),  # extra digits (never sent) round half-even
    ],
)
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


@pytest.mark.parametrize(
    "currency, exponent",
    [("USD", 2), ("EUR", 2), ("JPY", 0), ("krw", 0), ("CLP", 0), ("TWD", 0), ("VND", 0), (None, 2), ("XYZ", 2)],
)
def test_currency_exponent_follows_meta_offsets(currency, exponent):
    assert currency_exponent(currency) == exponent


def test_rates_are_computed_from_exact_integers():
    rates = derived_rates(impressions=3, clicks=1, spend_minor=100, exponent=2)
    assert rates == {"ctr": 33.333333, "cpc": 1.0, "cpm": 333.333333}


def test_rates_without_a_denominator_are_empty():
    assert derived_rates(0, 0, 0, 2) == {"ctr": None, "cpc": None, "cpm": None}
