"""The ad account itself, as Meta describes it (status, disable reason, money, currency, timezone, business), one
document per tenant and account, refreshed by every entity sync; and what its status means for syncing."""

from __future__ import annotations

from mongoengine import DateTimeField, DictField, Document, FloatField, IntField, LongField, ObjectIdField, StringField

# Meta's `account_status` codes and their names.
ACCOUNT_STATUSES = {
    1: "ACTIVE",
    2: "DISABLED",
    3: "UNSETTLED",
    7: "PENDING_RISK_REVIEW",
    8: "PENDING_SETTLEMENT",
    9: "IN_GRACE_PERIOD",
    100: "PENDING_CLOSURE",
    101: "CLOSED",
    201: "ANY_ACTIVE",
    202: "ANY_CLOSED",
}
# Accounts in these states deliver nothing and Meta changes nothing in them until someone settles, appeals or
# reopens: their syncs stop (the connection is marked ACCOUNT_INACTIVE) and the account is re-checked now and then.
# An account in its grace period still delivers, and a code Meta adds later is synced (and shown as-is).
STOPPED_ACCOUNT_STATUSES = frozenset({2, 3, 7, 8, 100, 101, 202})
# Meta's `disable_reason` codes and their names (0: not disabled).
DISABLE_REASONS = {
    0: "NONE",
    1: "ADS_INTEGRITY_POLICY",
    2: "ADS_IP_REVIEW",
    3: "RISK_PAYMENT",
    4: "GRAY_ACCOUNT_SHUT_DOWN",
    5: "ADS_AFC_REVIEW",
    6: "BUSINESS_INTEGRITY_RAR",
    7: "PERMANENT_CLOSE",
    8: "UNUSED_RESELLER_ACCOUNT",
    9: "UNUSED_ACCOUNT",
    10: "UMBRELLA_AD_ACCOUNT",
    11: "BUSINESS_MANAGER_INTEGRITY_POLICY",
    12: "MISREPRESENTED_AD_ACCOUNT",
    13: "AOAB_DESHARE_LEGAL_ENTITY",
    14: "CTX_THREAD_REVIEW",
    15: "COMPROMISED_AD_ACCOUNT",
}


def account_status_name(code: int | None) -> str:
    if code is None:
        return "UNKNOWN"
    return ACCOUNT_STATUSES.get(code, f"UNKNOWN_{code}")


def disable_reason_name(code: int | None) -> str | None:
    if code is None:
        return None
    return DISABLE_REASONS.get(code, f"UNKNOWN_{code}")


def account_key(tenant_id: str, ad_account_id: str) -> str:
    """The `_id` of an ad account document: the tenant and the `act_<digits>` id."""
    return f"{tenant_id}:{ad_account_id}"


class AdAccountInactive(Exception):
    """Meta reports the ad account disabled, unsettled, under review or closed: its syncs stop until it is active."""

    def __init__(self, ad_account_id: str = "", status_code: int | None = None, reason_code: int | None = None):
        super().__init__(ad_account_id, status_code, reason_code)
        self.ad_account_id = ad_account_id
        self.status_code = status_code
        self.reason_code = reason_code

    def __str__(self) -> str:
        reason = disable_reason_name(self.reason_code)
        because = f", disable reason {reason} ({self.reason_code})" if self.reason_code else ""
        return (
            f"ad account {self.ad_account_id} is {account_status_name(self.status_code)} "
            f"(account_status {self.status_code}{because}); syncs resume when Meta reports it active"
        )


class AdAccount(Document):
    """One tenant's view of one ad account. Money (`spend_cap`, `amount_spent`, `balance`, `min_daily_budget`) is an
    integer in the currency's minor unit, as Meta sends it; `spend_cap` 0 means no cap."""

    id = StringField(primary_key=True)  # "<tenant_id>:act_<digits>" (account_key)
    tenant_id = StringField(required=True)
    connection = ObjectIdField(required=True)
    ad_account_id = StringField(required=True)
    name = StringField()
    account_status = IntField()  # Meta's code
    status = StringField()  # its name: ACTIVE, DISABLED, UNSETTLED, ... (ACCOUNT_STATUSES)
    disable_reason = IntField()
    disable_reason_name = StringField()
    currency = StringField()
    timezone_name = StringField()
    timezone_offset_hours_utc = FloatField()
    spend_cap = LongField()
    amount_spent = LongField()
    balance = LongField()
    min_daily_budget = LongField()
    business_id = StringField()
    business_name = StringField()
    created_time = DateTimeField()
    raw = DictField()
    refreshed_at = DateTimeField()

    meta = {"collection": "ad_accounts", "indexes": [("tenant_id", "ad_account_id"), "connection"]}

    @property
    def stopped(self) -> bool:
        return self.account_status in STOPPED_ACCOUNT_STATUSES
