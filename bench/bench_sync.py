"""Entity sync benchmark: a large simulated account through metasync's real sync, against a naive baseline.

    python bench/bench_sync.py            # 500 campaigns / 5,000 ad sets / 20,000 ads at 0 and 50 ms, + scaling
    python bench/bench_sync.py --quick    # tiny sizes (smoke test)

Prints a Markdown table; appends JSON lines to bench/results/bench_sync.jsonl and writes bench/results/bench_sync.md.
See bench/README.md for what each figure means.
"""

from __future__ import annotations

import os
import time
from math import ceil

from benchlib import (
    NAIVE_TENANT,
    TENANT,
    BenchEnv,
    Results,
    SimulatorProcess,
    add_account_options,
    base_parser,
    bench_connection,
    int_list,
    main_guard,
    ratio,
    run_in_child,
)

NAIVE_PAGE_SIZE = 25  # Graph's default page size: what code that never sets `limit` gets


# --- what runs in the measured child processes ----------------------------------------------------------------
def entity_sync(tenant: str, full: bool) -> dict:
    """metasync's sync, exactly as a task runs it."""
    from metasync.entities.sync import ALL_SPECS, sync_meta_connection

    connection = bench_connection(tenant)
    started = time.perf_counter()
    result = sync_meta_connection(connection, full=full, trigger="bench")
    return {
        "wall_s": time.perf_counter() - started,
        "calls": result["api_calls"],
        "mode": result["mode"],
        "docs": sum(result[spec.count_key] for spec in ALL_SPECS),
        "errors": result["errors"],
    }


def naive_entity_sync(tenant: str, page_size: int = NAIVE_PAGE_SIZE) -> dict:
    """The straightforward version: same Graph client and mapping, one edge after another at the default page
    size, and each object read and saved on its own through mongoengine."""
    from metasync.connections.account import refresh_account_details
    from metasync.entities.sync import ALL_SPECS, edge_params, map_context
    from metasync.graph.client import default_client

    client = default_client().scoped()
    connection = bench_connection(tenant)
    token = connection.access_token
    started = time.perf_counter()
    refresh_account_details(client, token, connection)
    ctx = map_context(connection)
    docs = 0
    for spec in ALL_SPECS:
        for page in client.iter_edge_pages(
            token, f"{connection.ad_account_id}/{spec.edge}", edge_params(spec), page_size=page_size
        ):
            for payload in page:
                doc = spec.mapper(payload, ctx)
                key = doc.pop("_id", None)
                existing = (
                    spec.document.objects(pk=key)
                    if key
                    else spec.document.objects(tenant_id=doc["tenant_id"], meta_id=doc["meta_id"])
                ).first()
                document = existing or spec.document()
                if key:
                    document.pk = key
                for field, value in doc.items():
                    setattr(document, field, value)
                document.save()
                docs += 1
    return {"wall_s": time.perf_counter() - started, "calls": client.calls, "mode": "full", "docs": docs, "errors": 0}


# --- the benchmark -------------------------------------------------------------------------------------------
# The simulator's names of the edges a full sync reads: the entities, then the creative library.
EDGES = ("campaigns", "adsets", "ads", "adcreatives", "adimages", "advideos")


def min_calls(counts: dict[str, int], page_size: int) -> int:
    """The account call plus one call per page of each edge (an empty edge still answers one page)."""
    return 1 + sum(max(1, ceil(counts[kind] / page_size)) for kind in EDGES)


def objects_of(counts: dict[str, int]) -> int:
    return sum(counts[kind] for kind in EDGES)


def measured(sim: SimulatorProcess, target, **kwargs) -> dict:
    before = sim.calls()
    result = run_in_child(target, **kwargs)
    result["simulator_calls"] = sim.calls() - before
    result["docs_per_s"] = result["docs"] / result["wall_s"] if result["wall_s"] else None
    return result


def run(args) -> None:
    from metasync.settings import get_settings

    if args.quick:
        size, latencies, base, factors = (6, 2, 2), [0, 20], (2, 2, 2), [1, 4]
    else:
        size, latencies = (args.campaigns, args.ad_sets_per_campaign, args.ads_per_ad_set), args.latencies
        base, factors = (args.scaling_base_campaigns, 5, 5), args.scaling_factors
    page_size = get_settings().meta_page_size
    with BenchEnv(args) as env:
        results = Results("bench_sync", args, env)
        print(env.slow_writes_note(), flush=True)
        with SimulatorProcess(*size) as sim:
            counts = sim.world()["totals"]
            total = objects_of(counts)
            print(
                f"world: {counts['campaigns']:,} campaigns, {counts['adsets']:,} ad sets, {counts['ads']:,} ads, "
                f"{counts['adcreatives']:,} creatives, {counts['adimages']:,} images, {counts['advideos']:,} videos",
                flush=True,
            )
            for latency in latencies:
                sim.configure(latency_ms=latency)
                env.reset_data()
                full = measured(sim, entity_sync, tenant=TENANT, full=True)
                print(f"  {latency} ms: full sync {full['wall_s']:.1f} s, {full['calls']} calls", flush=True)
                again = measured(sim, entity_sync, tenant=TENANT, full=False)
                print(f"  {latency} ms: incremental {again['wall_s']:.1f} s, {again['calls']} calls", flush=True)
                naive = None
                if not args.skip_naive:
                    env.reset_data()
                    naive = measured(sim, naive_entity_sync, tenant=NAIVE_TENANT)
                    print(f"  {latency} ms: naive {naive['wall_s']:.1f} s, {naive['calls']} calls", flush=True)
                common = {"section": "entity sync", "objects": total, "latency_ms": latency}
                results.add(
                    **common,
                    run="metasync full",
                    **_figures(full),
                    min_calls=min_calls(counts, page_size),
                    time_vs_naive=ratio(full["wall_s"], naive["wall_s"]) if naive else None,
                    calls_vs_naive=ratio(full["calls"], naive["calls"]) if naive else None,
                )
                results.add(
                    **common,
                    run="metasync incremental (2nd run)",
                    **_figures(again),
                    time_vs_full=ratio(again["wall_s"], full["wall_s"]),
                    calls_vs_full=ratio(again["calls"], full["calls"]),
                )
                if naive:
                    results.add(
                        **common,
                        run=f"naive (save() each, page {NAIVE_PAGE_SIZE})",
                        **_figures(naive),
                        min_calls=min_calls(counts, NAIVE_PAGE_SIZE),
                    )
        if not args.skip_scaling:
            first = None
            for factor in factors:
                with SimulatorProcess(base[0] * factor, base[1], base[2]) as sim:
                    counts = sim.world()["totals"]
                    env.reset_data()
                    full = measured(sim, entity_sync, tenant=TENANT, full=True)
                    first = first or full
                    objects = objects_of(counts)
                    print(
                        f"  scaling {factor}x ({objects:,} objects): {full['wall_s']:.1f} s, "
                        f"peak RSS {full['peak_rss_mb']} MB",
                        flush=True,
                    )
                    results.add(
                        section="scaling",
                        run=f"{factor}x ({counts['ads']:,} ads)",
                        objects=objects,
                        latency_ms=0,
                        **_figures(full),
                        min_calls=min_calls(counts, page_size),
                        time_vs_1x=ratio(full["wall_s"], first["wall_s"]),
                        rss_vs_1x=ratio(
                            full["peak_rss_mb"] - full["baseline_rss_mb"],
                            first["peak_rss_mb"] - first["baseline_rss_mb"],
                        ),
                    )
        results.note(
            f"metasync page size {page_size} (META_PAGE_SIZE); naive page size {NAIVE_PAGE_SIZE}. "
            f"Peak RSS is the sync's own process (spawned), baseline = after imports and connect."
        )
        results.note(
            "Graph calls are counted by metasync's client; the simulator's own count "
            "(GET /__sim/calls) is in the JSON lines as simulator_calls."
        )
        results.save(
            [
                (
                    f"Full and incremental sync, metasync vs naive ({total:,} objects)",
                    SYNC_COLUMNS,
                    lambda row: row["section"] == "entity sync",
                ),
                ("Scaling (full sync, 0 ms)", SCALING_COLUMNS, lambda row: row["section"] == "scaling"),
            ],
            "Entity sync: campaigns, ad sets and ads",
        )


def _figures(result: dict) -> dict:
    return {
        "wall_s": round(result["wall_s"], 2),
        "calls": result["calls"],
        "simulator_calls": result["simulator_calls"],
        "docs": result["docs"],
        "docs_per_s": round(result["docs_per_s"] or 0, 1),
        "peak_rss_mb": result["peak_rss_mb"],
        "baseline_rss_mb": result["baseline_rss_mb"],
        "errors": result["errors"],
    }


_COMMON = [
    ("wall_s", "wall s"),
    ("calls", "Graph calls"),
    ("min_calls", "min calls"),
    ("docs", "docs written"),
    ("docs_per_s", "docs/s"),
    ("peak_rss_mb", "peak RSS MB"),
    ("baseline_rss_mb", "base RSS MB"),
]
SYNC_COLUMNS = [
    ("run", "run"),
    ("latency_ms", "latency ms"),
    *_COMMON,
    ("time_vs_naive", "time vs naive"),
    ("calls_vs_naive", "calls vs naive"),
    ("time_vs_full", "time vs full"),
    ("calls_vs_full", "calls vs full"),
]
SCALING_COLUMNS = [
    ("run", "size"),
    ("objects", "objects"),
    *_COMMON,
    ("time_vs_1x", "time vs 1x"),
    ("rss_vs_1x", "RSS growth vs 1x"),
]


def parser():
    p = base_parser(__doc__.split("\n")[0])
    add_account_options(p)
    p.add_argument(
        "--scaling-base-campaigns",
        type=int,
        default=50,
        help="1x of the scaling runs: this many campaigns x 5 ad sets x 5 ads (default 50: 1,250 ads)",
    )
    p.add_argument("--scaling-factors", type=int_list, default=[1, 4, 16])
    p.add_argument("--skip-naive", action="store_true")
    p.add_argument("--skip-scaling", action="store_true")
    return p


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    raise SystemExit(main_guard(run, parser()))
