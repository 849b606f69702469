"""`metasync change`, `metasync apply` and `metasync changes list`: changing objects in Meta, one object from the
command line or many from a CSV or JSON file, with a dry run, and the audit trail of every change."""

from __future__ import annotations

import csv
import getpass
import io
import json
from pathlib import Path
from typing import Any

import click

from metasync.cli.common import EXIT_FAILED, EXIT_OK, CliError, bootstrap, named_connection, selection_options

VALUE_OPTIONS = ("status", "name", "daily_budget", "lifetime_budget", "end_time", "bid_amount")
FILE_KEYS = {"level", "id", "connection", "tenant", "force", "confirm_delete", "expected", *VALUE_OPTIONS} | {
    f"expected_{name}" for name in VALUE_OPTIONS
}
NOT_DONE = ("REJECTED", "CONFLICT", "FAILED")


# --- which connection --------------------------------------------------------------------------------------------
def _connection_for(level: str, object_id: str, tenant: str | None, connection_id: str | None):
    """The connection a change goes through: the one named, else the one whose stored object it is."""
    from metasync.connections.registry import get_connection, select_connections
    from metasync.entities.spec import SPECS_BY_LEVEL
    from metasync.store.documents import entity_key

    if connection_id:
        return named_connection(tenant, connection_id)
    collection = SPECS_BY_LEVEL[level].collection
    if tenant:
        doc = collection.find_one({"_id": entity_key(tenant, object_id)}, {"connection": 1})
        owners = {doc["connection"]} if doc else {c.id for c in select_connections(tenant=tenant)}
    else:
        owners = {doc["connection"] for doc in collection.find({"meta_id": object_id}, {"connection": 1})}
    if len(owners) != 1:
        where = f" of tenant {tenant!r}" if tenant else ""
        found = "no connection" if not owners else "several connections"
        raise CliError(f"{found}{where} hold(s) {object_id}; name one with --connection (or --tenant)")
    return get_connection(str(owners.pop()))


# --- output ------------------------------------------------------------------------------------------------------
def _line(change, currency: str | None, dry_run: bool = False) -> str:
    from metasync.changes.fields import display, level_name, rule_for

    rule = rule_for(change.field, change.level)
    requested = change.requested if change.requested is not None else change.requested_input
    after = change.after if change.status == "APPLIED" and change.after is not None else requested
    text = (
        f"{level_name(change.level)} {change.object_id} {change.field}: "
        f"{display(rule, change.before, currency)} -> {display(rule, after, currency)}"
    )
    verdict = change.status
    if dry_run:
        verdict = {"VALIDATED": "would apply", "APPLIED": "already so, nothing to send"}.get(change.status, verdict)
    text += f"  [{verdict}]"
    if change.reason and not (dry_run and change.status == "APPLIED"):
        text += f" {change.reason}"
    return text


def _requested_by(by: str | None) -> str:
    if by:
        return by
    try:
        return getpass.getuser()
    except Exception:  # no user name in this environment
        return "cli"


# --- running -------------------------------------------------------------------------------------------------------
def _run(groups: list[tuple[Any, list]], dry_run: bool, requested_by: str) -> int:
    """Preview or apply each connection's changes; prints one line per change; returns the exit code."""
    from metasync.changes.apply import preview_changes
    from metasync.graph.errors import GraphError
    from metasync.infra.locks import LockBusy
    from metasync.ops.changes import apply_now
    from metasync.runs.guard import ConnectionInactive
    from metasync.runs.lifecycle import SyncFailed

    not_done = 0
    for connection, changes in groups:
        try:
            if dry_run:
                changes, account = preview_changes(connection, changes)
                currency = account.currency
            else:
                change_set, changes = apply_now(connection, changes, "cli", requested_by, "cli")
                currency = connection.currency
                click.echo(f"change set {change_set.id} ({connection.ad_account_id})")
        except ConnectionInactive as exc:
            raise CliError(
                f"{connection.ad_account_id}: {exc} ({exc.reason or 're-authenticate'})", EXIT_FAILED
            ) from None
        except LockBusy:
            raise CliError(
                f"{connection.ad_account_id}: other changes are being applied; try again", EXIT_FAILED
            ) from None
        except SyncFailed as exc:
            raise CliError(f"{connection.ad_account_id}: {exc.message}", EXIT_FAILED) from None
        except GraphError as exc:  # the dry run's reads (an apply defers its changes instead)
            raise CliError(f"{connection.ad_account_id}: Meta could not be read: {exc}", EXIT_FAILED) from None
        for change in changes:
            click.echo(_line(change, currency, dry_run))
            not_done += change.status in NOT_DONE
    if dry_run:
        click.echo("dry run: nothing was sent")
    return EXIT_FAILED if not_done else EXIT_OK


def _build(requests: list, tenant: str | None, connection_id: str | None, requested_by: str) -> list[tuple[Any, list]]:
    """(connection, unsaved changes) per connection; a bad request stops everything before anything is written."""
    from metasync.changes.fields import InvalidValue
    from metasync.changes.submit import build_changes

    by_connection: dict[str, tuple[Any, list]] = {}
    try:
        checked = [request.checked() for request in requests]
    except InvalidValue as exc:
        raise CliError(str(exc)) from None
    for request, row in zip(checked, requests, strict=True):
        connection = _connection_for(
            request.level, request.object_id, row.tenant or tenant, row.connection or connection_id
        )
        by_connection.setdefault(str(connection.id), (connection, []))[1].append(request)
    groups = []
    for connection, group in by_connection.values():
        try:
            groups.append((connection, build_changes(connection, group, "cli", requested_by)))
        except InvalidValue as exc:
            raise CliError(str(exc)) from None
    return groups


class _Row:
    """An object request with the connection or tenant a file row names."""

    def __init__(self, request, tenant: str | None = None, connection: str | None = None):
        self.request = request
        self.tenant = tenant
        self.connection = connection

    def checked(self):
        return self.request.checked()


# --- metasync change ---------------------------------------------------------------------------------------------
@click.command("change")
@click.argument("level")
@click.argument("object_id")
@click.option("--status", default=None, help="ACTIVE, PAUSED, ARCHIVED or DELETED (with --confirm-delete).")
@click.option("--name", default=None, help="A new name.")
@click.option("--daily-budget", default=None, help="A decimal amount in the account currency, e.g. 50.00.")
@click.option("--lifetime-budget", default=None, help="A decimal amount in the account currency (needs an end time).")
@click.option("--end-time", default=None, help="ISO time with a UTC offset, e.g. 2026-12-31T23:59:00+00:00.")
@click.option("--bid-amount", default=None, help="Ad sets: a decimal amount in the account currency.")
@click.option("--expect", "expect", multiple=True, help="FIELD=VALUE Meta must hold now (default: the stored value).")
@click.option("--dry-run", is_flag=True, help="Print before -> after per field; send and store nothing.")
@click.option("--force", is_flag=True, help="Apply even when Meta no longer holds the expected value.")
@click.option("--confirm-delete", is_flag=True, help="Needed with --status DELETED.")
@click.option("--by", default=None, help="Who asks (recorded on each change; default: the OS user).")
@selection_options
@click.pass_context
def change_command(
    ctx, level, object_id, status, name, daily_budget, lifetime_budget, end_time, bid_amount, expect, dry_run,
    force, confirm_delete, by, tenant, connection_id,
):  # fmt: skip
    """Change one campaign, ad set or ad in Meta: LEVEL is campaign, adset or ad."""
    from metasync.changes.submit import ObjectRequest

    bootstrap(ctx.obj["verbose"])
    values = {
        key: value
        for key, value in zip(
            VALUE_OPTIONS, (status, name, daily_budget, lifetime_budget, end_time, bid_amount), strict=True
        )
        if value is not None
    }
    expected = {}
    for item in expect:
        key, sep, value = item.partition("=")
        if not sep:
            raise CliError(f"--expect takes FIELD=VALUE, got {item!r}")
        expected[key.strip().replace("-", "_")] = value
    request = ObjectRequest(level, object_id, values, expected, force, confirm_delete)
    requested_by = _requested_by(by)
    groups = _build([_Row(request)], tenant, connection_id, requested_by)
    ctx.exit(_run(groups, dry_run, requested_by))


# --- metasync apply ----------------------------------------------------------------------------------------------
def _truthy(value: Any) -> bool:
    return str(value).strip().lower() in ("1", "true", "yes", "y") if not isinstance(value, bool) else value


def _request_from_record(record: dict[str, Any], where: str):
    from metasync.changes.submit import ObjectRequest

    unknown = set(record) - FILE_KEYS
    if unknown:
        raise CliError(
            f"{where}: unknown column(s) {', '.join(sorted(unknown))}; known: {', '.join(sorted(FILE_KEYS))}"
        )
    present = {k: v for k, v in record.items() if v not in (None, "")}
    values = {k: present[k] for k in VALUE_OPTIONS if k in present}
    expected = dict(present.get("expected") or {}) if isinstance(present.get("expected"), dict) else {}
    expected.update({k[len("expected_") :]: v for k, v in present.items() if k.startswith("expected_")})
    request = ObjectRequest(
        str(present.get("level", "")),
        str(present.get("id", "")),
        values,
        expected,
        _truthy(present.get("force", False)),
        _truthy(present.get("confirm_delete", False)),
        where,
    )
    return _Row(request, present.get("tenant"), present.get("connection"))


def read_change_file(path: Path) -> list[_Row]:
    """Rows of a CSV file (a header line; one object per row, empty cells unchanged) or a JSON file (a list of
    objects, or {"changes": [...]})."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise CliError(f"cannot read {path}: {exc.__class__.__name__}") from None
    if path.suffix.lower() == ".json" or text.lstrip().startswith(("[", "{")):
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise CliError(f"{path} is not valid JSON: {exc}") from None
        records = data.get("changes") if isinstance(data, dict) else data
        if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
            raise CliError(f'{path}: expected a list of objects, or {{"changes": [...]}}')
        rows = [_request_from_record(r, f"{path.name} item {n}") for n, r in enumerate(records, 1)]
    else:
        reader = csv.DictReader(io.StringIO(text))
        if not reader.fieldnames or "level" not in reader.fieldnames or "id" not in reader.fieldnames:
            raise CliError(f"{path}: a CSV file needs a header line with at least level,id and one field to change")
        rows = []
        for n, record in enumerate(reader, 2):
            if None in record:
                raise CliError(f"{path.name} line {n}: more cells than columns")
            rows.append(_request_from_record(record, f"{path.name} line {n}"))
    if not rows:
        raise CliError(f"{path}: no changes in it")
    return rows


@click.command("apply")
@click.argument("path", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--yes", is_flag=True, help="Apply the plan (without it, the plan is only shown).")
@click.option("--by", default=None, help="Who asks (recorded on each change; default: the OS user).")
@selection_options
@click.pass_context
def apply_command(ctx, path, yes, by, tenant, connection_id):
    """Apply many changes from a CSV or JSON file: shows the plan, applies it with --yes."""
    bootstrap(ctx.obj["verbose"])
    requested_by = _requested_by(by)
    groups = _build(read_change_file(path), tenant, connection_id, requested_by)
    code = _run(groups, not yes, requested_by)
    if not yes:
        click.echo("run again with --yes to apply this plan")
    ctx.exit(code)


# --- metasync changes list ---------------------------------------------------------------------------------------
@click.group("changes")
def changes_group() -> None:
    """The audit trail of changes made through metasync."""


@changes_group.command("list")
@selection_options
@click.option("--status", "status", default=None, help="Only changes with this status (e.g. DEFERRED).")
@click.option("--change-set", "change_set_id", default=None, help="Only the changes of this change set.")
@click.option("--object", "object_id", default=None, help="Only the changes of this object id.")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 10_000))
@click.option("--json", "as_json", is_flag=True, help="One JSON object per change, one per line.")
@click.pass_context
def list_changes(ctx, tenant, connection_id, status, change_set_id, object_id, limit, as_json):
    """The latest changes, newest first: object, field, before -> after, status and why."""
    from bson import ObjectId

    from metasync.changes.fields import InvalidValue, display, rule_for
    from metasync.store.changes import CHANGE_STATUSES, Change

    bootstrap(ctx.obj["verbose"])
    query: dict[str, Any] = {}
    if tenant:
        query["tenant_id"] = tenant
    if connection_id:
        if not ObjectId.is_valid(connection_id):
            raise CliError(f"not a connection id: {connection_id!r}")
        query["connection"] = ObjectId(connection_id)
    if status:
        if status.upper() not in CHANGE_STATUSES:
            raise CliError(f"status must be one of {', '.join(CHANGE_STATUSES)}")
        query["status"] = status.upper()
    if change_set_id:
        query["change_set_id"] = change_set_id
    if object_id:
        query["object_id"] = object_id
    changes = list(Change.objects(__raw__=query).order_by("-created_at").limit(limit))
    if as_json:
        for change in changes:
            doc = change.to_mongo().to_dict()
            doc["id"] = str(doc.pop("_id"))
            click.echo(json.dumps(doc, default=str, sort_keys=True))
        ctx.exit(EXIT_OK)
    if not changes:
        click.echo("no changes")
    for c in changes:  # one line each, newest first: readable in a terminal and easy to grep
        try:
            rule = rule_for(c.field, c.level)
            before, requested, after = (display(rule, v, c.currency) for v in (c.before, c.requested, c.after))
        except InvalidValue:  # an optimiser's document rejected for its field or level
            before, requested, after = (str(v) for v in (c.before, c.requested_input, c.after))
        shown = after if c.status == "APPLIED" else requested
        when = f"{c.created_at:%Y-%m-%d %H:%M:%S}" if c.created_at else "-"
        line = (
            f"{when}  {c.change_set_id or '-'}  {c.level} {c.object_id} {c.field}: {before} -> {shown}  "
            f"{c.status}  {c.source}:{c.requested_by or '-'}"
        )
        click.echo(line + (f"  {c.reason}" if c.reason else ""))
