"""The `metasync` command group: every command, each defined in its own module of this package."""

from __future__ import annotations

import click

from metasync.cli import apikeys, changes, connections, demo, ops, performance, reports, simulator, sync


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", is_flag=True, help="Log progress at INFO level to stderr.")
@click.pass_context
def main(ctx: click.Context, verbose: bool) -> None:
    """Keep MongoDB in sync with Meta Ads."""
    ctx.obj = {"verbose": verbose}


for command in (
    connections.connections,
    sync.sync_command,
    performance.performance_command,
    reports.reports,
    ops.check_command,
    ops.doctor_command,
    ops.status_command,
    ops.keygen,
    demo.demo_command,
    simulator.build_command(),
    changes.change_command,
    changes.apply_command,
    changes.changes_group,
    apikeys.apikeys,
):
    main.add_command(command)
