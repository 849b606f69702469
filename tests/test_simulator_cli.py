"""The simulator's command line options."""

from __future__ import annotations

from metasync.simulator import build_arg_parser, config_from_args


def test_cli_options_build_config():
    args = build_arg_parser().parse_args(
        [
            "--port",
            "9999",
            "--campaigns",
            "9",
            "--ad-sets-per-campaign",
            "3",
            "--ads-per-ad-set",
            "4",
            "--days",
            "14",
            "--latency-ms",
            "5",
            "--error-rate",
            "0.1",
            "--seed",
            "42",
            "--app-secret",
            "x",
            "--webhook-url",
            "http://127.0.0.1:1/h",
        ]
    )
    cfg = config_from_args(args)
    assert args.port == 9999
    assert (cfg.campaigns, cfg.ad_sets_per_campaign, cfg.ads_per_ad_set, cfg.days) == (9, 3, 4, 14)
    assert (cfg.latency_ms, cfg.error_rate, cfg.seed, cfg.app_secret) == (5, 0.1, 42, "x")
    assert cfg.webhook_url == "http://127.0.0.1:1/h"
