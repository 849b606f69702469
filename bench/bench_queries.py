"""The queries metasync makes on hot paths, timed against a database of realistic size, each next to the query it
replaced (the baseline, run in the same process on the same data).

    python bench/bench_queries.py            # 1,000 connections; one with 500 campaigns / 5,000 ad sets / 20,000 ads
    python bench/bench_queries.py --quick    # tiny sizes (smoke test)

On the local FerretDB build only a filter that is exactly `{"_id": <value>}` or `{"_id": {"$in": [...]}}` is served
by an index; any other filter reads the whole collection (on MongoDB every form here uses an index). Run it against
an older build with --mongodb-uri to see what the server fixes changed. Results: bench/results/bench_queries.{jsonl,md}.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from benchlib import BenchEnv, Results, base_parser, main_guard, ratio

TARGET_TENANT = "t0"


def timed(fn: Callable[[], Any], repeat: int) -> float:
    """Median milliseconds of `repeat` calls."""
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def _raw(meta_id: str, level: str) -> dict[str, Any]:
    return {
        "id": meta_id,
        "name": f"{level} {meta_id} " + "x" * 40,
        "status": "ACTIVE",
        "effective_status": "ACTIVE",
        "created_time": "2026-01-01T00:00:00+0000",
        "updated_time": "2026-06-01T00:00:00+0000",
        "issues_info": [],
        "recommendations": [],
        "targeting": {"geo_locations": {"countries": ["US", "CA"]}, "age_min": 18, "age_max": 65},
        "creative": {"id": "9" + meta_id, "title": "t" * 60, "body": "b" * 200},
    }


def populate(
    db, connections: int, campaigns: int, ad_sets: int, ads: int, runs_per_connection: int, snapshots: int
) -> dict[str, Any]:
    """`connections` connections (tenant t<i>); the first one owns the campaigns, ad sets, ads and snapshots."""
    from bson import ObjectId

    from metasync.infra.clock import utcnow

    now = utcnow()
    conn_ids = [ObjectId() for _ in range(connections)]
    db.meta_connections.insert_many(
        [
            {
                "_id": oid,
                "tenant_id": f"t{i}",
                "ad_account_id": f"act_{1000 + i}",
                "access_token_encrypted": "x" * 180,
                "status": "ACTIVE",
                "currency": "USD",
                "timezone_name": "America/New_York",
                "watermarks": {},
                "created_at": now,
                "updated_at": now,
            }
            for i, oid in enumerate(conn_ids)
        ]
    )
    target = conn_ids[0]
    for name, count, level in (("campaigns", campaigns, "campaign"), ("ad_sets", ad_sets, "adset"), ("ads", ads, "ad")):
        for start in range(0, count, 1000):
            db[name].insert_many(
                [
                    {
                        "_id": f"{TARGET_TENANT}:{level[0]}{i}",
                        "meta_id": f"{level[0]}{i}",
                        "tenant_id": TARGET_TENANT,
                        "connection": target,
                        "ad_account_id": "act_1000",
                        "status": "ACTIVE",
                        "effective_status": "ACTIVE",
                        "last_seen_at": now,
                        "missing_from_meta": False,
                        "raw": _raw(str(i), level),
                    }
                    for i in range(start, min(count, start + 1000))
                ]
            )
    kinds = ("ENTITIES", "PERFORMANCE", "ENTITY")
    run_docs = []
    for n, oid in enumerate(conn_ids):
        for r in range(runs_per_connection):
            run_docs.append(
                {
                    "connection": oid,
                    "tenant_id": f"t{n}",
                    "kind": kinds[r % 3],
                    "trigger": "beat",
                    "full": r % 24 == 0,
                    "status": "SUCCESS",
                    "started_at": now - timedelta(hours=r),
                    "finished_at": now - timedelta(hours=r),
                    "duration_ms": 1000,
                    "counts": {"ads": 10},
                    "api_calls": 5,
                    "error_count": 0,
                    "errors": [],
                }
            )
    for start in range(0, len(run_docs), 2000):
        db.sync_runs.insert_many(run_docs[start : start + 2000])
    for start in range(0, snapshots, 1000):
        db.performance_snapshots.insert_many(
            [
                {
                    "_id": f"{TARGET_TENANT}:AD:{i % max(ads, 1)}:{i}",
                    "tenant_id": TARGET_TENANT,
                    "connection": target,
                    "entity_type": "AD",
                    "entity_id": str(i),
                    "date": "2026-11-01",
                    "spend": 100,
                    "impressions": 1000,
                    "actions": [{"action_type": "link_click", "value": "3"}],
                }
                for i in range(start, min(snapshots, start + 1000))
            ]
        )
    return {"target": target, "conn_ids": conn_ids}


def run(args) -> None:
    import pymongo

    from metasync.connections.registry import routable_connection_ids
    from metasync.entities.sync import status_changes
    from metasync.infra import db as metasync_db
    from metasync.infra.clock import as_utc
    from metasync.ops.status import latest_runs
    from metasync.performance.run import lookback_due
    from metasync.store.documents import MetaConnection, SyncRun, ensure_indexes

    sizes = (
        dict(connections=20, campaigns=10, ad_sets=50, ads=200, runs_per_connection=6, snapshots=300)
        if args.quick
        else dict(
            connections=args.connections,
            campaigns=args.campaigns,
            ad_sets=args.ad_sets,
            ads=args.ads,
            runs_per_connection=args.runs_per_connection,
            snapshots=args.snapshots,
        )
    )
    repeat = 1 if args.quick else args.repeat
    with BenchEnv(args) as env:
        results = Results("bench_queries", args, env)
        database = pymongo.MongoClient(env.mongodb_uri).get_default_database()
        metasync_db.connect()
        ensure_indexes()
        started = time.perf_counter()
        ids = populate(database, **sizes)
        print(f"populated in {time.perf_counter() - started:.0f} s: {sizes}", flush=True)
        target = MetaConnection.objects.get(id=ids["target"])
        for kind in ("ENTITIES", "PERFORMANCE", "ENTITY"):  # as SyncRun.begin records them
            latest = SyncRun.objects(connection=target.id, kind=kind).order_by("-started_at").first()
            MetaConnection.objects(id=target.id).update_one(**{f"set__latest_runs__{kind}": latest.id})
        target.reload()

        def row(query: str, path: str, before: Callable[[], Any] | None, after: Callable[[], Any], note: str = ""):
            after_ms = timed(after, repeat)
            before_ms = timed(before, repeat) if before else None
            results.add(
                query=query,
                path=path,
                before_ms=round(before_ms, 1) if before_ms else None,
                after_ms=round(after_ms, 1),
                speedup=ratio(before_ms, after_ms) if before_ms else None,
                note=note,
            )
            print(f"{query}: before {before_ms or '-'} ms, after {after_ms:.1f} ms", flush=True)

        # 1. The entity writer's status-change lookup, one batch of 500 changed ads.
        batch = [
            {"_id": f"{TARGET_TENANT}:a{i}", "meta_id": f"a{i}", "effective_status": "PAUSED"}
            for i in range(0, min(sizes["ads"], 500))
        ]
        ads = database.ads
        row(
            "status-change lookup, 500 ads",
            "incremental entity sync, per batch",
            None,
            lambda: status_changes(ads, batch),
            "one `$in` on _id per batch (the local build serves it by index)",
        )
        assert len(status_changes(ads, batch)) == len(batch)

        # 2. Is the day's full lookback pull due? (every scheduled performance run)
        from metasync.performance.dates import local_midnight

        today = date.today()
        row(
            "lookback due?",
            "every scheduled performance run",
            lambda: SyncRun.objects(
                connection=target.id,
                kind="PERFORMANCE",
                full=True,
                status__in=["SUCCESS", "PARTIAL"],
                started_at__gte=local_midnight(today, target.timezone_name),
            ).first(),
            lambda: lookback_due(target, today),
            "query on sync_runs -> a field of the connection",
        )

        # 3. `metasync status --connection ID` (latest run of each kind).
        def status_before(connection):
            rows = []
            for kind in sorted(SyncRun.objects(connection=connection.id).distinct("kind")):
                rows.extend(SyncRun.objects(connection=connection.id, kind=kind).order_by("-started_at").limit(1))
            return rows

        row(
            "status, one connection",
            "`metasync status`, per connection",
            lambda: status_before(target),
            lambda: latest_runs([target]),
            "distinct + one query per kind -> runs by _id from the connection",
        )
        assert [(r["kind"], r["started_at"]) for r in latest_runs([target])] == [
            (r.kind, as_utc(r.started_at).isoformat()) for r in status_before(target)
        ]

        # 4. Webhook routing: the connections of one ad account (every webhook change).
        account = "act_1000"
        routable_connection_ids(account)  # writes the account's route (connections were inserted without one)
        row(
            "webhook routing",
            "every webhook change",
            lambda: list(
                MetaConnection.objects(ad_account_id=account, status__in=["ACTIVE", "ERROR"])
                .only("id")
                .order_by("tenant_id")
            ),
            lambda: routable_connection_ids(account),
            f"query on meta_connections ({sizes['connections']:,}) -> the account's route, by _id",
        )
        assert routable_connection_ids(account) == [str(ids["target"])]

        # 5. All connections (fan-out, doctor, `connections list`).
        row(
            "all connections",
            "beat fan-out, doctor, connections list",
            None,
            lambda: list(MetaConnection.objects.order_by("tenant_id")),
            f"one read of meta_connections ({sizes['connections']:,})",
        )

        # 6. Marking vanished objects DELETED after a full sync (once per full sync and collection).
        row(
            "vanished objects sweep, ads",
            "end of a full entity sync",
            None,
            lambda: ads.update_many(
                {
                    "tenant_id": TARGET_TENANT,
                    "connection": target.id,
                    "last_seen_at": {"$lt": target.created_at},
                    "missing_from_meta": {"$ne": True},
                },
                {"$set": {"status": "DELETED"}},
            ),
            f"one read of the ads collection ({sizes['ads']:,}), once per full sync",
        )

        # 7. The demo's summary: documents of one tenant per collection.
        names = ("meta_connections", "campaigns", "ad_sets", "ads", "performance_snapshots", "sync_runs")
        row(
            "documents of one tenant",
            "`metasync demo` summary",
            None,
            lambda: {n: database[n].count_documents({"tenant_id": TARGET_TENANT}) for n in names},
            "one count per collection",
        )

        results.note(
            f"Data: {sizes['connections']:,} connections; the measured one has {sizes['campaigns']:,} "
            f"campaigns, {sizes['ad_sets']:,} ad sets, {sizes['ads']:,} ads and {sizes['snapshots']:,} "
            f"snapshots; {sizes['runs_per_connection']} runs per connection "
            f"({sizes['connections'] * sizes['runs_per_connection']:,} in sync_runs). Median of {repeat}."
        )
        columns = [
            ("query", "query"),
            ("path", "where it runs"),
            ("before_ms", "before ms"),
            ("after_ms", "after ms"),
            ("speedup", "before / after"),
            ("note", "change"),
        ]
        results.save([("", columns, lambda r: True)], "Hot queries: before and after")


def main(argv: list[str] | None = None) -> int:
    parser = base_parser(__doc__.split("\n")[0])
    parser.add_argument("--connections", type=int, default=1000)
    parser.add_argument("--campaigns", type=int, default=500)
    parser.add_argument("--ad-sets", type=int, default=5000)
    parser.add_argument("--ads", type=int, default=20000)
    parser.add_argument("--runs-per-connection", type=int, default=30)
    parser.add_argument("--snapshots", type=int, default=20000)
    parser.add_argument("--repeat", type=int, default=3)
    return main_guard(run, parser, argv)


if __name__ == "__main__":
    raise SystemExit(main())
