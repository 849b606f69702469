"""Insights benchmark: 30 days of daily rows for the ad account and every campaign, ad set and ad through metasync's
performance sync, against the per-object approach (one insights query per account, campaign, ad set and ad).

    python bench/bench_insights.py            # 500 campaigns / 5,000 ad sets / 20,000 ads, 30 days, 0 and 50 ms
    python bench/bench_insights.py --quick    # tiny sizes (smoke test)

The per-object approach is run for real on a sample (the first --sample-ads ads, their ad sets and campaigns) and
extrapolated per level to the whole account; the output says so. Results: bench/results/bench_insights.{jsonl,md}.
"""

from __future__ import annotations

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

NAIVE_PAGE_SIZE = 25


def performance_sync(tenant: str, since: str, until: str) -> dict:
    """metasync's performance sync for the whole range, as the CLI and tasks run it."""
    from metasync.performance import sync_all_performance_data

    connection = bench_connection(tenant)
    started = time.perf_counter()
    result = sync_all_performance_data(connection, date_preset=None, since=since, until=until, trigger="bench")
    return {
        "wall_s": time.perf_counter() - started,
        "calls": result["api_calls"],
        "errors": result["errors"],
        "rows": result["accounts"] + result["campaigns"] + result["ad_sets"] + result["ads"],
        "rows_by_level": {
            "account": result["accounts"],
            "campaign": result["campaigns"],
            "adset": result["ad_sets"],
            "ad": result["ads"],
        },
    }


def per_object_insights(tenant: str, since: str, until: str, sample_ads: int) -> dict:
    """One insights query per object (paged at Graph's default size), each row saved on its own; for the first
    `sample_ads` ads and their ad sets and campaigns. Returns calls, rows and seconds per level."""
    from metasync.connections.account import refresh_account_details
    from metasync.graph.client import default_client
    from metasync.infra.clock import now_ms
    from metasync.performance.rows import LEVELS, SnapshotContext, map_insights_row, snapshot_id
    from metasync.store.documents import PerformanceSnapshot

    client = default_client().scoped()
    connection = bench_connection(tenant)
    token = connection.access_token
    refresh_account_details(client, token, connection)
    ids: dict[str, list[str]] = {"ad": [], "adset": [], "campaign": [], "account": [connection.ad_account_id]}
    for ad in client.iter_edge(
        token, f"{connection.ad_account_id}/ads", {"fields": "id,adset_id,campaign_id"}, page_size=min(sample_ads, 500)
    ):
        if len(ids["ad"]) >= sample_ads:
            break
        ids["ad"].append(ad["id"])
        for level, key in (("adset", "adset_id"), ("campaign", "campaign_id")):
            if ad[key] not in ids[level]:
                ids[level].append(ad[key])
    ctx = SnapshotContext.of(connection, now_ms())
    collection = PerformanceSnapshot._get_collection()
    levels = {}
    for level in LEVELS:
        calls_before, started, rows = client.calls, time.perf_counter(), 0
        for object_id in ids[level.level]:
            params = {
                "fields": level.fields_param(),
                "time_range": {"since": since, "until": until},
                "time_increment": 1,
            }
            for page in client.iter_edge_pages(token, f"{object_id}/insights", params, page_size=NAIVE_PAGE_SIZE):
                for row in page:
                    doc = map_insights_row(row, level, ctx)
                    collection.replace_one({"_id": snapshot_id(doc)}, doc, upsert=True)
                    rows += 1
        levels[level.level] = {
            "objects": len(ids[level.level]),
            "calls": client.calls - calls_before,
            "rows": rows,
            "seconds": time.perf_counter() - started,
        }
    return {"levels": levels}


def extrapolate(sample: dict, counts: dict[str, int]) -> dict:
    """Per level: calls and seconds per object in the sample, times the account's objects of that level."""
    totals = {"calls": 0.0, "wall_s": 0.0}
    for level, key in (("account", None), ("campaign", "campaigns"), ("adset", "adsets"), ("ad", "ads")):
        measured = sample["levels"][level]
        objects = counts[key] if key else 1  # one ad account
        scale = objects / measured["objects"] if measured["objects"] else 0
        totals["calls"] += measured["calls"] * scale
        totals["wall_s"] += measured["seconds"] * scale
    return {k: round(v) if k != "wall_s" else v for k, v in totals.items()}


def run(args) -> None:
    if args.quick:
        size, latencies, days, sample = (4, 2, 2), [0, 20], 7, 4
    else:
        size, latencies, days, sample = (
            (args.campaigns, args.ad_sets_per_campaign, args.ads_per_ad_set),
            args.latencies,
            args.days,
            args.sample_ads,
        )
    with BenchEnv(args) as env, SimulatorProcess(*size, days=days) as sim:
        results = Results("bench_insights", args, env)
        print(env.slow_writes_note(), flush=True)
        world = sim.world()
        counts = world["totals"]
        since, until = world["data_window"]
        print(
            f"world: {counts['campaigns']:,} campaigns, {counts['adsets']:,} ad sets, {counts['ads']:,} ads; "
            f"insights {since}..{until}",
            flush=True,
        )
        for latency in latencies:
            sim.configure(latency_ms=latency)
            env.reset_data()
            before = sim.calls()
            ours = run_in_child(performance_sync, tenant=TENANT, since=since, until=until)
            ours["simulator_calls"] = sim.calls() - before
            print(
                f"  {latency} ms: metasync {ours['wall_s']:.1f} s, {ours['calls']} calls, {ours['rows']:,} rows",
                flush=True,
            )
            env.reset_data()
            sampled = run_in_child(
                per_object_insights, tenant=NAIVE_TENANT, since=since, until=until, sample_ads=sample
            )
            naive = extrapolate(sampled, counts)
            print(
                f"  {latency} ms: per-object (sampled {sampled['levels']['ad']['objects']} ads) "
                f"~{naive['calls']:,} calls, ~{naive['wall_s']:.0f} s",
                flush=True,
            )
            results.add(
                run="metasync (account-level, one query per level)",
                latency_ms=latency,
                wall_s=round(ours["wall_s"], 2),
                calls=ours["calls"],
                simulator_calls=ours["simulator_calls"],
                rows=ours["rows"],
                rows_by_level=ours["rows_by_level"],
                rows_per_s=round(ours["rows"] / ours["wall_s"], 1),
                peak_rss_mb=ours["peak_rss_mb"],
                baseline_rss_mb=ours["baseline_rss_mb"],
                errors=ours["errors"],
                calls_vs_per_object=ratio(ours["calls"], naive["calls"]),
                time_vs_per_object=ratio(ours["wall_s"], naive["wall_s"]),
            )
            levels = sampled["levels"].values()
            sample_rows, sample_seconds = sum(v["rows"] for v in levels), sum(v["seconds"] for v in levels)
            results.add(
                run=f"per-object, extrapolated from {sampled['levels']['ad']['objects']} ads",
                latency_ms=latency,
                wall_s=round(naive["wall_s"], 1),
                calls=naive["calls"],
                rows_per_s=round(sample_rows / sample_seconds, 1) if sample_seconds else None,
                peak_rss_mb=sampled["peak_rss_mb"],
                baseline_rss_mb=sampled["baseline_rss_mb"],
                sample=sampled["levels"],
            )
        results.note(
            f"{counts['campaigns']:,} campaigns, {counts['adsets']:,} ad sets, {counts['ads']:,} ads, "
            f"daily rows {since}..{until}. metasync asks the ad account's insights edge once per level "
            f"(asynchronous report runs where the range is long, completing on the first poll here); the "
            f"per-object approach asks each campaign, ad set and ad, paged at {NAIVE_PAGE_SIZE} rows, and "
            f"saves row by row: measured on a sample, scaled per level to the account (calls and time; its "
            f"rows/s is the "
            f"sample's)."
        )
        results.save([("", COLUMNS, lambda row: True)], "Insights: daily rows for every campaign, ad set and ad")


COLUMNS = [
    ("run", "run"),
    ("latency_ms", "latency ms"),
    ("wall_s", "wall s"),
    ("calls", "Graph calls"),
    ("rows", "rows"),
    ("rows_per_s", "rows/s"),
    ("peak_rss_mb", "peak RSS MB"),
    ("baseline_rss_mb", "base RSS MB"),
    ("calls_vs_per_object", "calls vs per-object"),
    ("time_vs_per_object", "time vs per-object"),
]


def parser():
    p = base_parser(__doc__.split("\n")[0])
    add_account_options(p)
    p.add_argument("--days", type=int, default=30, help="days of insights (default 30)")
    p.add_argument("--sample-ads", type=int, default=100, help="ads in the per-object sample (default 100)")
    return p


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    raise SystemExit(main_guard(run, parser()))
