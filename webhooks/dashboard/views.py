"""Dashboard pages (thin: the read models live in `metasync.control`) and the buttons that start or discard work.

A tenant key sees only its own tenant: any other tenant's page, connection or change set answers 404, as if it did
not exist. Buttons need a write key; every run they start goes through `metasync.control.triggers.enqueue_run`
with trigger "dashboard" and the key's id as `requested_by`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bson import ObjectId
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_wtf.csrf import CSRFError, generate_csrf

from metasync.changes.discard import discard_change_set
from metasync.control.activity import process_wide, tenant_activity
from metasync.control.attention import changes_needing_attention, paused_accounts, status_counts
from metasync.control.freshness import freshness, human_duration, tenant_connections
from metasync.control.overview import tenants_overview
from metasync.control.spend import spend_per_day
from metasync.control.triggers import TriggerRefused, enqueue_run
from metasync.infra import db
from metasync.ops.status import format_duration
from metasync.settings import get_settings
from metasync.store.changes import ChangeSet
from metasync.store.documents import MetaConnection
from webhooks.dashboard import auth
from webhooks.dashboard.charts import bars, strip
from webhooks.publisher import BrokerUnavailable
from webhooks.views import EXTENSION

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard", template_folder="templates", static_folder="static")

SECRET_MISSING = "The dashboard is off: set WEB_SESSION_SECRET (16+ characters, the same in every web worker)."


@bp.before_request
def _guard():
    if not current_app.config.get("SECRET_KEY"):
        return render_template("dashboard/message.html", message=SECRET_MISSING), 503
    db.connect()
    if request.method == "POST":
        auth.check_csrf(request.form.get("csrf_token"))
    if request.endpoint not in ("dashboard.login", "dashboard.static") and auth.current_principal() is None:
        return redirect(url_for("dashboard.login", next=request.path))
    return None


@bp.after_request
def _headers(response):
    response.headers.setdefault("Cache-Control", "no-store")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault(
        "Content-Security-Policy", "default-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'"
    )
    return response


@bp.errorhandler(CSRFError)
def _csrf_refused(exc: CSRFError):
    return render_template("dashboard/message.html", message=f"Form refused: {exc.description} Reload the page."), 400


@bp.app_context_processor
def _helpers() -> dict[str, Any]:
    return {"csrf_token": generate_csrf, "when": _when, "duration": format_duration, "ago": human_duration}


def _when(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if value else "-"


def _hour_label(start: int) -> str:
    return datetime.fromtimestamp(start, UTC).strftime("%d %H:00 UTC")


# --- login -----------------------------------------------------------------------------------------------------
@bp.route("/login", methods=["GET", "POST"])
def login():
    error = None
    if request.method == "POST":
        if auth.log_in(request.form.get("api_key", "")) is not None:
            target = request.args.get("next", "")
            # Only paths of this dashboard: never an open redirect.
            return redirect(target if target.startswith("/dashboard") and "//" not in target else url_for(".index"))
        error = "That key is not valid (unknown, revoked or mistyped)."
    return render_template("dashboard/login.html", error=error), (401 if error else 200)


@bp.post("/logout")
def logout():
    auth.log_out()
    return redirect(url_for(".login"))


# --- pages -----------------------------------------------------------------------------------------------------
@bp.get("/")
def index():
    principal = auth.current_principal()
    if not principal.is_admin:
        return redirect(url_for(".tenant", tenant_id=principal.tenant_id))
    wide = process_wide()
    hours = [start for start, _ in wide["graph_calls"]]
    return render_template(
        "dashboard/index.html",
        principal=principal,
        tenants=tenants_overview(),
        graph_chart=bars([v for _, v in wide["graph_calls"]], [_hour_label(h) for h in hours], label="Graph calls"),
        graph_total=sum(v for _, v in wide["graph_calls"]),
        webhook_chart=bars(
            [v for _, v in wide["webhook_deliveries"]], [_hour_label(h) for h in hours], label="webhook deliveries"
        ),
        webhook_total=sum(v for _, v in wide["webhook_deliveries"]),
        paused=paused_accounts(list(MetaConnection.objects.only("ad_account_id"))),
    )


@bp.get("/pick")
def pick():
    return redirect(url_for(".tenant", tenant_id=request.args.get("tenant", "").strip() or "-"))


@bp.get("/t/<tenant_id>")
def tenant(tenant_id: str):
    principal = _seeing(tenant_id)
    connections = tenant_connections(tenant_id)
    activity = tenant_activity(tenant_id)
    users = {c.meta_user_id or str(c.id) for c in connections}
    budget = get_settings().meta_rate_limit_per_hour * max(len(users), 1)
    hours = [_hour_label(start) for start, _ in activity.calls_per_hour]
    spend = spend_per_day(tenant_id)
    change_sets = changes_needing_attention(tenant_id)
    return render_template(
        "dashboard/tenant.html",
        principal=principal,
        tenant_id=tenant_id,
        rows=freshness(connections),
        strips={
            cid: strip(
                [r.status for r in reversed(runs)],
                [f"{_when(r.started_at)} {r.kind} {r.status} ({r.trigger or '-'})" for r in reversed(runs)],
            )
            for cid, runs in activity.runs_by_connection.items()
        },
        activity=activity,
        calls_chart=bars([v for _, v in activity.calls_per_hour], hours, limit=budget, label="Graph calls per hour"),
        calls_last_hour=activity.calls_per_hour[-1][1] if activity.calls_per_hour else 0,
        budget=budget,
        webhook_chart=bars([v for _, v in activity.webhook_syncs_per_hour], hours, label="webhook syncs per hour"),
        webhook_total=sum(v for _, v in activity.webhook_syncs_per_hour),
        spend={
            currency: {
                "days": days,
                "chart": bars([float(d.spend_amount) for d in days], [d.date for d in days], label=f"spend {currency}"),
            }
            for currency, days in spend.items()
        },
        change_sets=change_sets,
        change_counts=status_counts(change_sets),
        paused=paused_accounts(connections),
    )


# --- buttons ---------------------------------------------------------------------------------------------------
@bp.post("/t/<tenant_id>/connections/<connection_id>/resync")
def resync(tenant_id: str, connection_id: str):
    principal = _writing(tenant_id)
    connection = _connection_of(tenant_id, connection_id)
    _start(principal, connection, "entities", "re-sync")
    return redirect(url_for(".tenant", tenant_id=tenant_id), code=303)


@bp.post("/t/<tenant_id>/change-sets/<change_set_id>/apply")
def apply_changes(tenant_id: str, change_set_id: str):
    principal = _writing(tenant_id)
    change_set = ChangeSet.objects(id=change_set_id).first()
    if change_set is None or change_set.tenant_id != tenant_id:
        abort(404)
    connection = _connection_of(tenant_id, str(change_set.connection))
    _start(principal, connection, "changes", f"apply {change_set_id}", change_set_id=change_set_id)
    return redirect(url_for(".tenant", tenant_id=tenant_id), code=303)


@bp.post("/t/<tenant_id>/change-sets/<change_set_id>/discard")
def discard_changes(tenant_id: str, change_set_id: str):
    principal = _writing(tenant_id)
    discarded = discard_change_set(change_set_id, tenant_id, principal.who)
    flash(f"Discarded {discarded} change(s) of {change_set_id}.", "ok" if discarded else "error")
    return redirect(url_for(".tenant", tenant_id=tenant_id), code=303)


def _start(principal, connection: MetaConnection, kind: str, what: str, **options) -> None:
    publisher = current_app.extensions[EXTENSION].publisher
    try:
        queued = enqueue_run(
            connection, kind, requested_by=principal.who, trigger="dashboard", send=publisher.send, **options
        )
    except TriggerRefused as exc:
        flash(f"Not started: {exc}", "error")
    except BrokerUnavailable:
        flash("Not started: the task queue cannot be reached right now; try again shortly.", "error")
    else:
        flash(f"Queued {what} of {connection.ad_account_id} (run {queued.run_id}).", "ok")


def _seeing(tenant_id: str):
    principal = auth.current_principal()
    if not principal.sees(tenant_id):
        abort(404)
    return principal


def _writing(tenant_id: str):
    principal = _seeing(tenant_id)
    if not principal.can_write:
        abort(403, "this key may only read")
    return principal


def _connection_of(tenant_id: str, connection_id: str) -> MetaConnection:
    connection = MetaConnection.objects(id=connection_id).first() if ObjectId.is_valid(connection_id) else None
    if connection is None or connection.tenant_id != tenant_id:
        abort(404)
    return connection
