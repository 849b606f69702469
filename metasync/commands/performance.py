"""`metasync performance`: pull daily insights now, for a preset or a date range."""

from __future__ import annotations

from typing import Any

import click

# `metasync.cli` is imported inside the functions: it imports this module while it is being loaded itself.
DEFAULT_PRESET = "yesterday"


def _date_args(preset: str | None, since: str | None, until: str | None) -> dict[str, Any]:
    """The checked preset or range, as keyword arguments; a usage error (exit 2) before anything else runs."""
    from metasync.cli import CliError
    from metasync.performance import InvalidDateRange, parse_date_request

    if preset and (since or until):
        raise CliError("use --preset or --since/--until, not both")
    try:
        if since or until:
            parse_date_request(None, since, until)
            return {"date_preset": None, "since": since, "until": until}
        parse_date_request(preset or DEFAULT_PRESET)
    except InvalidDateRange as exc:
        raise CliError(str(exc)) from None
    return {"date_preset": preset or DEFAULT_PRESET}


def _describe(connection, result: dict[str, Any]) -> str:
    text = (f"{connection.ad_account_id} ({result['since']}..{result['until']}): {result['campaigns']} campaign, "
            f"{result['ad_sets']} ad set, {result['ads']} ad rows in {result['duration_ms']} ms, "
            f"{result['api_calls']} Graph calls")
    if result.get("errors"):
        text += f", {result['errors']} errors (see `sync_runs`)"
    return text


@click.command("performance")
@click.option("--tenant", default=None, help="Only this tenant's connections.")
@click.option("--connection", "connection_id", default=None, help="Only this connection.")
@click.option("--preset", default=None, help=f"A Meta date preset (default {DEFAULT_PRESET}).")
@click.option("--since", default=None, help="First day, YYYY-MM-DD (with --until).")
@click.option("--until", default=None, help="Last day, YYYY-MM-DD, included.")
@click.option("--json", "as_json", is_flag=True, help="One JSON result object per connection, one per line.")
@click.pass_context
def performance_command(ctx, tenant, connection_id, preset, since, until, as_json):
    """Sync daily performance (insights) for campaigns, ad sets and ads now, in this process."""
    from metasync.cli import EXIT_FAILED, EXIT_OK, _bootstrap, _selected, run_connections
    from metasync.performance import sync_all_performance_data

    dates = _date_args(preset, since, until)
    _bootstrap(ctx.obj["verbose"])
    chosen = _selected(tenant, connection_id)

    def job(connection, progress):
        return sync_all_performance_data(connection, **dates, trigger="cli", progress=progress)

    failures = run_connections(chosen, job, as_json, _describe)
    ctx.exit(EXIT_FAILED if failures else EXIT_OK)


def register(main: click.Group) -> None:
    main.add_command(performance_command)
