"""The /api/v1 views: each checks who asks (webhooks/api/security.py), calls one `metasync.control` function and
returns its dict; the route table (webhooks/api/routing.py) checks the input and shapes the answer."""

from __future__ import annotations

from metasync.changes.fields import InvalidValue
from metasync.connections.registry import describe_connection
from metasync.control import changes, connections, health, reports, runs
from metasync.control.scope import NotFound, Refused
from metasync.control.triggers import TriggerRefused, enqueue_run
from metasync.graph.errors import GraphError, TokenError
from metasync.infra.locks import LockBusy
from metasync.infra.logs import redact
from metasync.reports.spec import InvalidReport
from metasync.runs.guard import ConnectionInactive
from metasync.runs.lifecycle import SyncFailed
from metasync.settings import ConfigError
from webhooks.api import schemas as s
from webhooks.api.openapi import document
from webhooks.api.routing import bp, envelope, route
from webhooks.api.security import audit_tenant, bp_state, principal
from webhooks.publisher import BrokerUnavailable


# --- errors of the control layer, as envelopes ------------------------------------------------------------------
@bp.errorhandler(NotFound)
def _not_found(exc):
    return envelope(404, "not_found", str(exc))


@bp.errorhandler(Refused)
@bp.errorhandler(TriggerRefused)
@bp.errorhandler(InvalidValue)
@bp.errorhandler(InvalidReport)
def _refused(exc):
    return envelope(422, "refused", str(exc)[:500])


@bp.errorhandler(ConfigError)
def _not_configured(exc):
    return envelope(503, "not_configured", "the service is not configured for this (see `metasync doctor`)")


@bp.errorhandler(BrokerUnavailable)
def _broker_down(exc):
    return envelope(503, "unavailable", f"{exc}; nothing was enqueued")


@bp.errorhandler(ConnectionInactive)
def _inactive(exc):
    return envelope(409, "connection_inactive", f"connection is {exc.status}: {exc.reason or 're-authenticate'}")


@bp.errorhandler(LockBusy)
def _busy(exc):
    return envelope(409, "busy", "other changes of this connection are being applied; try again")


@bp.errorhandler(GraphError)
@bp.errorhandler(SyncFailed)
def _meta(exc):
    if isinstance(exc, TokenError):
        return envelope(422, "meta_refused_token", f"Meta refused the token: {redact(str(exc))[:200]}")
    return envelope(502, "meta_error", f"Meta could not be read: {redact(str(exc))[:200]}")


# --- the document ---------------------------------------------------------------------------------------------
@route("GET", "/openapi.json", summary="This API's OpenAPI document", response=s.OpenApiDocument, public=True)
def openapi_json():
    return document()


# --- connections ----------------------------------------------------------------------------------------------
TAG_CONNECTIONS = "connections"


@route(
    "GET",
    "/connections",
    summary="The key's connections",
    response=s.ConnectionList,
    query=s.ConnectionsQuery,
    tag=TAG_CONNECTIONS,
)
def list_connections(query: s.ConnectionsQuery):
    return {"items": connections.list_connections(principal(), query.tenant, query.status)}


@route(
    "POST",
    "/connections",
    summary="Add a connection (or give an existing one a new token)",
    status=201,
    also=(200,),
    response=s.ConnectionCreated,
    body=s.NewConnection,
    write=True,
    tag=TAG_CONNECTIONS,
)
def add_connection(body: s.NewConnection):
    """The token is stored encrypted and never shown again. An existing connection of the same tenant and ad
    account gets the token (200); a new one answers 201."""
    try:
        described, created = connections.add_connection(
            principal(), body.tenant_id, body.ad_account_id, body.token, body.user_id, body.expires_at
        )
    except ValueError as exc:
        if isinstance(exc, Refused):
            raise
        raise Refused(str(exc)[:300]) from None
    audit_tenant(described["tenant_id"])
    return {**described, "created": created}, 201 if created else 200


@route(
    "POST",
    "/connections/discover",
    summary="The ad accounts a token reaches; optionally add them",
    response=s.DiscoveryOut,
    body=s.Discover,
    write=True,
    errors=(502,),
    tag=TAG_CONNECTIONS,
)
def discover_connections(body: s.Discover):
    try:
        found = connections.discover(
            principal(), body.tenant_id, body.token, body.business_id, body.add, body.add_all, body.expires_at
        )
    except ValueError as exc:
        if isinstance(exc, Refused):
            raise
        raise Refused(str(exc)[:300]) from None
    audit_tenant(found["tenant_id"])
    return found


@route("GET", "/connections/<connection_id>", summary="One connection", response=s.ConnectionOut, tag=TAG_CONNECTIONS)
def get_connection(connection_id: str):
    return describe_connection(connections.connection_for(principal(), connection_id))


def _writable(connection_id: str):
    connection = connections.connection_for(principal(), connection_id)
    audit_tenant(connection.tenant_id)
    return connection


@route(
    "POST",
    "/connections/<connection_id>/disable",
    summary="Stop syncing a connection",
    body=s.NoBody,
    response=s.ConnectionOut,
    write=True,
    tag=TAG_CONNECTIONS,
)
def disable_connection(connection_id: str, body: s.NoBody):
    return connections.disable(_writable(connection_id))


@route(
    "POST",
    "/connections/<connection_id>/token",
    summary="Re-authenticate: replace the connection's token",
    body=s.TokenFields,
    response=s.ConnectionOut,
    write=True,
    tag=TAG_CONNECTIONS,
)
def reauthenticate_connection(connection_id: str, body: s.TokenFields):
    connection = _writable(connection_id)
    return connections.reauthenticate(connection, body.token, body.user_id, body.expires_at)


# --- triggers -------------------------------------------------------------------------------------------------
TAG_RUNS = "runs"


def _enqueue(connection, kind: str, **options):
    queued = enqueue_run(connection, kind, principal().who, "api", bp_state().send, **options)
    return queued.as_dict(), 202


@route(
    "POST",
    "/connections/<connection_id>/entity-sync",
    summary="Enqueue an entity sync",
    status=202,
    body=s.EntitySync,
    response=s.Enqueued,
    write=True,
    tag=TAG_RUNS,
)
def trigger_entity_sync(connection_id: str, body: s.EntitySync):
    return _enqueue(_writable(connection_id), "entities", full=body.full)


@route(
    "POST",
    "/connections/<connection_id>/performance-sync",
    summary="Enqueue a performance sync",
    status=202,
    body=s.Dates,
    response=s.Enqueued,
    write=True,
    tag=TAG_RUNS,
)
def trigger_performance_sync(connection_id: str, body: s.Dates):
    return _enqueue(_writable(connection_id), "performance", **body.model_dump())


@route(
    "POST",
    "/connections/<connection_id>/report-pull",
    summary="Enqueue a report pull",
    status=202,
    body=s.ReportPull,
    response=s.Enqueued,
    write=True,
    tag=TAG_RUNS,
)
def trigger_report_pull(connection_id: str, body: s.ReportPull):
    connection = _writable(connection_id)
    reports.report_for(principal(), body.report)
    return _enqueue(connection, "report", **body.model_dump())


@route(
    "POST",
    "/change-sets/<change_set_id>/apply",
    summary="Enqueue applying a change set",
    status=202,
    body=s.NoBody,
    response=s.Enqueued,
    write=True,
    tag=TAG_RUNS,
)
def trigger_change_set(change_set_id: str, body: s.NoBody):
    change_set = changes.change_set_for(principal(), change_set_id)
    return _enqueue(_writable(str(change_set.connection)), "changes", change_set_id=change_set.id)


# --- runs and health ------------------------------------------------------------------------------------------
@route("GET", "/runs", summary="Run history, newest first", response=s.RunList, query=s.RunsQuery, tag=TAG_RUNS)
def list_runs(query: s.RunsQuery):
    return runs.list_runs(
        principal(),
        query.connection_id,
        query.kind,
        query.status,
        query.trigger,
        query.tenant,
        query.limit,
        query.offset,
    )


@route(
    "GET",
    "/runs/<run_id>",
    summary="One run, with its live state while queued or running",
    response=s.RunOut,
    tag=TAG_RUNS,
)
def get_run(run_id: str):
    return runs.run_for(principal(), run_id)


TAG_HEALTH = "health"


@route(
    "GET",
    "/freshness",
    summary="Last successful entity and performance sync per connection",
    response=s.FreshnessList,
    query=s.TenantQuery,
    tag=TAG_HEALTH,
)
def get_freshness(query: s.TenantQuery):
    return {"items": health.freshness(principal(), query.tenant)}


@route(
    "GET",
    "/rate-budget",
    summary="Graph budget per Meta user and paused ad accounts",
    response=s.RateBudget,
    query=s.TenantQuery,
    tag=TAG_HEALTH,
)
def get_rate_budget(query: s.TenantQuery):
    return health.rate_budget(principal(), query.tenant)


# --- reports --------------------------------------------------------------------------------------------------
TAG_REPORTS = "reports"


@route("GET", "/reports", summary="Report presets and definitions", response=s.ReportList, tag=TAG_REPORTS)
def list_reports():
    return {"items": reports.list_reports(principal())}


@route(
    "POST",
    "/reports",
    summary="Define a report (checked against Meta's rules)",
    status=201,
    body=s.NewReport,
    response=s.ReportOut,
    write=True,
    errors=(404,),
    tag=TAG_REPORTS,
)
def define_report(body: s.NewReport):
    defined = reports.define(principal(), body.model_dump())
    audit_tenant(defined["tenants"][0] if len(defined["tenants"]) == 1 else principal().tenant_id)
    return defined


@route(
    "GET",
    "/reports/<name>/rows",
    summary="Stored breakdown rows of a report",
    response=s.RowList,
    query=s.RowsQuery,
    tag=TAG_REPORTS,
)
def report_rows(name: str, query: s.RowsQuery):
    return reports.report_rows(
        principal(), name, query.connection_id, query.tenant, query.since, query.until, query.limit, query.offset
    )


# --- changes --------------------------------------------------------------------------------------------------
TAG_CHANGES = "changes"


@route(
    "POST",
    "/connections/<connection_id>/changes",
    summary="Create a change set, or dry-run one",
    status=201,
    also=(200,),
    body=s.NewChangeSet,
    response=s.ChangeSetOut,
    write=True,
    errors=(409, 502),
    tag=TAG_CHANGES,
)
def create_changes(connection_id: str, body: s.NewChangeSet):
    """Saved changes wait for `POST /change-sets/{id}/apply`. With `dry_run`, Meta is read and every check runs,
    nothing is saved or sent, and each change shows its exact `before` and `after` (200)."""
    connection = _writable(connection_id)
    items = [
        {
            **item.model_dump(exclude={"values", "expected"}),
            "values": item.values.model_dump(exclude_none=True),
            "expected": item.expected.model_dump(exclude_none=True) if item.expected else {},
        }
        for item in body.changes
    ]
    if body.dry_run:
        return {**changes.dry_run(connection, items, principal().who), "change_set_id": None, "dry_run": True}, 200
    return {**changes.create_change_set(connection, items, principal().who), "dry_run": False}, 201


@route("GET", "/changes", summary="Changes, newest first", response=s.ChangeList, query=s.ChangesQuery, tag=TAG_CHANGES)
def list_changes(query: s.ChangesQuery):
    return changes.list_changes(
        principal(),
        query.connection_id,
        query.change_set_id,
        query.status,
        query.object_id,
        query.tenant,
        query.limit,
        query.offset,
    )


@route("GET", "/changes/<change_id>", summary="One change and its state", response=s.ChangeOut, tag=TAG_CHANGES)
def get_change(change_id: str):
    return changes.change_for(principal(), change_id)
