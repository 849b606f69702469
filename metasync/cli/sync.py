"""`metasync sync`: campaigns, ad sets and ads now, in this process (or every interval with --loop)."""

from __future__ import annotations

from typing import Any

import click

from metasync.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    bootstrap,
    run_connections,
    selected_connections,
    selection_options,
)
from metasync.ops.loop import loop_connections, loop_interval_seconds, loop_options
from metasync.settings import get_settings


def _describe_sync(connection, result: dict[str, Any]) -> str:
    text = (
        f"{connection.ad_account_id} ({result['mode']}): {result['campaigns_synced']} campaigns, "
        f"{result['ad_sets_synced']} ad sets, {result['ads_synced']} ads in {result['duration_ms']} ms, "
        f"{result['api_calls']} Graph calls"
    )
    if result.get("errors"):
        text += f", {result['errors']} objects skipped"
    if result.get("performance"):
        perf = result["performance"]
        text += f"; performance rows: {perf.get('campaigns', 0)}/{perf.get('ad_sets', 0)}/{perf.get('ads', 0)}"
    return text


@click.command("sync")
@selection_options
@click.option("--full", is_flag=True, help="Read everything instead of what changed since the last sync.")
@click.option("--performance", is_flag=True, help="Also sync performance data after the entities.")
@click.option("--json", "as_json", is_flag=True, help="One JSON result object per connection, one per line.")
@loop_options("META_SYNC_INTERVAL_MINUTES")
@click.pass_context
def sync_command(ctx, tenant, connection_id, full, performance, as_json, loop, interval, iterations):
    """Sync campaigns, ad sets and ads now, in this process (with --loop: every --interval minutes)."""
    from metasync.ops.connection_sync import sync_connection_data

    bootstrap(ctx.obj["verbose"])
    interval_seconds = loop_interval_seconds(loop, interval, iterations, get_settings().meta_sync_interval_minutes)

    def job(connection, progress):
        return sync_connection_data(
            connection, performance=performance, full=full, trigger="loop" if loop else "cli", progress=progress
        )

    if loop:
        loop_connections(
            lambda: selected_connections(tenant, connection_id),
            lambda chosen: run_connections(chosen, job, as_json, _describe_sync),
            interval_seconds,
            iterations,
        )
        ctx.exit(EXIT_OK)
    chosen = selected_connections(tenant, connection_id)
    failures = run_connections(chosen, job, as_json, _describe_sync)
    ctx.exit(EXIT_FAILED if failures else EXIT_OK)
