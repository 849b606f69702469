"""Write-back documents: one `changes` document per field of one object (the audit trail), and `change_sets`,
which group the changes applied together and are read by `_id`."""

from __future__ import annotations

from mongoengine import (
    BooleanField,
    DateTimeField,
    DictField,
    Document,
    DynamicField,
    IntField,
    ListField,
    ObjectIdField,
    StringField,
)

from metasync.infra.clock import utcnow

# REQUESTED: waiting to be applied. VALIDATED: checked, about to be sent. APPLYING: sent (or about to be); a run
# that finds it so after a crash reads Meta before doing anything. The rest are final, except DEFERRED, which is
# applied again once `not_before` has passed.
CHANGE_STATUSES = ("REQUESTED", "VALIDATED", "APPLYING", "APPLIED", "CONFLICT", "REJECTED", "FAILED", "DEFERRED")
OPEN_STATUSES = ("REQUESTED", "VALIDATED", "APPLYING", "DEFERRED")
CHANGE_SOURCES = ("cli", "api", "db", "task")


class Change(Document):
    """One requested change of one field of one campaign, ad set or ad, and everything that happened to it.

    Values are as Meta holds them: money in integer minor units of the account currency, times as aware UTC
    datetimes (`end_time` means the campaign's `stop_time`), statuses and names as strings."""

    tenant_id = StringField(required=True)
    connection = ObjectIdField()
    ad_account_id = StringField()
    change_set_id = StringField()
    source = StringField(choices=CHANGE_SOURCES, default="db")
    requested_by = StringField()
    level = StringField()  # CAMPAIGN, AD_SET, AD
    object_id = StringField()
    field = StringField()  # status, name, daily_budget, lifetime_budget, end_time, bid_amount
    expected = DynamicField()  # the value the change expects Meta to hold now (None: no concurrency check)
    expected_from = StringField()  # "change" (given), "stored" (the stored document), or None
    requested_input = DynamicField()  # as given: "50.00" (an amount), 5000 (minor units), "PAUSED", ...
    requested = DynamicField()  # as Meta holds it, once checked against the account's currency
    currency = StringField()  # the ad account's, when the change was checked
    before = DynamicField()  # what Meta held when the change was checked
    after = DynamicField()  # what Meta holds after the write (read back)
    status = StringField(choices=CHANGE_STATUSES, default="REQUESTED")
    reason = StringField()  # why it was refused, deferred, in conflict, or a no-op
    force = BooleanField(default=False)
    confirm_delete = BooleanField(default=False)
    error_code = IntField()
    error_subcode = IntField()
    error_message = StringField()
    not_before = DateTimeField()  # a DEFERRED change is applied again from then on
    attempts = IntField(default=0)
    history = ListField(DictField())  # [{status, at, reason}] in order
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)
    applied_at = DateTimeField()

    meta = {
        "collection": "changes",
        "indexes": [
            "status",
            "change_set_id",
            ("tenant_id", "-created_at"),
            ("connection", "-created_at"),
            ("tenant_id", "object_id"),
        ],
        "ordering": ["-created_at"],
    }

    def describe(self) -> str:
        return f"{self.level} {self.object_id} {self.field}"


class ChangeSet(Document):
    """The changes of one connection applied together (a CLI command, a file, one pick-up of database changes)."""

    id = StringField(primary_key=True)
    tenant_id = StringField(required=True)
    connection = ObjectIdField(required=True)
    source = StringField(choices=CHANGE_SOURCES)
    requested_by = StringField()
    change_ids = ListField(DynamicField())
    created_at = DateTimeField(default=utcnow)
    last_applied_at = DateTimeField()
    counts = DictField()  # changes by status after the last apply

    meta = {"collection": "change_sets"}
