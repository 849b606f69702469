"""The checks a change passes before anything is sent, against what Meta holds right now; one reason per refusal.

In order, per change: the value (in the account's currency), the object's own state (deleted / archived objects),
the explicit confirmation a deletion needs, already done (a no-op), optimistic concurrency (CONFLICT unless
forced); then per object, the budget rules: daily and lifetime are exclusive, not below the account's minimum,
held by the campaign or by its ad sets (never both), a lifetime budget needs an end time, an end time is in the
future.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from metasync.changes.fields import (
    AD_SET,
    BUDGET_FIELDS,
    CAMPAIGN,
    FieldRule,
    InvalidValue,
    display,
    level_name,
    live_value,
    rule_for,
    to_meta_value,
)
from metasync.changes.state import mark
from metasync.performance.metrics import currency_exponent
from metasync.store.changes import Change


@dataclass(frozen=True)
class AccountFacts:
    """The ad account as Meta reports it at the pre-read."""

    account_id: str  # digits, as objects carry it
    currency: str | None
    min_daily_budget: int | None

    @property
    def exponent(self) -> int:
        return currency_exponent(self.currency)


@dataclass
class ObjectCheck:
    """One object's live state and its open changes."""

    level: str
    object_id: str
    live: dict[str, Any]
    changes: list[Change]
    campaign: dict[str, Any] | None = None  # an ad set's campaign, live (who holds the budget)


def holds_budget(payload: dict[str, Any] | None) -> bool:
    return bool(payload) and any(live_value(rule_for(f, CAMPAIGN), CAMPAIGN, payload) for f in BUDGET_FIELDS)


def check_object(check: ObjectCheck, account: AccountFacts, now: datetime) -> None:
    """Mark each open change REJECTED, CONFLICT, APPLIED (already held) or VALIDATED, with `before` filled in."""
    pending: list[tuple[Change, FieldRule]] = []
    for change in check.changes:
        rule = rule_for(change.field, check.level)
        change.before = live_value(rule, check.level, check.live)
        reason = _change_refusal(change, rule, check, account)
        if reason:
            mark(change, "REJECTED", reason)
            continue
        if change.before == change.requested:
            mark(change, "APPLIED", "Meta already holds the requested value; nothing sent", after=change.before)
            continue
        if change.expected_from and not change.force and change.expected != change.before:
            mark(
                change,
                "CONFLICT",
                f"expected {display(rule, change.expected, account.currency)}, Meta holds "
                f"{display(rule, change.before, account.currency)} (changed elsewhere?); force to overwrite",
            )
            continue
        pending.append((change, rule))
    refusals = _object_refusals(check, [(c.field, c.requested) for c, _ in pending], account, now)
    for change, _rule in pending:
        reason = refusals.get(change.field)
        if reason:
            mark(change, "REJECTED", reason)
        else:
            mark(change, "VALIDATED")


def _change_refusal(change: Change, rule: FieldRule, check: ObjectCheck, account: AccountFacts) -> str | None:
    change.currency = account.currency
    try:
        change.requested = to_meta_value(rule, change.requested_input, account.exponent)
        if change.expected is not None:
            change.expected = to_meta_value(rule, change.expected, account.exponent)
    except InvalidValue as exc:
        return str(exc)
    status = check.live.get("configured_status") or check.live.get("status")
    if status == "DELETED":
        return "the object is DELETED in Meta; it cannot be changed"
    if status == "ARCHIVED" and not (rule.name == "status" and change.requested == "DELETED"):
        return "the object is ARCHIVED in Meta; an archived object can only be deleted"
    if rule.name == "status" and change.requested == "DELETED" and not change.confirm_delete:
        return "deleting needs explicit confirmation (--confirm-delete, or confirm_delete: true)"
    return None


def _object_refusals(
    check: ObjectCheck, requested: list[tuple[str, Any]], account: AccountFacts, now: datetime
) -> dict[str, str]:
    """Reasons by field for the object's budget and end-time rules, given all its changes together."""
    wanted = dict(requested)
    refusals: dict[str, str] = {}
    level, live = check.level, check.live
    budgets = [f for f in BUDGET_FIELDS if f in wanted]

    def live_of(field: str) -> Any:
        return live_value(rule_for(field, level), level, live)

    if len(budgets) == 2:
        for field in budgets:
            refusals[field] = "daily and lifetime budgets are exclusive: set one of them"
        return refusals
    for field in budgets:
        other = "lifetime_budget" if field == "daily_budget" else "daily_budget"
        reason = None
        if live_of(other):
            reason = (
                f"the {level_name(level)} has a {other.replace('_', ' ')}; daily and lifetime budgets are exclusive"
            )
        elif level == AD_SET and holds_budget(check.campaign):
            reason = (
                f"its campaign {live.get('campaign_id')} holds the budget (campaign budget optimisation); "
                "change the campaign's budget instead"
            )
        elif level == CAMPAIGN and not live_of(field):
            reason = "the campaign does not hold this budget (its ad sets do, or it has the other kind); change those"
        elif field == "daily_budget" and account.min_daily_budget and wanted[field] < account.min_daily_budget:
            rule = rule_for(field, level)
            reason = (
                f"daily budget {display(rule, wanted[field], account.currency)} is below the account's minimum "
                f"{display(rule, account.min_daily_budget, account.currency)}"
            )
        elif field == "lifetime_budget" and not (wanted.get("end_time") or live_of("end_time")):
            reason = "a lifetime budget needs an end time: set end_time too"
        if reason:
            refusals[field] = reason
    end = wanted.get("end_time")
    if end is not None and end <= now:
        refusals["end_time"] = f"end time {end.isoformat()} is not in the future"
    return refusals
