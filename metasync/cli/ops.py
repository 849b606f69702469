"""Operations commands: `check` (Meta credentials), `doctor` (the whole system), `status` (latest sync runs).

Exit codes as everywhere: 0 all passed, 1 something failed, 2 usage or configuration error. No secret is printed.
"""

from __future__ import annotations

import json

import click

from metasync.cli.common import selection_options


def _any_status(tenant: str | None, connection_id: str | None) -> list:
    """The connections asked for, whatever their status (`sync` only takes those that may sync)."""
    from metasync.cli.common import CliError
    from metasync.connections.registry import get_connection, select_connections

    if tenant and connection_id:
        raise CliError("use --tenant or --connection, not both")
    if not connection_id:
        return select_connections(tenant=tenant, include_inactive=True)
    connection = get_connection(connection_id)
    if connection is None:
        raise CliError(f"no connection with id {connection_id!r}")
    return [connection]


def _checks_output(checks, as_json: bool) -> None:
    from metasync.cli.common import print_table
    from metasync.ops.doctor import all_passed

    if as_json:
        click.echo(
            json.dumps({"ok": all_passed(checks), "checks": [c.as_dict() for c in checks]}, default=str, sort_keys=True)
        )
        return
    print_table(["check", "result", "reason"], [[c.name, c.status.upper(), c.detail] for c in checks])


@click.command("check")
@selection_options
@click.option("--json", "as_json", is_flag=True, help="One JSON object: ok and the checks.")
@click.pass_context
def check_command(ctx, tenant: str | None, connection_id: str | None, as_json: bool):
    """Check the Meta app credentials and each connection's token (validity, scopes, expiry) with Meta."""
    from metasync.cli.common import EXIT_FAILED, EXIT_OK, CliError, bootstrap
    from metasync.ops.credentials import check_credentials
    from metasync.ops.doctor import all_passed
    from metasync.settings import get_settings

    bootstrap(ctx.obj["verbose"])
    settings = get_settings()
    if not settings.meta_app_id or not settings.meta_app_secret:
        raise CliError("META_APP_ID and META_APP_SECRET must be set to check credentials")
    connections = [c for c in _any_status(tenant, connection_id) if c.status != "DISABLED" or connection_id]
    checks = check_credentials(connections)
    _checks_output(checks, as_json)
    ctx.exit(EXIT_OK if all_passed(checks) else EXIT_FAILED)


@click.command("doctor")
@click.option("--live", "live", default=None, metavar="CONNECTION", help="Also sync this connection for real.")
@click.option(
    "--no-workers-ok",
    is_flag=True,
    help="No Celery workers or beat expected (loop mode or cron): report them as warnings, not failures.",
)
@click.option("--create-indexes", is_flag=True, help="Create missing MongoDB indexes before checking them.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object: ok and the checks.")
@click.pass_context
def doctor_command(ctx, live: str | None, no_workers_ok: bool, create_indexes: bool, as_json: bool):
    """Check the whole system: configuration, MongoDB and indexes, Redis, broker and workers, rate limits,
    connections, the webhook app (signed self-test), and with --live a real sync of one connection."""
    from metasync.cli.common import EXIT_FAILED, EXIT_OK, EXIT_USAGE, bootstrap
    from metasync.ops.doctor import FAIL, Check, all_passed, run_doctor
    from metasync.settings import ConfigError, get_settings

    try:
        settings = get_settings()
    except ConfigError as exc:
        _checks_output([Check("configuration", FAIL, str(exc))], as_json)
        ctx.exit(EXIT_USAGE)
    bootstrap(ctx.obj["verbose"], create_indexes=False)  # the doctor reports on the database as it finds it
    checks = run_doctor(settings, workers_required=not no_workers_ok, live=live, create_indexes=create_indexes)
    _checks_output(checks, as_json)
    ctx.exit(EXIT_OK if all_passed(checks) else EXIT_FAILED)


@click.command("status")
@selection_options
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Runs shown per connection and kind, newest first.",
)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per run, one per line.")
@click.pass_context
def status_command(ctx, tenant: str | None, connection_id: str | None, limit: int, as_json: bool):
    """The latest sync runs of each connection: when, what, how long, counts, Graph calls, errors; then each ad
    account as the last sync read it (status and why, money, currency, timezone)."""
    from metasync.cli.common import bootstrap, print_table
    from metasync.ops.status import account_line, accounts_of, format_counts, format_duration, latest_runs

    bootstrap(ctx.obj["verbose"])
    connections = _any_status(tenant, connection_id)
    rows = latest_runs(connections, limit)
    if as_json:
        for row in rows:
            click.echo(json.dumps(row, default=str, sort_keys=True))
        return
    print_table(
        ["connection", "tenant", "ad account", "kind", "started (UTC)", "took", "result", "counts", "calls", "errors"],
        [
            [
                r["connection_id"],
                r["tenant_id"],
                r["ad_account_id"],
                (r["kind"] or "-").lower(),
                (r.get("started_at") or "never")[:19].replace("T", " "),
                format_duration(r.get("duration_ms")),
                r["status"].lower() + (f" ({r['trigger']})" if r.get("trigger") else ""),
                format_counts(r.get("counts") or {}),
                r.get("api_calls", "-"),
                _errors_cell(r),
            ]
            for r in rows
        ],
        empty="no connections",
    )
    accounts = accounts_of(connections)
    if accounts:
        print_table(
            ["connection", "tenant", "connection status", "ad account"],
            [[str(c.id), c.tenant_id, c.status.lower(), account_line(accounts.get(c.id))] for c in connections],
        )


def _errors_cell(row: dict) -> str:
    count = row.get("error_count") or 0
    if not count:
        return "-"
    first = (row.get("errors") or [""])[0]
    return f"{count}: {first[:60]}" if first else str(count)


@click.command("keygen")
def keygen() -> None:
    """Print a new TOKEN_ENCRYPTION_KEY."""
    from metasync.infra.crypto import generate_key

    click.echo(generate_key())
