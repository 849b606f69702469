"""The command line of ``python -m metasync.simulator``; `metasync simulator` builds its click options from
the same parser (`build_arg_parser`, `config_from_args`, `CLI_OPTIONS`)."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from .config import SimConfig
from .server import serve

# (flag, SimConfig field, type, help) - shared with any other front end
CLI_OPTIONS: tuple[tuple[str, str, type, str], ...] = (
    ("--campaigns", "campaigns", int, "campaigns per ad account"),
    ("--ad-sets-per-campaign", "ad_sets_per_campaign", int, "ad sets per campaign"),
    ("--ads-per-ad-set", "ads_per_ad_set", int, "ads per ad set"),
    ("--days", "days", int, "days of insights history (ending today in the account timezone)"),
    ("--seed", "seed", int, "seed for the deterministic world"),
    ("--accounts", "accounts", int, "number of ad accounts (same shape, different ids)"),
    ("--account-id", "account_id", str, "id of the first ad account (act_...)"),
    ("--latency-ms", "latency_ms", int, "sleep this long before answering each request"),
    ("--error-rate", "error_rate", float, "share of calls failing with a transient code 1/2 error (0..1)"),
    ("--app-id", "app_id", str, "app id (client_id for token calls)"),
    ("--app-secret", "app_secret", str, "app secret: enables appsecret_proof checks and signs webhooks"),
    ("--webhook-url", "webhook_url", str, "where POST /__sim/webhook delivers signed webhooks"),
    ("--timezone", "timezone", str, "ad account timezone"),
    ("--currency", "currency", str, "ad account currency"),
    ("--today", "today", str, "pin 'today' (YYYY-MM-DD) for reproducible date presets"),
    (
        "--max-sync-insights-rows",
        "max_sync_insights_rows",
        int,
        "estimated rows above which synchronous insights fail with 100/1487534",
    ),
    ("--report-polls", "report_polls", int, "polls until an async report run completes"),
    ("--min-version", "min_version", str, "oldest accepted API version (older: error 2635)"),
)


def build_arg_parser() -> argparse.ArgumentParser:
    defaults = SimConfig()
    parser = argparse.ArgumentParser(
        prog="python -m metasync.simulator", description="Local Meta Graph / Marketing API simulator."
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--quiet", action="store_true", help="no startup banner")
    for flag, name, typ, help_text in CLI_OPTIONS:
        default = getattr(defaults, name)
        parser.add_argument(flag, dest=name, type=typ, default=default, help=f"{help_text} (default: {default})")
    parser.add_argument(
        "--expired-token",
        dest="expired_tokens",
        action="append",
        default=[],
        help="treat this access token as expired (repeatable)",
    )
    parser.add_argument(
        "--enforce-usage-limits", action="store_true", help="fail calls with throttling errors once usage reaches 100%%"
    )
    return parser


def config_from_args(args: argparse.Namespace) -> SimConfig:
    values = {name: getattr(args, name) for _, name, _, _ in CLI_OPTIONS}
    values["expired_tokens"] = tuple(args.expired_tokens or ())
    values["enforce_usage_limits"] = bool(getattr(args, "enforce_usage_limits", False))
    return SimConfig(**values)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_arg_parser().parse_args(argv)
    serve(config_from_args(args), host=args.host, port=args.port, quiet=args.quiet)
    return 0
