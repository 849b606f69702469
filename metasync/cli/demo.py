"""`metasync demo`: see metasync work end to end against the local Graph API simulator (no Meta account)."""

from __future__ import annotations

import click


@click.command("demo")
@click.option(
    "--webhooks",
    is_flag=True,
    help="Also start the webhook app and a Celery worker, change the simulated world and show the "
    "targeted re-sync arriving.",
)
@click.option("--campaigns", default=8, show_default=True, help="Campaigns in the simulated ad account.")
@click.option("--ad-sets-per-campaign", default=2, show_default=True)
@click.option("--ads-per-ad-set", default=2, show_default=True)
@click.option(
    "--days",
    default=7,
    show_default=True,
    type=click.IntRange(2, 30),
    help="Days of performance to sync (ending today in the account's timezone).",
)
@click.option("--seed", default=1, show_default=True, help="Seed of the simulated world.")
@click.option(
    "--wait", "wait_seconds", default=30.0, show_default=True, help="Seconds to wait for the webhook re-sync to land."
)
@click.pass_context
def demo_command(ctx, webhooks, campaigns, ad_sets_per_campaign, ads_per_ad_set, days, seed, wait_seconds):
    """Run metasync against a local Meta API simulator and show what lands in MongoDB.

    Needs MongoDB and Redis (MONGODB_URI, REDIS_URL; `make demo` starts local ones). The demo's connection is
    tenant `demo`, replaced on every run; nothing leaves this machine.
    """
    from metasync.cli.common import EXIT_FAILED, CliError, bootstrap
    from metasync.demo import DemoFailed, DemoOptions, run_demo

    if min(campaigns, ad_sets_per_campaign, ads_per_ad_set) < 1:
        raise CliError("--campaigns, --ad-sets-per-campaign and --ads-per-ad-set must be at least 1")
    bootstrap(ctx.obj["verbose"])
    options = DemoOptions(
        campaigns=campaigns,
        ad_sets_per_campaign=ad_sets_per_campaign,
        ads_per_ad_set=ads_per_ad_set,
        days=days,
        seed=seed,
        webhooks=webhooks,
        wait_seconds=wait_seconds,
    )
    try:
        run_demo(options)
    except DemoFailed as exc:
        raise CliError(str(exc), EXIT_FAILED) from None
    except Exception as exc:  # one line for the user; --verbose shows the traceback
        if ctx.obj["verbose"]:
            raise
        raise CliError(
            f"the demo failed: {exc.__class__.__name__}: {str(exc)[:300]} (run with -v for details)", EXIT_FAILED
        ) from None
