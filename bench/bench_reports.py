"""Breakdown reports benchmark: every built-in preset (age_gender, country, region, placement, device_platform,
hourly) over 30 days through `metasync reports run`'s code path, against one insights query per ad.

    python bench/bench_reports.py            # a 200-ad slice (1 %) of the 20,000-ad bench account, 30 days
    python bench/bench_reports.py --quick    # tiny sizes (smoke test)

A breakdown multiplies the account's 600,000 ad-days by up to ~60 values (placement): the whole 20,000-ad
account is tens of millions of rows, hours of writes on this machine's FerretDB. So the script runs a slice of the
account with the same shape per campaign (--campaigns, default 5 of 500: 200 ads) and prints the figures scaled
to the full account next to the measured ones (calls and rows grow linearly with ads). The per-object approach is
run for real on --sample-ads ads and scaled the same way. Results: bench/results/bench_reports.{jsonl,md}.
"""

from __future__ import annotations

import math
import os
import time

from benchlib import (
    NAIVE_TENANT,
    TENANT,
    BenchEnv,
    Results,
    SimulatorProcess,
    add_account_options,
    base_parser,
    bench_connection,
    main_guard,
    ratio,
    run_in_child,
)

FULL_ACCOUNT_ADS = 20_000
NAIVE_PAGE_SIZE = 25
INSIGHTS_PAGE = 500  # metasync's insights page size (metasync/performance/fetch.py)
# Per report run: account details once per pull, then POST, one poll (the simulator completes at once), and pages.
ASYNC_OVERHEAD = 3


def pull_preset(tenant: str, preset: str, since: str, until: str) -> dict:
    """One preset for the whole range, as `metasync reports run PRESET --since --until` pulls it."""
    from metasync.reports.run import pull_report
    from metasync.reports.spec import PRESETS

    connection = bench_connection(tenant)
    started = time.perf_counter()
    result = pull_report(connection, PRESETS[preset], None, since, until, trigger="bench")
    return {
        "wall_s": time.perf_counter() - started,
        "calls": result["api_calls"],
        "rows": result["rows"],
        "errors": result["errors"],
    }


def per_ad_preset(tenant: str, preset: str, since: str, until: str, sample_ads: int) -> dict:
    """The same preset asked of each of `sample_ads` ads spread over the account, paged at Graph's default size,
    saved row by row."""
    from metasync.graph.client import default_client
    from metasync.infra.clock import now_ms
    from metasync.performance.rows import SnapshotContext
    from metasync.reports.rows import map_report_row, row_id
    from metasync.reports.spec import PRESETS
    from metasync.store.reports import BreakdownRow

    client = default_client().scoped()
    connection = bench_connection(tenant)
    token = connection.access_token
    level = PRESETS[preset].insights_level()
    ctx = SnapshotContext.of(connection, now_ms())
    collection = BreakdownRow._get_collection()
    every = [ad["id"] for ad in client.iter_edge(token, f"{connection.ad_account_id}/ads", {"fields": "id"})]
    ads = every[:: max(1, len(every) // sample_ads)][:sample_ads]  # spread over the account, not its first ads
    params = {"fields": level.fields_param(), "time_range": {"since": since, "until": until}, **level.query_params()}
    started, rows = time.perf_counter(), 0
    calls_before = client.calls
    for ad_id in ads:
        for page in client.iter_edge_pages(token, f"{ad_id}/insights", params, page_size=NAIVE_PAGE_SIZE):
            for row in page:
                doc = map_report_row(row, level, ctx)
                collection.replace_one({"_id": row_id(doc)}, doc, upsert=True)
                rows += 1
    return {
        "ads": len(ads),
        "calls": client.calls - calls_before,
        "rows": rows,
        "seconds": time.perf_counter() - started,
    }


def run(args) -> None:
    from metasync.reports.spec import PRESETS

    if args.quick:
        size, latencies, days, sample = (2, 1, 2), [0], 3, 2
    else:
        size, latencies, days, sample = (
            (args.campaigns, args.ad_sets_per_campaign, args.ads_per_ad_set),
            args.latencies,
            args.days,
            args.sample_ads,
        )
    with BenchEnv(args) as env, SimulatorProcess(*size, days=days) as sim:
        results = Results("bench_reports", args, env)
        print(env.slow_writes_note(), flush=True)
        world = sim.world()
        ads = world["totals"]["ads"]
        scale = FULL_ACCOUNT_ADS / ads
        since, until = world["data_window"]
        print(
            f"world: {ads:,} ads ({100 / scale:.2f} % of {FULL_ACCOUNT_ADS:,}); insights {since}..{until}", flush=True
        )
        for latency in latencies:
            sim.configure(latency_ms=latency)
            for preset in PRESETS:
                env.reset_data()
                before = sim.calls()
                ours = run_in_child(pull_preset, tenant=TENANT, preset=preset, since=since, until=until)
                ours["simulator_calls"] = sim.calls() - before
                env.reset_data()
                naive = run_in_child(
                    per_ad_preset, tenant=NAIVE_TENANT, preset=preset, since=since, until=until, sample_ads=sample
                )
                per_ad = ads / naive["ads"] if naive["ads"] else 0
                naive_calls, naive_s = naive["calls"] * per_ad, naive["seconds"] * per_ad
                floor = math.ceil(ours["rows"] / INSIGHTS_PAGE) + ASYNC_OVERHEAD
                print(
                    f"  {latency} ms {preset}: {ours['rows']:,} rows, {ours['calls']} calls (floor {floor}), "
                    f"{ours['wall_s']:.1f} s; per-ad ~{naive_calls:,.0f} calls, ~{naive_s:.0f} s",
                    flush=True,
                )
                results.add(
                    preset=preset,
                    latency_ms=latency,
                    rows=ours["rows"],
                    calls=ours["calls"],
                    simulator_calls=ours["simulator_calls"],
                    min_calls=floor,
                    wall_s=round(ours["wall_s"], 2),
                    rows_per_s=round(ours["rows"] / ours["wall_s"], 1) if ours["wall_s"] else None,
                    peak_rss_mb=ours["peak_rss_mb"],
                    errors=ours["errors"],
                    per_ad_calls=round(naive_calls),
                    per_ad_wall_s=round(naive_s, 1),
                    calls_vs_per_ad=ratio(ours["calls"], naive_calls),
                    time_vs_per_ad=ratio(ours["wall_s"], naive_s),
                    full_account_rows=round(ours["rows"] * scale),
                    full_account_calls=math.ceil(ours["rows"] * scale / INSIGHTS_PAGE) + ASYNC_OVERHEAD,
                    full_account_per_ad_calls=round(naive_calls * scale),
                )
        results.note(
            f"{ads:,} ads ({100 / scale:.2f} % of the {FULL_ACCOUNT_ADS:,}-ad bench account, same shape per "
            f"campaign), daily rows {since}..{until}, ad level, 7-day click and 1-day view. metasync asks the ad "
            f"account's insights edge once per preset as an asynchronous report (completing on the first poll here) "
            f"and pages it at {INSIGHTS_PAGE}; the per-ad approach asks each ad (paged at {NAIVE_PAGE_SIZE}) and "
            f"saves row by row, measured on {sample} ads and scaled to the slice. `full account` columns scale the "
            f"slice's rows linearly to {FULL_ACCOUNT_ADS:,} ads: calls there are ceil(rows / {INSIGHTS_PAGE}) + "
            f"{ASYNC_OVERHEAD} for metasync (before any splitting) against one call per ad and page of "
            f"{NAIVE_PAGE_SIZE}."
        )
        results.save([("", COLUMNS, lambda row: True)], "Breakdown reports: the built-in presets over 30 days")


COLUMNS = [
    ("preset", "preset"),
    ("latency_ms", "latency ms"),
    ("rows", "rows"),
    ("calls", "Graph calls"),
    ("min_calls", "ceil(rows/500)+3"),
    ("wall_s", "wall s"),
    ("rows_per_s", "rows/s"),
    ("per_ad_calls", "per-ad calls"),
    ("per_ad_wall_s", "per-ad wall s"),
    ("calls_vs_per_ad", "calls vs per-ad"),
    ("time_vs_per_ad", "time vs per-ad"),
    ("full_account_rows", "full account rows"),
    ("full_account_calls", "full account calls"),
    ("full_account_per_ad_calls", "full account per-ad calls"),
]


def parser():
    p = base_parser(__doc__.split("\n")[0])
    add_account_options(p)
    p.set_defaults(campaigns=5, latencies=[0])
    p.add_argument("--days", type=int, default=30, help="days of insights (default 30)")
    p.add_argument("--sample-ads", type=int, default=20, help="ads in the per-ad sample (default 20)")
    return p


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    raise SystemExit(main_guard(run, parser()))
