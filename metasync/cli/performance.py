"""`metasync performance`: pull daily insights now, for a preset or a date range."""

from __future__ import annotations

from typing import Any

import click

from metasync.cli.common import selection_options
from metasync.ops.loop import loop_connections, loop_interval_seconds, loop_options

DEFAULT_PRESET = "yesterday"


def _date_args(preset: str | None, since: str | None, until: str | None) -> dict[str, Any]:
    from metasync.cli.common import date_args

    return date_args(preset, since, until, DEFAULT_PRESET)


def _describe(connection, result: dict[str, Any]) -> str:
    from metasync.cli.common import insights_summary

    rows = f"{result['campaigns']} campaign, {result['ad_sets']} ad set, {result['ads']} ad rows"
    return insights_summary(connection, result, rows)


@click.command("performance")
@selection_options
@click.option(
    "--preset", default=None, help=f"A Meta date preset (default {DEFAULT_PRESET}; with --loop: the lookback policy)."
)
@click.option("--since", default=None, help="First day, YYYY-MM-DD (with --until).")
@click.option("--until", default=None, help="Last day, YYYY-MM-DD, included.")
@click.option("--json", "as_json", is_flag=True, help="One JSON result object per connection, one per line.")
@loop_options("PERFORMANCE_SYNC_INTERVAL_MINUTES")
@click.pass_context
def performance_command(ctx, tenant, connection_id, preset, since, until, as_json, loop, interval, iterations):
    """Sync daily performance (insights) for campaigns, ad sets and ads now, in this process.

    With --loop and no dates, every round applies the scheduled lookback policy (recent days each round, the whole
    attribution window once a day), as the Celery schedule does.
    """
    from metasync.cli.common import EXIT_FAILED, EXIT_OK, bootstrap, run_connections, selected_connections
    from metasync.performance import sync_all_performance_data, sync_scheduled_performance
    from metasync.settings import get_settings

    scheduled = loop and not (preset or since or until)
    dates = None if scheduled else _date_args(preset, since, until)
    bootstrap(ctx.obj["verbose"])
    interval_seconds = loop_interval_seconds(
        loop, interval, iterations, get_settings().performance_sync_interval_minutes
    )
    trigger = "loop" if loop else "cli"

    def job(connection, progress):
        if scheduled:
            return sync_scheduled_performance(connection, trigger=trigger)
        return sync_all_performance_data(connection, **dates, trigger=trigger, progress=progress)

    def run(chosen) -> int:
        return run_connections(chosen, job, as_json, _describe, lock_kind="performance")

    if loop:
        loop_connections(lambda: selected_connections(tenant, connection_id), run, interval_seconds, iterations)
        ctx.exit(EXIT_OK)
    ctx.exit(EXIT_FAILED if run(selected_connections(tenant, connection_id)) else EXIT_OK)
