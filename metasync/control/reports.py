"""Reports as the HTTP API shows them: the presets and the definitions a key may see, defining one (validated as
`metasync reports add` is), and reading back the stored breakdown rows of the key's connections."""

from __future__ import annotations

from typing import Any

from metasync.access.keys import Principal
from metasync.control.connections import connection_for
from metasync.control.scope import NotFound, Refused, iso, list_query, page
from metasync.reports.definitions import all_reports, define_report, find_report
from metasync.reports.spec import InvalidReport, ReportSpec, names
from metasync.store.documents import MetaConnection
from metasync.store.reports import BreakdownRow


def _own_connections(principal: Principal) -> set[str]:
    return {str(c.id) for c in MetaConnection.objects(tenant_id=principal.tenant_id).only("id")}


def _visible(spec: ReportSpec, principal: Principal, mine: set[str]) -> dict[str, Any] | None:
    """The spec as this key sees it (another tenant's names and connections left out); None: not this key's."""
    row = spec.describe()
    if principal.is_admin:
        return row
    tenants = [t for t in spec.tenants if t == principal.tenant_id]
    connections = [c for c in spec.connections if c in mine]
    if (spec.tenants and not tenants) or (spec.connections and not connections):
        return None
    return {**row, "tenants": tenants, "connections": connections}


def list_reports(principal: Principal) -> list[dict[str, Any]]:
    mine = set() if principal.is_admin else _own_connections(principal)
    return [row for spec in all_reports() if (row := _visible(spec, principal, mine)) is not None]


def report_for(principal: Principal, name: str) -> ReportSpec:
    """The report named `name` if this key may see it; NotFound otherwise."""
    try:
        spec = find_report(name)
    except InvalidReport:
        raise NotFound(f"no report {name[:64]!r}") from None
    mine = set() if principal.is_admin else _own_connections(principal)
    if _visible(spec, principal, mine) is None:
        raise NotFound(f"no report {name[:64]!r}")
    return spec


def define(principal: Principal, fields: dict[str, Any]) -> dict[str, Any]:
    """Define a report as `metasync reports add` does; a tenant's key defines it for its own tenant only (and its
    own connections). InvalidReport with the rule broken, NotFound for a connection the key does not see."""
    tenants = names(fields.get("tenants"))
    connections = names(fields.get("connections"))
    if not principal.is_admin:
        if tenants and tenants != (principal.tenant_id,):
            raise Refused("a tenant's key defines reports for its own tenant only; leave tenants out")
        tenants = (principal.tenant_id,)
    for connection_id in connections:
        connection_for(principal, connection_id)
    spec = ReportSpec(
        name=str(fields["name"]).strip(),
        level=str(fields["level"]).strip().lower(),
        breakdowns=names(fields.get("breakdowns")),
        fields=names(fields.get("fields")),
        action_breakdowns=names(fields.get("action_breakdowns", ("action_type",))),
        attribution_windows=names(fields.get("attribution_windows", ("7d_click", "1d_view"))),
        time_increment=int(fields.get("time_increment", 1)),
        tenants=tenants,
        connections=connections,
        schedule_minutes=int(fields.get("schedule_minutes", 1440)),
        lookback_days=fields.get("lookback_days"),
    )
    return define_report(spec).describe()


def describe_row(row: BreakdownRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "connection_id": str(row.connection),
        "tenant_id": row.tenant_id,
        "ad_account_id": row.ad_account_id,
        "report": row.report,
        "entity_type": row.entity_type,
        "entity_id": row.entity_id,
        "name": row.name,
        "date": row.date,
        "date_stop": row.date_stop,
        "breakdowns": dict(row.breakdowns or {}),
        "currency": row.currency,
        "currency_exponent": row.currency_exponent,
        "impressions": row.impressions or 0,
        "clicks": row.clicks or 0,
        "spend": row.spend or 0,
        "purchases": row.purchases or 0,
        "leads": row.leads or 0,
        "revenue": row.revenue or 0,
        "reach": row.reach,
        "windows": dict(row.windows or {}),
        "fetched_at": iso(row.fetched_at),
    }


def report_rows(
    principal: Principal,
    name: str,
    connection_id: str | None = None,
    tenant: str | None = None,
    since: str | None = None,
    until: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> dict[str, Any]:
    """The stored rows of one report, by date then id; money in minor units (see `currency_exponent`)."""
    report_for(principal, name)
    query = list_query(principal, tenant, connection_id, report=name)
    if query is not None:
        query.update({key: day for key, day in (("date__gte", since), ("date__lte", until)) if day})
    rows = BreakdownRow.objects(**query).order_by("date", "id") if query is not None else None
    return page(rows, limit, offset, describe_row)
