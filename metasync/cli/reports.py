"""`metasync reports`: define, list, remove, pull and read back insights reports (breakdowns, windows)."""

from __future__ import annotations

import json

import click

from metasync.cli.common import selection_options

DEFAULT_PRESET = "last_7d"


@click.group("reports")
def reports() -> None:
    """Insights reports: breakdowns (age, gender, country, placement...), action breakdowns, attribution windows."""


def _invalid(exc: Exception):
    from metasync.cli.common import CliError

    return CliError(str(exc))


@reports.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per report.")
@click.pass_context
def list_command(ctx, as_json):
    """The built-in presets and the defined reports."""
    from metasync.cli.common import bootstrap, print_table
    from metasync.reports.definitions import all_reports

    bootstrap(ctx.obj["verbose"])
    specs = all_reports()
    if as_json:
        for spec in specs:
            click.echo(json.dumps(spec.describe(), sort_keys=True))
        return
    rows = [
        [
            spec.name,
            "preset" if spec.preset else "defined",
            spec.level,
            ",".join(spec.breakdowns) or "-",
            ",".join(spec.attribution_windows) or "-",
            f"every {spec.schedule_minutes} min" if spec.schedule_minutes else "on demand",
            ",".join(spec.tenants + spec.connections) or "all connections",
        ]
        for spec in specs
    ]
    print_table(["name", "kind", "level", "breakdowns", "windows", "schedule", "applies to"], rows)


@reports.command("add")
@click.argument("name")
@click.option("--level", required=True, help="account, campaign, adset or ad.")
@click.option(
    "--breakdowns", default="", help="Comma-separated, e.g. age,gender or publisher_platform,platform_position."
)
@click.option("--fields", default="", help="Extra insights fields, e.g. outbound_clicks,video_p25_watched_actions.")
@click.option("--action-breakdowns", default="action_type", show_default=True, help="Comma-separated.")
@click.option("--attribution-windows", default="7d_click,1d_view", show_default=True, help="Comma-separated.")
@click.option("--time-increment", type=int, default=1, show_default=True, help="Days per row (1 = daily).")
@click.option(
    "--schedule",
    "schedule_minutes",
    type=int,
    default=1440,
    show_default=True,
    help="Minutes between scheduled pulls; 0 = on demand only.",
)
@click.option(
    "--lookback-days", type=int, default=None, help="Days re-pulled once a day (default PERFORMANCE_LOOKBACK_DAYS)."
)
@click.option("--tenant", "tenants", multiple=True, help="Only this tenant's connections (repeatable).")
@click.option("--connection", "connections_", multiple=True, help="Only this connection (repeatable).")
@click.pass_context
def add_command(
    ctx,
    name,
    level,
    breakdowns,
    fields,
    action_breakdowns,
    attribution_windows,
    time_increment,
    schedule_minutes,
    lookback_days,
    tenants,
    connections_,
):
    """Define a report; one Meta would refuse is refused now, with Meta's rule."""
    from metasync.cli.common import bootstrap
    from metasync.reports.definitions import define_report
    from metasync.reports.spec import InvalidReport, ReportSpec, names

    bootstrap(ctx.obj["verbose"])
    spec = ReportSpec(
        name=name.strip(),
        level=level.strip().lower(),
        breakdowns=names(breakdowns),
        fields=names(fields),
        action_breakdowns=names(action_breakdowns),
        attribution_windows=names(attribution_windows),
        time_increment=time_increment,
        tenants=names(tenants),
        connections=names(connections_),
        schedule_minutes=schedule_minutes,
        lookback_days=lookback_days,
    )
    try:
        define_report(spec)
    except InvalidReport as exc:
        raise _invalid(exc) from None
    click.echo(f"report {spec.name} defined: {spec.level} level, breakdowns {','.join(spec.breakdowns) or 'none'}")


@reports.command("remove")
@click.argument("name")
@click.pass_context
def remove_command(ctx, name):
    """Remove a defined report (its stored rows stay)."""
    from metasync.cli.common import EXIT_FAILED, CliError, bootstrap
    from metasync.reports.definitions import remove_report
    from metasync.reports.spec import InvalidReport

    bootstrap(ctx.obj["verbose"])
    try:
        removed = remove_report(name)
    except InvalidReport as exc:
        raise _invalid(exc) from None
    if not removed:
        raise CliError(f"no report named {name!r}", EXIT_FAILED)
    click.echo(f"report {name} removed")


def _describe(connection, result) -> str:
    from metasync.cli.common import insights_summary

    return insights_summary(connection, result, f"report {result['report']}, {result['rows']} rows")


@reports.command("run")
@click.argument("name")
@selection_options
@click.option("--preset", default=None, help=f"A Meta date preset (default {DEFAULT_PRESET}).")
@click.option("--since", default=None, help="First day, YYYY-MM-DD (with --until).")
@click.option("--until", default=None, help="Last day, YYYY-MM-DD, included.")
@click.option("--json", "as_json", is_flag=True, help="One JSON result object per connection, one per line.")
@click.pass_context
def run_command(ctx, name, tenant, connection_id, preset, since, until, as_json):
    """Pull a report now for the selected connections (default: every connection it applies to)."""
    from metasync.cli.common import (
        EXIT_FAILED,
        EXIT_OK,
        CliError,
        bootstrap,
        date_args,
        run_connections,
        selected_connections,
    )
    from metasync.reports.definitions import find_report
    from metasync.reports.run import pull_report
    from metasync.reports.spec import InvalidReport

    dates = date_args(preset, since, until, DEFAULT_PRESET)
    bootstrap(ctx.obj["verbose"])
    try:
        spec = find_report(name)
    except InvalidReport as exc:
        raise _invalid(exc) from None
    chosen = [c for c in selected_connections(tenant, connection_id) if connection_id or spec.applies_to(c)]
    if not chosen:
        raise CliError(f"report {name} applies to none of the selected connections", EXIT_FAILED)

    def job(connection, progress):
        return pull_report(connection, spec, **dates, trigger="cli", progress=progress)

    failures = run_connections(chosen, job, as_json, _describe, lock_kind="reports")
    ctx.exit(EXIT_FAILED if failures else EXIT_OK)


@reports.command("show")
@click.argument("name")
@click.option("--tenant", required=True, help="The tenant whose rows to read.")
@click.option("--since", default=None, help="First day, YYYY-MM-DD.")
@click.option("--until", default=None, help="Last day, YYYY-MM-DD, included.")
@click.option("--windows", default="7d_click,1d_view", show_default=True, help="Attribution windows to compare.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per breakdown value.")
@click.pass_context
def show_command(ctx, name, tenant, since, until, windows, as_json):
    """Read a pulled report back from MongoDB: spend, purchases, revenue and ROAS per breakdown value."""
    from metasync.cli.common import bootstrap, print_table
    from metasync.reports.spec import names
    from metasync.reports.tables import summarize

    bootstrap(ctx.obj["verbose"])
    headers, rows = summarize(name, tenant, since, until, names(windows))
    if as_json:
        for row in rows:
            click.echo(json.dumps(dict(zip(headers, row, strict=True)), sort_keys=True))
        return
    print_table(headers, rows, empty=f"no stored rows of report {name} for tenant {tenant}")
