"""Report specs: what a report asks Meta, checked against Meta's rules when it is defined, and the built-in presets.

Every report asks the ids and names of its level (and its parents'), the metrics every breakdown row stores
(`BASE_FIELDS`), then its own extra fields. A spec Meta would refuse is refused here, with Meta's rule, so it never
fails at 3 a.m. in a worker.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from metasync.graph.insights_vocabulary import (
    HOURLY_BREAKDOWNS,
    REACH_FIELDS,
    InvalidInsightsRequest,
    check_insights_request,
)
from metasync.performance.rows import ACCOUNT_LEVEL, AD_LEVEL, ADSET_LEVEL, CAMPAIGN_LEVEL, InsightsLevel

LEVELS = {level.level: level for level in (ACCOUNT_LEVEL, CAMPAIGN_LEVEL, ADSET_LEVEL, AD_LEVEL)}
BASE_FIELDS = (
    "account_currency",
    "impressions",
    "clicks",
    "spend",
    "reach",
    "frequency",
    "inline_link_clicks",
    "actions",
    "action_values",
)
HOURLY_BASE_FIELDS = tuple(f for f in BASE_FIELDS if f not in REACH_FIELDS)
DEFAULT_WINDOWS = ("7d_click", "1d_view")
NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
# A breakdown report's rows multiply with the breakdown values: asynchronous reports past one day.
BREAKDOWN_SYNC_MAX_DAYS = 1


class InvalidReport(ValueError):
    """A report definition metasync or Meta would refuse; the message is the rule."""


@dataclass(frozen=True)
class ReportSpec:
    name: str
    level: str = "ad"
    breakdowns: tuple[str, ...] = ()
    fields: tuple[str, ...] = ()
    action_breakdowns: tuple[str, ...] = ("action_type",)
    attribution_windows: tuple[str, ...] = DEFAULT_WINDOWS
    time_increment: int = 1
    tenants: tuple[str, ...] = ()
    connections: tuple[str, ...] = ()
    schedule_minutes: int = 1440
    lookback_days: int | None = None  # None: PERFORMANCE_LOOKBACK_DAYS
    preset: bool = False

    @property
    def hourly(self) -> bool:
        return bool(set(self.breakdowns) & set(HOURLY_BREAKDOWNS))

    def requested_fields(self) -> tuple[str, ...]:
        base = HOURLY_BASE_FIELDS if self.hourly else BASE_FIELDS
        return tuple(dict.fromkeys(LEVELS[self.level].id_fields() + base + self.fields))

    def applies_to(self, connection) -> bool:
        if self.connections and str(connection.id) not in self.connections:
            return False
        return not self.tenants or connection.tenant_id in self.tenants

    def insights_level(self) -> ReportLevel:
        base = LEVELS[self.level]
        return ReportLevel(
            level=base.level,
            entity_type=base.entity_type,
            count_key="rows",
            id_field=base.id_field,
            name_field=base.name_field,
            sync_max_days=BREAKDOWN_SYNC_MAX_DAYS if self.breakdowns else base.sync_max_days,
            spec=self,
        )

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "level": self.level,
            "breakdowns": list(self.breakdowns),
            "fields": list(self.fields),
            "action_breakdowns": list(self.action_breakdowns),
            "attribution_windows": list(self.attribution_windows),
            "time_increment": self.time_increment,
            "tenants": list(self.tenants),
            "connections": list(self.connections),
            "schedule_minutes": self.schedule_minutes,
            "lookback_days": self.lookback_days,
            "preset": self.preset,
        }


@dataclass(frozen=True)
class ReportLevel(InsightsLevel):
    """A report's query as one level of the shared insights fetcher (async runs, splitting, retries)."""

    spec: ReportSpec = field(default=None, compare=False)  # type: ignore[assignment]

    def fields_param(self) -> str:
        return ",".join(self.spec.requested_fields())

    def query_params(self) -> dict[str, Any]:
        spec = self.spec
        params: dict[str, Any] = {"time_increment": spec.time_increment}
        if spec.breakdowns:
            params["breakdowns"] = list(spec.breakdowns)
        if spec.action_breakdowns:
            params["action_breakdowns"] = list(spec.action_breakdowns)
        if spec.attribution_windows:
            params["action_attribution_windows"] = list(spec.attribution_windows)
        return params


PLACEMENT = ("publisher_platform", "platform_position", "impression_device")
# Ad level, daily, 7-day click and 1-day view; pulled on demand (a defined report with the same breakdowns and a
# --schedule pulls on a schedule), so a new install makes no heavy breakdown calls it was not asked for.
PRESETS: dict[str, ReportSpec] = {
    spec.name: spec
    for spec in (
        ReportSpec(name, breakdowns=breakdowns, schedule_minutes=0, preset=True)
        for name, breakdowns in (
            ("age_gender", ("age", "gender")),
            ("country", ("country",)),
            ("region", ("region",)),
            ("placement", PLACEMENT),
            ("device_platform", ("device_platform",)),
            ("hourly", ("hourly_stats_aggregated_by_advertiser_time_zone",)),
        )
    )
}


def names(value: str | list[str] | tuple[str, ...] | None) -> tuple[str, ...]:
    """`"a, b"` or a list -> ("a", "b"): stripped, empty items dropped, duplicates once, order kept."""
    if value is None:
        return ()
    items = value.split(",") if isinstance(value, str) else list(value)
    return tuple(dict.fromkeys(str(i).strip() for i in items if str(i).strip()))


def validate(spec: ReportSpec) -> ReportSpec:
    """The spec as it will run, or InvalidReport with the rule it breaks (Meta's, or metasync's own)."""
    if not NAME.match(spec.name):
        raise InvalidReport(
            f"report name {spec.name[:40]!r}: use 1-64 lowercase letters, digits, '-' or '_', starting with a letter "
            "or digit"
        )
    if spec.level not in LEVELS:
        raise InvalidReport(f"level {spec.level!r}: Meta's insights levels are {', '.join(LEVELS)}")
    if not 1 <= spec.time_increment <= 90:
        raise InvalidReport(f"time increment {spec.time_increment}: Meta accepts 1 to 90 days per row")
    if spec.schedule_minutes < 0:
        raise InvalidReport("schedule: give minutes between pulls (0 pulls only on demand)")
    if spec.lookback_days is not None and not 1 <= spec.lookback_days <= 1095:
        raise InvalidReport(f"lookback of {spec.lookback_days} days: Meta keeps insights for 37 months (1..1095)")
    if spec.hourly and REACH_FIELDS.intersection(spec.fields):
        people = ",".join(sorted(REACH_FIELDS.intersection(spec.fields)))
        raise InvalidReport(f"Meta refuses {people} with an hourly breakdown: it counts no reach by hour")
    try:
        check_insights_request(
            spec.requested_fields(), spec.breakdowns, spec.action_breakdowns, spec.attribution_windows
        )
    except InvalidInsightsRequest as exc:
        raise InvalidReport(f"Meta would refuse this report: {exc}") from None
    return spec
