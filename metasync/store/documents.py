"""MongoDB documents (mongoengine): connections, campaigns, ad sets, ads and sync runs."""

from __future__ import annotations

from datetime import datetime

from mongoengine import (
    BooleanField,
    DateTimeField,
    DictField,
    Document,
    FloatField,
    IntField,
    ListField,
    LongField,
    ObjectIdField,
    StringField,
)

from metasync.infra.clock import utcnow
from metasync.infra.crypto import decrypt_token, encrypt_token
from metasync.store.accounts import AdAccount
from metasync.store.library import LIBRARY_DOCUMENTS, SyncedObject
from metasync.store.money import MinorUnitAmounts

# ACCOUNT_INACTIVE: Meta reports the ad account disabled, unsettled or closed (see metasync.store.accounts).
CONNECTION_STATUSES = ("ACTIVE", "EXPIRED", "ERROR", "DISABLED", "ACCOUNT_INACTIVE")
# The internal `status` of a campaign, ad set or ad (metasync.entities.mapping derives it from Meta's).
INTERNAL_STATUSES = ("ACTIVE", "ARCHIVED", "DELETED", "DISAPPROVED", "PAUSED", "PENDING", "UNKNOWN", "WITH_ISSUES")
# The statuses whose connections are synced (scheduled, webhooks, tokens renewed). ERROR is a failed run, which the
# next run may mend; EXPIRED needs the tenant to re-authenticate, DISABLED was switched off on purpose.
SYNCABLE_STATUSES = ("ACTIVE", "ERROR")


class MetaConnection(Document):
    """One tenant's access to one ad account, with its (encrypted) token and sync state."""

    tenant_id = StringField(required=True)
    ad_account_id = StringField(required=True, regex=r"^act_[0-9]{1,32}$")  # metasync.graph.ids
    meta_user_id = StringField()
    access_token_encrypted = StringField(required=True)
    token_expires_at = DateTimeField()
    status = StringField(required=True, choices=CONNECTION_STATUSES, default="ACTIVE")
    account_name = StringField()
    currency = StringField()
    timezone_name = StringField()
    last_synced_at = DateTimeField()
    last_performance_synced_at = DateTimeField()
    last_error = StringField()
    last_error_at = DateTimeField()
    # Highest `updated_time` seen per entity kind: the next incremental sync asks only for what changed since.
    watermarks = DictField()
    # When the last successful pull of the whole performance lookback window started (it is due once a local day).
    performance_lookback_started_at = DateTimeField()
    # Where an interrupted full sync got to: {"generation": <when it began>, "edges": {kind: {"after", "done"}}}.
    full_sync_checkpoint = DictField()
    # The id of the latest SyncRun of each kind, so `status` reads runs by `_id` instead of querying `sync_runs`.
    latest_runs = DictField()
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)

    meta = {
        "collection": "meta_connections",
        "indexes": [
            {"fields": ["tenant_id", "ad_account_id"], "unique": True},
            "ad_account_id",
            "status",
        ],
    }

    @property
    def may_sync(self) -> bool:
        return self.status in SYNCABLE_STATUSES

    @property
    def access_token(self) -> str:
        return decrypt_token(self.access_token_encrypted)

    def set_access_token(self, token: str, expires_at: datetime | None = None) -> None:
        self.access_token_encrypted = encrypt_token(token)
        self.token_expires_at = expires_at

    def mark(self, status: str, reason: str | None = None) -> None:
        """Set status and reason atomically on this one connection."""
        now = utcnow()
        updates = {"set__status": status, "set__updated_at": now}
        if reason is not None:
            updates.update(set__last_error=reason, set__last_error_at=now)
        MetaConnection.objects(id=self.id).update_one(**updates)
        self.status = status
        if reason is not None:
            self.last_error, self.last_error_at = reason, now

    def save(self, *args, **kwargs):
        saved = super().save(*args, **kwargs)
        AccountRoute.add(self)
        return saved

    def delete(self, *args, **kwargs):
        AccountRoute.objects(id=self.ad_account_id).update_one(pull__connections=self.id)
        return super().delete(*args, **kwargs)

    def __repr__(self) -> str:  # never show the token, even encrypted
        return f"<MetaConnection {self.id} tenant={self.tenant_id} {self.ad_account_id} {self.status}>"

    __str__ = __repr__


class AccountRoute(Document):
    """The connections (one per tenant) that sync one ad account, keyed by the account id: webhook routing reads
    it by `_id` instead of querying `meta_connections`. Kept by MetaConnection.save() and delete()."""

    id = StringField(primary_key=True)  # act_<digits>
    connections = ListField(ObjectIdField())

    meta = {"collection": "account_routes"}

    @classmethod
    def add(cls, connection: MetaConnection) -> None:
        result = cls.objects(id=connection.ad_account_id).update_one(
            add_to_set__connections=connection.id, upsert=True, full_result=True
        )
        if result.upserted_id is not None:
            cls.rebuild(connection.ad_account_id)  # take in connections saved before routes were kept

    @classmethod
    def rebuild(cls, ad_account_id: str) -> list:
        """The route from `meta_connections` itself (one read of that collection); returns the connection ids."""
        ids = [c.id for c in MetaConnection.objects(ad_account_id=ad_account_id).only("id")]
        if ids:
            cls.objects(id=ad_account_id).update_one(add_to_set__connections=ids, upsert=True)
        return ids


def _entity_indexes(*extra) -> list:
    return [
        {"fields": ["tenant_id", "meta_id"], "unique": True},
        ("connection", "status"),
        ("tenant_id", "status"),
        "meta_id",
        *extra,
    ]


def entity_key(tenant_id: str, meta_id: str) -> str:
    """The `_id` of a campaign, ad set or ad: its unique key (tenant, Meta id) as one string.

    Upserts then find their document by `_id`, which every MongoDB-compatible server serves from its primary index
    (FerretDB 1.x scans the collection for other filters); Meta ids are digits, so the last ':' splits it.
    """
    return f"{tenant_id}:{meta_id}"


class _Entity(SyncedObject):
    """Fields shared by campaigns, ad sets and ads (beyond every synced object's)."""

    status = StringField(choices=INTERNAL_STATUSES)
    effective_status = StringField()
    configured_status = StringField()
    currency = StringField()
    issues = ListField(DictField())
    recommendations = ListField(DictField())

    meta = {"abstract": True}


class Campaign(_Entity):
    objective = StringField()
    buying_type = StringField()
    bid_strategy = StringField()
    daily_budget = LongField()
    lifetime_budget = LongField()
    budget_remaining = LongField()
    spend_cap = LongField()
    special_ad_categories = ListField(StringField())
    start_time = DateTimeField()
    stop_time = DateTimeField()

    meta = {"collection": "campaigns", "indexes": _entity_indexes()}


class AdSet(_Entity):
    campaign_id = StringField()
    optimization_goal = StringField()
    billing_event = StringField()
    bid_strategy = StringField()
    bid_amount = LongField()
    daily_budget = LongField()
    lifetime_budget = LongField()
    budget_remaining = LongField()
    start_time = DateTimeField()
    end_time = DateTimeField()
    destination_type = StringField()
    promoted_object = DictField()
    # Mapped targeting: locations{countries,regions,cities,zips,location_types}, interests[{id,name}],
    # age_min, age_max, genders[male|female|all], platforms[...]. Meta's full spec stays in `raw.targeting`.
    targeting = DictField()
    learning_phase_status = StringField()
    learning_stage_info = DictField()

    meta = {"collection": "ad_sets", "indexes": _entity_indexes(("tenant_id", "campaign_id"))}


class Ad(_Entity):
    ad_set_id = StringField()
    campaign_id = StringField()
    # Mapped creative: id, name, headline, body, call_to_action, image_url, image_hash, video_id, thumbnail_url,
    # link, object_story_id.
    creative = DictField()
    review_feedback = DictField()
    policy_violations = ListField(StringField())

    meta = {"collection": "ads", "indexes": _entity_indexes(("tenant_id", "ad_set_id"), ("tenant_id", "campaign_id"))}


class SyncRun(Document):
    """One sync of one connection: what ran, how long, what it wrote, what failed."""

    connection = ObjectIdField(required=True)
    tenant_id = StringField()
    ad_account_id = StringField()
    kind = StringField(required=True)  # ENTITIES, PERFORMANCE, ENTITY
    trigger = StringField()  # cli, beat, task, webhook, loop, demo, api, dashboard
    requested_by = StringField()  # who asked, when known (an API key's id for api and dashboard runs)
    full = BooleanField(default=False)
    # RUNNING, then SUCCESS, PARTIAL, FAILED or CRASHED (metasync.runs); QUEUED / SKIPPED: enqueued with a known id
    # (metasync.runs.planned), not started yet / ended without starting
    status = StringField(default="RUNNING")
    started_at = DateTimeField(default=utcnow)
    finished_at = DateTimeField()
    duration_ms = IntField()
    counts = DictField()
    api_calls = IntField(default=0)
    error_count = IntField(default=0)
    errors = ListField(StringField())  # the first few, for reading; error_count has them all
    # What the run was asked to do beyond its kind (a webhook's object, an explicit date range), to redo it.
    target = DictField()

    @classmethod
    def begin(
        cls,
        connection: MetaConnection,
        kind: str,
        trigger: str,
        started_at: datetime,
        full: bool = False,
        target: dict | None = None,
        run_id=None,
    ) -> SyncRun:
        """Record a run as RUNNING and make it its connection's latest run of this kind; `run_id` names the QUEUED
        record an enqueuer made for it (then replaced by this one, keeping who asked and how)."""
        prior = cls.objects(id=run_id).only("trigger", "requested_by").first() if run_id else None
        run = cls(
            id=run_id,
            requested_by=prior.requested_by if prior else None,
            connection=connection.id,
            tenant_id=connection.tenant_id,
            ad_account_id=connection.ad_account_id,
            kind=kind,
            trigger=prior.trigger if prior else trigger,
            full=full,
            started_at=started_at,
            target=target or {},
        )
        run.save()
        MetaConnection.objects(id=connection.id).update_one(**{f"set__latest_runs__{kind}": run.id})
        return run

    meta = {
        "collection": "sync_runs",
        "indexes": [("connection", "-started_at"), ("tenant_id", "-started_at"), "-started_at"],
        "ordering": ["-started_at"],
    }


PERFORMANCE_ENTITY_TYPES = ("ACCOUNT", "CAMPAIGN", "ADSET", "AD")


class PerformanceSnapshot(MinorUnitAmounts, Document):
    """One account-local day of one campaign, ad set or ad, as Meta reports it; re-pulls overwrite it.

    Money is exact: `spend` and `revenue` are integers in the currency's minor unit (cents for USD, whole yen for
    JPY): divide by 10 ** `currency_exponent`, or read `spend_amount` / `revenue_amount` (Decimal). `ctr` (percent),
    `cpc` and `cpm` (major units) are derived from those integers exactly, then rounded to 6 places and stored as
    floats for sorting and filtering; compute totals from the base metrics, never from them.
    """

    # "<tenant_id>:<entity_type>:<entity_id>:<date>": the unique key itself, so an upsert finds its document by _id,
    # which every MongoDB-compatible server serves fast (FerretDB 1.x scans the collection for other filters).
    id = StringField(primary_key=True)
    tenant_id = StringField(required=True)
    connection = ObjectIdField(required=True)
    ad_account_id = StringField()
    entity_type = StringField(required=True, choices=PERFORMANCE_ENTITY_TYPES)
    entity_id = StringField(required=True)
    name = StringField()
    # The row's campaign and ad set (for a campaign or ad-set row, its own id).
    campaign_id = StringField()
    ad_set_id = StringField()
    date = StringField(required=True, regex=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")  # the ad account's local day
    timezone_name = StringField()
    currency = StringField()
    currency_exponent = IntField(default=2)
    impressions = LongField(default=0)
    clicks = LongField(default=0)
    reach = LongField(default=0)
    spend = LongField(default=0)
    purchases = LongField(default=0)
    leads = LongField(default=0)
    conversions = LongField(default=0)  # purchases + leads
    revenue = LongField(default=0)
    # The one action type each KPI was counted from (see metasync.performance.metrics for the preference order).
    purchase_action_type = StringField()
    lead_action_type = StringField()
    ctr = FloatField()
    cpc = FloatField()
    cpm = FloatField()
    actions = ListField(DictField())
    action_values = ListField(DictField())
    raw = DictField()  # the row's other fields exactly as Meta sent them (money as strings)
    fetched_at = DateTimeField()
    first_fetched_at = DateTimeField()

    meta = {
        "collection": "performance_snapshots",
        "indexes": [
            {"fields": ["tenant_id", "entity_type", "entity_id", "date"], "unique": True},
            ("connection", "date"),
            ("tenant_id", "campaign_id", "date"),
            ("tenant_id", "entity_type", "date"),
        ],
    }


def ensure_indexes() -> list[str]:
    """Create every collection's indexes now (mongoengine would on first use); returns the collection names."""
    from metasync.store.apikeys import ApiKey
    from metasync.store.audit import ApiAudit
    from metasync.store.changes import Change, ChangeSet
    from metasync.store.reports import BreakdownRow, ReportDefinition, ReportPull

    documents = (MetaConnection, AccountRoute, Campaign, AdSet, Ad, SyncRun, PerformanceSnapshot, Change, ChangeSet)
    documents += (AdAccount, *LIBRARY_DOCUMENTS, ReportDefinition, ReportPull, BreakdownRow, ApiKey, ApiAudit)
    for document in documents:
        document.ensure_indexes()
    return [document._get_collection_name() for document in documents]
