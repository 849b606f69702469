"""Write-back benchmark: 1,000 changes through metasync's batched path, against one request per change.

    python bench/bench_writes.py            # 1,000 changes of 1,000 ads (of 1,600), at 0 and 50 ms
    python bench/bench_writes.py --quick    # 20 changes (smoke test)

metasync reads every object (and the ad account) in batches of 50 before it sends anything, sends one write per
object in batches of 50 that answer the objects back, and stores them; the baseline sends one POST per change and
nothing else (no live read, no conflict check, no read-back). Prints a Markdown table; appends JSON lines to
bench/results/bench_writes.jsonl and writes bench/results/bench_writes.md.
"""

from __future__ import annotations

import os
import time
from math import ceil

from benchlib import (
    TENANT,
    BenchEnv,
    Results,
    SimulatorProcess,
    base_parser,
    bench_connection,
    int_list,
    main_guard,
    ratio,
    run_in_child,
)

BATCH = 50


# --- what runs in the measured child processes ----------------------------------------------------------------
def sync_first(tenant: str) -> dict:
    """The stored documents the changes expect their values from (not measured)."""
    from metasync.entities.sync import sync_meta_connection

    sync_meta_connection(bench_connection(tenant), full=True, trigger="bench")
    return {"writable_ads": len(_ad_ids(tenant, 10**9))}


def _ad_ids(tenant: str, count: int) -> list[str]:
    """Ads that can change (not archived or deleted themselves)."""
    from metasync.store.documents import Ad

    ads = Ad.objects(tenant_id=tenant, configured_status__in=["ACTIVE", "PAUSED"]).only("meta_id")
    return sorted(ad.meta_id for ad in ads)[:count]


def metasync_writes(tenant: str, count: int, label: str) -> dict:
    """`count` renames and pauses (alternating) of distinct ads, as one change set through the real path."""
    from metasync.ops.changes import ObjectRequest, request_changes

    connection = bench_connection(tenant)
    ids = _ad_ids(tenant, count)
    requests = [
        ObjectRequest("ad", oid, {"name": f"{label} {oid}"} if n % 2 else {"status": "PAUSED"})
        for n, oid in enumerate(ids)
    ]
    started = time.perf_counter()
    change_set, changes = request_changes(connection, requests, "task", "bench", "bench")
    wall = time.perf_counter() - started
    return {
        "wall_s": wall,
        "calls": _run_calls(change_set.id),
        "changes": len(changes),
        "applied": sum(c.status == "APPLIED" for c in changes),
        "statuses": sorted({c.status for c in changes}),
    }


def _run_calls(change_set_id: str) -> int:
    from metasync.store.documents import SyncRun

    return SyncRun.objects(kind="CHANGES", target__change_set_id=change_set_id).first().api_calls


def one_request_per_change(tenant: str, count: int, label: str) -> dict:
    """The straightforward writer: the same Graph client, one POST /<id> per change, in turn."""
    from metasync.graph.client import default_client

    client = default_client().scoped()
    connection = bench_connection(tenant)
    token = connection.access_token
    ids = _ad_ids(tenant, count)
    started = time.perf_counter()
    for n, oid in enumerate(ids):
        form = {"name": f"{label} {oid}"} if n % 2 else {"status": "ACTIVE"}
        client.request("POST", oid, token, data=form, account_id=connection.ad_account_id, cost=3)
    return {"wall_s": time.perf_counter() - started, "calls": client.calls, "changes": len(ids), "applied": len(ids)}


# --- the benchmark -------------------------------------------------------------------------------------------
def measured(sim: SimulatorProcess, target, **kwargs) -> dict:
    before = sim.calls()
    result = run_in_child(target, **kwargs)
    result["simulator_calls"] = sim.calls() - before
    return result


def run(args) -> None:
    if args.quick:
        size, latencies, count = (5, 2, 2), [0, 20], 20
    else:
        size, latencies, count = (
            (args.campaigns, args.ad_sets_per_campaign, args.ads_per_ad_set),
            args.latencies,
            args.changes,
        )
    with BenchEnv(args) as env:
        results = Results("bench_writes", args, env)
        print(env.slow_writes_note(), flush=True)
        with SimulatorProcess(*size) as sim:
            counts = sim.world()["totals"]
            print(f"world: {counts['ads']:,} ads", flush=True)
            for latency in latencies:
                env.reset_data()
                sim.configure(latency_ms=0)
                count = min(count, run_in_child(sync_first, tenant=TENANT)["writable_ads"])
                sim.configure(latency_ms=latency)
                ours = measured(sim, metasync_writes, tenant=TENANT, count=count, label=f"batched {latency}")
                print(f"  {latency} ms: metasync {ours['wall_s']:.1f} s, {ours['calls']} calls", flush=True)
                single = measured(sim, one_request_per_change, tenant=TENANT, count=count, label=f"single {latency}")
                print(f"  {latency} ms: one per change {single['wall_s']:.1f} s, {single['calls']} calls", flush=True)
                common = {"changes": count, "latency_ms": latency}
                results.add(
                    **common,
                    run="metasync (batched read, batched write with read-after-write, stored)",
                    wall_s=round(ours["wall_s"], 2),
                    calls=ours["calls"],
                    simulator_calls=ours["simulator_calls"],
                    write_batches=ceil(count / BATCH),
                    applied=ours["applied"],
                    time_vs_single=ratio(ours["wall_s"], single["wall_s"]),
                    calls_vs_single=ratio(ours["calls"], single["calls"]),
                )
                results.add(
                    **common,
                    run="one POST per change (no read, no check, nothing stored)",
                    wall_s=round(single["wall_s"], 2),
                    calls=single["calls"],
                    simulator_calls=single["simulator_calls"],
                    applied=single["applied"],
                )
        results.note(
            f"metasync's calls: ceil(({count:,} objects + the ad account) / {BATCH}) batched reads plus "
            f"ceil({count:,} / {BATCH}) batched writes; each write answers the object back (fields=), so no read "
            "follows. Graph calls are HTTP requests; each batch item still counts against Meta's limits on its own."
        )
        results.save(
            [("", COLUMNS, lambda row: True)],
            f"Write-back: {count:,} changes, batched vs one request per change",
        )


COLUMNS = [
    ("run", "run"),
    ("latency_ms", "latency ms"),
    ("changes", "changes"),
    ("wall_s", "wall s"),
    ("calls", "Graph calls"),
    ("simulator_calls", "requests Meta scores (batch items one each)"),
    ("applied", "applied"),
    ("time_vs_single", "time vs one per change"),
    ("calls_vs_single", "calls vs one per change"),
]


def parser():
    p = base_parser(__doc__.split("\n")[0])
    p.add_argument("--campaigns", type=int, default=40)
    p.add_argument("--ad-sets-per-campaign", type=int, default=10)
    p.add_argument("--ads-per-ad-set", type=int, default=4)
    p.add_argument("--changes", type=int, default=1000)
    p.add_argument("--latencies", type=int_list, default=[0, 50], help="simulated latencies in ms (default 0,50)")
    return p


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    raise SystemExit(main_guard(run, parser()))
