"""Turns one insights row into a snapshot: exact money, one action type per KPI, derived rates.

Money is kept as integers in the currency's minor unit (Meta's currency "offset": 100 for most currencies, 1 for
the zero-decimal ones) and only ever computed with `Decimal`, never with floats.

Purchases and leads: Meta reports the same conversions under several overlapping action types (an omni count, an
aggregate, and per-channel counts), so adding them double counts. Each KPI takes ONE type, the first of its
preference list that the row has:

- purchases: omni_purchase, purchase, offsite_conversion.fb_pixel_purchase, onsite_web_purchase,
  app_custom_event.fb_mobile_purchase
- leads: omni_lead, lead, onsite_conversion.lead_grouped, offsite_conversion.fb_pixel_lead

The purchase type is looked up in `actions` (or, when no purchase count is there, in `action_values`), and revenue
is the `action_values` entry of that same type, so purchases and revenue always describe the same conversions.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any

from metasync.entities.mapping import MappingError

PURCHASE_TYPES = (
    "omni_purchase",
    "purchase",
    "offsite_conversion.fb_pixel_purchase",
    "onsite_web_purchase",
    "app_custom_event.fb_mobile_purchase",
)
LEAD_TYPES = ("omni_lead", "lead", "onsite_conversion.lead_grouped", "offsite_conversion.fb_pixel_lead")

# Meta's currencies with offset 1 (developers.facebook.com/docs/marketing-api/currencies); all others use 100.
ZERO_DECIMAL_CURRENCIES = frozenset({"CLP", "COP", "CRC", "HUF", "IDR", "ISK", "JPY", "KRW", "PYG", "TWD", "VND"})
RATE_PLACES = Decimal("0.000001")


def currency_exponent(currency: str | None) -> int:
    """Decimal places of the currency's minor unit as Meta counts them (JPY 0, USD 2)."""
    return 0 if (currency or "").strip().upper() in ZERO_DECIMAL_CURRENCIES else 2


def to_decimal(value: Any, what: str) -> Decimal:
    if isinstance(value, bool) or isinstance(value, float):
        # A float has already lost the exact amount; Meta sends strings.
        raise MappingError(f"{what} must be a decimal string, got {value!r}")
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise MappingError(f"{what} is not a number: {str(value)[:40]!r}") from None
    if not amount.is_finite():
        raise MappingError(f"{what} is not a finite number: {str(value)[:40]!r}")
    return amount


def to_minor(value: Any, exponent: int, what: str = "amount") -> int:
    """ "55.50" -> 5550 (exponent 2). Meta reports money at minor-unit precision; extra digits round half-even."""
    if value in (None, ""):
        return 0
    return int(to_decimal(value, what).scaleb(exponent).to_integral_value(ROUND_HALF_EVEN))


def from_minor(minor: int, exponent: int) -> Decimal:
    """5550 -> Decimal("55.50") (exponent 2): the exact amount in major units."""
    return Decimal(int(minor)).scaleb(-exponent)


def to_count(value: Any, what: str = "count") -> int:
    if value in (None, ""):
        return 0
    return int(to_decimal(value, what).to_integral_value(ROUND_HALF_EVEN))


def action_values_by_type(items: Any, key: str = "value") -> dict[str, Any]:
    """{action_type: entry[key]} for a row's `actions` or `action_values` (`key`: "value", or an attribution
    window such as "7d_click"); the first entry of a type wins, entries without `key` are left out."""
    out: dict[str, Any] = {}
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict) and item.get("action_type") and item["action_type"] not in out and key in item:
            out[str(item["action_type"])] = item.get(key)
    return out


def preferred_type(preference: tuple[str, ...], *sources: dict[str, Any]) -> str | None:
    """The first type in `preference` present in the first source that has any of them."""
    for source in sources:
        for action_type in preference:
            if action_type in source:
                return action_type
    return None


@dataclass(frozen=True)
class Conversions:
    purchases: int
    leads: int
    revenue_minor: int
    purchase_type: str | None
    lead_type: str | None


def extract_conversions(actions: Any, action_values: Any, exponent: int) -> Conversions:
    counts, values = action_values_by_type(actions), action_values_by_type(action_values)
    purchase_type = preferred_type(PURCHASE_TYPES, counts, values)
    lead_type = preferred_type(LEAD_TYPES, counts)
    return Conversions(
        purchases=to_count(counts.get(purchase_type), "purchases") if purchase_type else 0,
        leads=to_count(counts.get(lead_type), "leads") if lead_type else 0,
        revenue_minor=to_minor(values.get(purchase_type), exponent, "revenue") if purchase_type else 0,
        purchase_type=purchase_type,
        lead_type=lead_type,
    )


def _rate(numerator: Decimal, denominator: int) -> float | None:
    if not denominator:
        return None
    return float((numerator / denominator).quantize(RATE_PLACES, ROUND_HALF_EVEN))


def derived_rates(impressions: int, clicks: int, spend_minor: int, exponent: int) -> dict[str, float | None]:
    """CTR in percent, CPC and CPM in major units, computed exactly from the integers and only then rounded."""
    spend = from_minor(spend_minor, exponent)
    return {
        "ctr": _rate(Decimal(clicks) * 100, impressions),
        "cpc": _rate(spend, clicks),
        "cpm": _rate(spend * 1000, impressions),
    }
