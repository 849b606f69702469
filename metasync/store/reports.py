"""Report definitions (named insights specs, with their schedule) and the breakdown rows they store."""

from __future__ import annotations

from mongoengine import (
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

from metasync.store.money import MinorUnitAmounts

REPORT_LEVELS = ("account", "campaign", "adset", "ad")


class ReportDefinition(Document):
    """A named report: what to ask Meta (level, fields, breakdowns, action breakdowns, attribution windows, days
    per row), for which connections (tenants and/or connection ids; none = every connection), and how often."""

    id = StringField(primary_key=True)  # the report's name
    level = StringField(required=True, choices=REPORT_LEVELS)
    fields = ListField(StringField())  # beyond the ones every report asks (see metasync.reports.spec)
    breakdowns = ListField(StringField())
    action_breakdowns = ListField(StringField())
    attribution_windows = ListField(StringField())
    time_increment = IntField(default=1, min_value=1, max_value=90)
    tenants = ListField(StringField())
    connections = ListField(StringField())
    schedule_minutes = IntField(min_value=0)  # 0: pulled only on demand
    lookback_days = IntField(min_value=1, max_value=1095)
    created_at = DateTimeField()
    updated_at = DateTimeField()

    meta = {"collection": "report_definitions"}

    @property
    def name(self) -> str:
        return self.id


class ReportPull(Document):
    """When a report's last scheduled pull for one connection ended, and when its last full lookback began."""

    id = StringField(primary_key=True)  # "<report>:<connection id>"
    report = StringField()
    last_pulled_at = DateTimeField()
    lookback_started_at = DateTimeField()

    meta = {"collection": "report_pulls"}

    @staticmethod
    def key(report: str, connection_id) -> str:
        return f"{report}:{connection_id}"


class BreakdownRow(MinorUnitAmounts, Document):
    """One (tenant, report, level, entity, day, breakdown values) row of a report, as Meta answered it.

    Money is exact: `spend` and `revenue` are integers in the currency's minor unit (divide by 10 **
    `currency_exponent`). `purchases`, `leads` and `revenue` follow the daily snapshots' rule (one action type per
    KPI); `windows` holds them per attribution window Meta returned ({"7d_click": {"purchases": 3, "leads": 0,
    "revenue": 5990}}): a window Meta did not return is absent, never 0. Spend, impressions, clicks, link clicks,
    conversions and the video counts add up across rows; `reach` and `frequency` count people and never do.
    """

    # "<tenant>:<report>:<entity_type>:<entity_id>:<date>:<name=value|...>", the unique key itself.
    id = StringField(primary_key=True)
    tenant_id = StringField(required=True)
    connection = ObjectIdField(required=True)
    ad_account_id = StringField()
    report = StringField(required=True)
    entity_type = StringField(required=True)
    entity_id = StringField(required=True)
    name = StringField()
    campaign_id = StringField()
    ad_set_id = StringField()
    date = StringField(required=True, regex=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")  # first day of the row, account-local
    date_stop = StringField()
    breakdowns = DictField()  # {"age": "25-34", "gender": "female"}
    currency = StringField()
    currency_exponent = IntField(default=2)
    impressions = LongField(default=0)
    clicks = LongField(default=0)
    spend = LongField(default=0)
    inline_link_clicks = LongField(default=0)
    landing_page_views = LongField(default=0)
    purchases = LongField(default=0)
    leads = LongField(default=0)
    conversions = LongField(default=0)
    revenue = LongField(default=0)
    purchase_action_type = StringField()
    lead_action_type = StringField()
    windows = DictField()
    reach = LongField()  # people: not additive
    frequency = FloatField()  # impressions per person: not additive
    counts = DictField()  # additive list metrics summed per field (outbound_clicks, video_p25_watched_actions, ...)
    metrics = DictField()  # every other asked field exactly as Meta sent it (rankings, ROAS, cost per action type)
    actions = ListField(DictField())
    action_values = ListField(DictField())
    fetched_at = DateTimeField()
    first_fetched_at = DateTimeField()

    meta = {
        "collection": "insights_breakdowns",
        "indexes": [("tenant_id", "report", "date"), ("connection", "report", "date")],
    }
