"""Every refusal reason of a change, checked against a live object before anything is sent (pure)."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from metasync.changes.fields import InvalidValue
from metasync.changes.submit import ObjectRequest
from metasync.changes.validate import AccountFacts, ObjectCheck, check_object
from metasync.store.changes import Change

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=timezone.utc)
USD = AccountFacts(account_id="123", currency="USD", min_daily_budget=100)
JPY = AccountFacts(account_id="123", currency="JPY", min_daily_budget=100)
FUTURE = "2026-07-01T00:00:00+00:00"


def campaign(**fields):
    return {"id": "1", "account_id": "123", "configured_status": "ACTIVE", "name": "C", **fields}


def adset(**fields):
    return {"id": "2", "account_id": "123", "campaign_id": "1", "configured_status": "ACTIVE", "name": "S", **fields}


def change(field, value, level="AD_SET", **kw):
    return Change(tenant_id="t", level=level, object_id="2", field=field, requested_input=value, **kw)


def check(live, *changes, level="AD_SET", parent=None, account=USD):
    check_object(ObjectCheck(level, live["id"], live, list(changes), parent), account, NOW)
    return [(c.status, c.reason) for c in changes]


@pytest.mark.parametrize(
    ("live", "changes", "parent", "reason"),
    [
        (adset(daily_budget="5000"), [change("daily_budget", "0.99")], campaign(), "below the account's minimum 1.00"),
        (
            adset(),
            [change("daily_budget", "20.00")],
            campaign(daily_budget="10000"),
            "its campaign 1 holds the budget (campaign budget optimisation)",
        ),
        (
            adset(),
            [change("lifetime_budget", "20.00"), change("end_time", FUTURE)],
            campaign(lifetime_budget="10000", stop_time="2026-08-01T00:00:00+0000"),
            "its campaign 1 holds the budget",
        ),
        (adset(lifetime_budget="90000", end_time=FUTURE), [change("daily_budget", "20.00")], campaign(), "exclusive"),
        (adset(daily_budget="5000"), [change("lifetime_budget", "200.00")], campaign(), "exclusive"),
        (
            adset(),
            [change("daily_budget", "20.00"), change("lifetime_budget", "200.00")],
            campaign(),
            "daily and lifetime budgets are exclusive: set one of them",
        ),
        (adset(), [change("lifetime_budget", "200.00")], campaign(), "a lifetime budget needs an end time"),
        (adset(), [change("end_time", "2026-05-01T00:00:00Z")], campaign(), "is not in the future"),
        (adset(configured_status="ARCHIVED"), [change("status", "ACTIVE")], None, "can only be deleted"),
        (adset(configured_status="ARCHIVED"), [change("name", "new")], None, "can only be deleted"),
        (adset(configured_status="DELETED"), [change("status", "PAUSED")], None, "DELETED in Meta; it cannot"),
        (adset(), [change("status", "DELETED")], None, "deleting needs explicit confirmation"),
        (adset(daily_budget="5000"), [change("daily_budget", "12.345")], campaign(), "too many decimals"),
    ],
)
def test_each_refusal_has_one_clear_reason(live, changes, parent, reason):
    results = check(live, *changes, parent=parent)
    assert results[0][0] == "REJECTED", results
    assert reason in results[0][1]


def test_a_campaign_budget_is_refused_when_its_ad_sets_hold_the_budget():
    [(status, reason)] = check(campaign(), change("daily_budget", "50.00", level="CAMPAIGN"), level="CAMPAIGN")
    assert status == "REJECTED" and "does not hold this budget" in reason


def test_a_zero_decimal_currency_takes_whole_amounts_only():
    [(status, reason)] = check(
        adset(daily_budget="5000"), change("daily_budget", "5000.5"), parent=campaign(), account=JPY
    )
    assert status == "REJECTED" and "no decimals" in reason
    ok = change("daily_budget", "6000")
    check(adset(daily_budget="5000"), ok, parent=campaign(), account=JPY)
    assert (ok.status, ok.requested) == ("VALIDATED", 6000)


def test_a_person_s_decimal_amount_becomes_exact_minor_units():
    c = change("daily_budget", "50.10")
    check(adset(daily_budget="5000"), c, parent=campaign())
    assert (c.status, c.requested, c.before) == ("VALIDATED", 5010, 5000)


def test_a_deletion_with_confirmation_and_an_archived_object_s_deletion_pass():
    confirmed = change("status", "DELETED", confirm_delete=True)
    check(adset(configured_status="ARCHIVED"), confirmed)
    assert confirmed.status == "VALIDATED"


def test_a_value_meta_already_holds_is_applied_without_a_write():
    c = change("status", "paused")
    check(adset(configured_status="PAUSED"), c)
    assert (c.status, c.after) == ("APPLIED", "PAUSED") and "nothing sent" in c.reason


def test_a_changed_value_is_a_conflict_unless_forced():
    stale = change("name", "Mine", expected="Old", expected_from="stored")
    forced = change("name", "Mine", expected="Old", expected_from="stored", force=True)
    check(adset(name="Changed in Ads Manager"), stale, forced)
    assert stale.status == "CONFLICT" and "expected 'Old', Meta holds 'Changed in Ads Manager'" in stale.reason
    assert forced.status == "VALIDATED"


def test_a_lifetime_budget_with_an_end_time_in_the_same_request_passes():
    budget, end = change("lifetime_budget", "500.00"), change("end_time", FUTURE)
    check(adset(), budget, end, parent=campaign())
    assert (budget.status, end.status) == ("VALIDATED", "VALIDATED")
    assert end.requested == datetime(2026, 7, 1, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        (ObjectRequest("ad", "1", {"daily_budget": "5.00"}), "daily_budget cannot be changed on ads"),
        (ObjectRequest("campaign", "1", {"bid_amount": "5.00"}), "bid_amount cannot be changed on campaigns"),
        (ObjectRequest("ad", "1", {"targeting": "x"}), "'targeting' cannot be changed"),
        (ObjectRequest("page", "1", {"name": "x"}), "level must be campaign, adset or ad"),
        (ObjectRequest("ad", "12a", {"name": "x"}), "object id must be digits"),
        (ObjectRequest("ad", "1", {"status": "RUNNING"}), "status must be one of ACTIVE, PAUSED, ARCHIVED, DELETED"),
        (ObjectRequest("adset", "1", {"daily_budget": "fifty"}), "must be a decimal amount"),
        (ObjectRequest("adset", "1", {"daily_budget": "-5"}), "must be more than 0"),
        (ObjectRequest("adset", "1", {"end_time": "2026-07-01T00:00:00"}), "needs a UTC offset"),
        (ObjectRequest("adset", "1", {}), "nothing to change"),
        (ObjectRequest("adset", "1", {"name": "x"}, expected={"status": "ACTIVE"}), "status is not changed"),
    ],
)
def test_bad_requests_are_refused_before_anything_is_stored(request_, message):
    with pytest.raises(InvalidValue, match=message):
        request_.checked()
