"""The fields metasync can change, at which levels, and how a value is read: from what a person typed, from a
stored document and from Meta's answer, all to one comparable form (money in integer minor units, times as aware
UTC datetimes to the second)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

from metasync.entities.mapping import MappingError, minor_units, parse_meta_time
from metasync.performance.metrics import currency_exponent, from_minor

CAMPAIGN, AD_SET, AD = "CAMPAIGN", "AD_SET", "AD"
LEVELS = (CAMPAIGN, AD_SET, AD)
LEVEL_ALIASES = {
    "campaign": CAMPAIGN,
    "campaigns": CAMPAIGN,
    "adset": AD_SET,
    "ad_set": AD_SET,
    "ad-set": AD_SET,
    "adsets": AD_SET,
    "ad_sets": AD_SET,
    "ad": AD,
    "ads": AD,
}
SETTABLE_STATUSES = ("ACTIVE", "PAUSED", "ARCHIVED", "DELETED")
MAX_NAME_LENGTH = 400
# The most decimals any currency has (Meta's minor unit); the account's own currency is checked when it is known.
MAX_DECIMALS = 2
_HAS_OFFSET = re.compile(r"T.*(Z|[+-][0-9]{2}:?[0-9]{2})$")


@dataclass(frozen=True)
class FieldRule:
    name: str  # the field as changes name it
    kind: str  # status, text, money, time
    levels: tuple[str, ...]
    graph_names: tuple[tuple[str, str], ...] = ()  # (level, Graph field) where Meta names it differently

    def graph_field(self, level: str) -> str:
        return dict(self.graph_names).get(level, self.name)

    def stored_field(self, level: str) -> str:
        return self.graph_field(level)  # stored documents keep Meta's names (campaigns.stop_time)


FIELDS: dict[str, FieldRule] = {
    rule.name: rule
    for rule in (
        FieldRule("status", "status", LEVELS),
        FieldRule("name", "text", LEVELS),
        FieldRule("daily_budget", "money", (CAMPAIGN, AD_SET)),
        FieldRule("lifetime_budget", "money", (CAMPAIGN, AD_SET)),
        FieldRule("end_time", "time", (CAMPAIGN, AD_SET), graph_names=((CAMPAIGN, "stop_time"),)),
        FieldRule("bid_amount", "money", (AD_SET,)),
    )
}
BUDGET_FIELDS = ("daily_budget", "lifetime_budget")


class InvalidValue(ValueError):
    """A value that cannot be what the field holds; the message is the one-line reason."""


def level_of(text: Any) -> str:
    """CAMPAIGN, AD_SET or AD from `campaign`, `adset`, `ad-set`, `AD_SET`, ..."""
    key = str(text or "").strip()
    level = LEVEL_ALIASES.get(key.lower()) or (key if key in LEVELS else None)
    if level is None:
        raise InvalidValue(f"level must be campaign, adset or ad, got {str(text)[:40]!r}")
    return level


def rule_for(field: str, level: str) -> FieldRule:
    rule = FIELDS.get(str(field))
    if rule is None:
        raise InvalidValue(f"{str(field)[:40]!r} cannot be changed; changeable: {', '.join(FIELDS)}")
    if level not in rule.levels:
        where = ", ".join(level_name(lv) for lv in rule.levels)
        raise InvalidValue(f"{rule.name} cannot be changed on {level_name(level)}s, only on {where}s")
    return rule


def level_name(level: str) -> str:
    return {CAMPAIGN: "campaign", AD_SET: "ad set", AD: "ad"}.get(level, level)


# --- values a person (or an optimiser's document) gives ----------------------------------------------------------
def check_input(rule: FieldRule, raw: Any) -> None:
    """Everything that can be checked without the account's currency; InvalidValue with the reason."""
    to_meta_value(rule, raw, MAX_DECIMALS)


def to_meta_value(rule: FieldRule, raw: Any, exponent: int) -> Any:
    """The value as Meta holds it: an integer of minor units for money (a decimal string is an amount in major
    units with at most `exponent` decimals; an integer is already minor units), an aware UTC datetime, a status."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        raise InvalidValue(f"{rule.name} needs a value")
    if rule.kind == "status":
        status = str(raw).strip().upper()
        if status not in SETTABLE_STATUSES:
            raise InvalidValue(f"status must be one of {', '.join(SETTABLE_STATUSES)}, got {str(raw)[:40]!r}")
        return status
    if rule.kind == "text":
        name = str(raw).strip()
        if len(name) > MAX_NAME_LENGTH:
            raise InvalidValue(f"name is longer than {MAX_NAME_LENGTH} characters")
        return name
    if rule.kind == "money":
        return _minor_from_input(rule.name, raw, exponent)
    return _time_from_input(raw)


def _minor_from_input(name: str, raw: Any, exponent: int) -> int:
    if isinstance(raw, bool) or isinstance(raw, float):
        raise InvalidValue(f"{name} must be a decimal amount like 50.00 (or whole minor units), got {raw!r}")
    if isinstance(raw, int):
        minor = raw
    else:
        text = str(raw).strip()
        try:
            amount = Decimal(text)
        except InvalidOperation:
            raise InvalidValue(f"{name} must be a decimal amount like 50.00, got {text[:40]!r}") from None
        if not amount.is_finite():
            raise InvalidValue(f"{name} must be a finite amount, got {text[:40]!r}")
        if -amount.as_tuple().exponent > exponent:
            places = f"at most {exponent} decimals" if exponent else "no decimals"
            raise InvalidValue(f"{name} {text} has too many decimals: the account currency has {places}")
        minor = int(amount.scaleb(exponent))
    if minor <= 0:
        raise InvalidValue(f"{name} must be more than 0")
    return minor


def _time_from_input(raw: Any) -> datetime:
    if isinstance(raw, datetime):
        return _utc(raw)
    text = str(raw).strip()
    if not _HAS_OFFSET.search(text) and not text.isdigit():
        raise InvalidValue(f"end_time {text[:40]!r} needs a UTC offset (e.g. +00:00 or Z)")
    try:
        parsed = parse_meta_time(text)
    except (MappingError, ValueError):
        parsed = None
    if parsed is None:
        raise InvalidValue(
            f"end_time must be an ISO time with a UTC offset, e.g. 2026-12-31T23:59:00+00:00, got {text[:40]!r}"
        )
    return _utc(parsed)


def _utc(value: datetime) -> datetime:
    aware = value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)
    return aware.replace(microsecond=0)


# --- values Meta and the database hold ----------------------------------------------------------------------------
def live_value(rule: FieldRule, level: str, payload: dict[str, Any]) -> Any:
    """The field's value in a Graph object (None when Meta has none)."""
    value = payload.get(rule.graph_field(level))
    if rule.kind == "status":
        return payload.get("configured_status") or value
    return normalized(rule, value)


def stored_value(rule: FieldRule, level: str, doc: dict[str, Any]) -> Any:
    """The field's value in a stored campaign, ad set or ad document."""
    if rule.kind == "status":
        return doc.get("configured_status")
    return normalized(rule, doc.get(rule.stored_field(level)))


def normalized(rule: FieldRule, value: Any) -> Any:
    if value in (None, ""):
        return None
    if rule.kind == "money":
        minor = minor_units(value)
        return minor or None  # Meta answers "0" for "no budget of this kind"
    if rule.kind == "time":
        return _utc(value) if isinstance(value, datetime) else parse_meta_time(value)
    return value


def graph_param(rule: FieldRule, value: Any) -> str:
    """The form value of a write."""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%S%z")
    return str(value)


def display(rule: FieldRule, value: Any, currency: str | None) -> str:
    """A value for people: 50.00 USD, 2026-12-31T23:59:00+00:00, PAUSED, 'a name', -."""
    if value is None:
        return "-"
    if rule.kind == "money" and isinstance(value, int):
        exponent = currency_exponent(currency)
        return f"{from_minor(value, exponent):.{exponent}f} {currency or ''}".strip()
    if isinstance(value, datetime):
        return _utc(value).isoformat()
    if rule.kind == "text":
        return repr(str(value))
    return str(value)
