"""Stored report definitions and the built-in presets: define, list, find, remove, and which are due."""

from __future__ import annotations

from datetime import datetime, timedelta

from metasync.infra.clock import as_utc, utcnow
from metasync.reports.spec import PRESETS, InvalidReport, ReportSpec, validate
from metasync.store.reports import ReportDefinition, ReportPull


def _spec_of(doc: ReportDefinition) -> ReportSpec:
    return ReportSpec(
        name=doc.id,
        level=doc.level,
        breakdowns=tuple(doc.breakdowns or ()),
        fields=tuple(doc.fields or ()),
        action_breakdowns=tuple(doc.action_breakdowns or ()),
        attribution_windows=tuple(doc.attribution_windows or ()),
        time_increment=doc.time_increment or 1,
        tenants=tuple(doc.tenants or ()),
        connections=tuple(doc.connections or ()),
        schedule_minutes=doc.schedule_minutes if doc.schedule_minutes is not None else 1440,
        lookback_days=doc.lookback_days,
    )


def define_report(spec: ReportSpec) -> ReportSpec:
    """Store a new report after checking it against Meta's rules; a preset's name or a taken one is refused."""
    spec = validate(spec)
    if spec.name in PRESETS:
        raise InvalidReport(f"{spec.name} is a built-in preset; choose another name")
    if ReportDefinition.objects(id=spec.name).count():
        raise InvalidReport(f"a report named {spec.name} exists; remove it first")
    now = utcnow()
    ReportDefinition(
        id=spec.name,
        level=spec.level,
        fields=list(spec.fields),
        breakdowns=list(spec.breakdowns),
        action_breakdowns=list(spec.action_breakdowns),
        attribution_windows=list(spec.attribution_windows),
        time_increment=spec.time_increment,
        tenants=list(spec.tenants),
        connections=list(spec.connections),
        schedule_minutes=spec.schedule_minutes,
        lookback_days=spec.lookback_days,
        created_at=now,
        updated_at=now,
    ).save()
    return spec


def remove_report(name: str) -> bool:
    """Remove a stored definition and its schedule state (its stored rows stay); presets cannot be removed."""
    if name in PRESETS:
        raise InvalidReport(f"{name} is a built-in preset and cannot be removed")
    removed = ReportDefinition.objects(id=name).delete()
    ReportPull.objects(report=name).delete()
    return bool(removed)


def all_reports() -> list[ReportSpec]:
    """The presets, then the stored definitions by name."""
    return [*PRESETS.values(), *(_spec_of(doc) for doc in ReportDefinition.objects.order_by("id"))]


def find_report(name: str) -> ReportSpec:
    if name in PRESETS:
        return PRESETS[name]
    doc = ReportDefinition.objects(id=name).first()
    if doc is None:
        known = ", ".join(spec.name for spec in all_reports())
        raise InvalidReport(f"no report named {name!r}; known reports: {known}")
    return _spec_of(doc)


def due_reports(connection, now: datetime | None = None) -> list[ReportSpec]:
    """The reports that apply to `connection` and whose schedule has come round since their last pull."""
    now = as_utc(now) or utcnow()
    specs = [spec for spec in all_reports() if spec.schedule_minutes > 0 and spec.applies_to(connection)]
    pulls = {
        pull.id: as_utc(pull.last_pulled_at)
        for pull in ReportPull.objects(id__in=[ReportPull.key(spec.name, connection.id) for spec in specs])
    }
    due = []
    for spec in specs:
        last = pulls.get(ReportPull.key(spec.name, connection.id))
        if last is None or now - last >= timedelta(minutes=spec.schedule_minutes):
            due.append(spec)
    return due
