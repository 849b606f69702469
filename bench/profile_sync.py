"""Where the time of one full entity sync goes: metasync's own CPU, the database server's CPU, the simulator's CPU,
and the rest (waiting on sockets).

    python bench/profile_sync.py            # 500 campaigns / 5,000 ad sets / 20,000 ads
    python bench/profile_sync.py --quick    # tiny sizes (smoke test)

The database server is found by the port of --mongodb-uri among this machine's listening processes (psutil); on a
remote server its CPU is reported as unknown. Results: bench/results/profile_sync.{jsonl,md}.
"""

from __future__ import annotations

import resource
import time
from urllib.parse import urlsplit

import psutil
from benchlib import (
    TENANT,
    BenchEnv,
    Results,
    SimulatorProcess,
    add_account_options,
    base_parser,
    bench_connection,
    main_guard,
)


def _server_process(uri: str) -> psutil.Process | None:
    port = urlsplit(uri).port or 27017
    for conn in psutil.net_connections(kind="tcp"):
        if conn.status == psutil.CONN_LISTEN and conn.laddr.port == port and conn.pid:
            return psutil.Process(conn.pid)
    return None


def _cpu(process: psutil.Process | None) -> float | None:
    if process is None:
        return None
    times = process.cpu_times()
    return times.user + times.system


def _own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run(args) -> None:
    from metasync.entities.sync import sync_meta_connection
    from metasync.infra import db

    sizes = (3, 2, 2) if args.quick else (args.campaigns, args.ad_sets_per_campaign, args.ads_per_ad_set)
    with BenchEnv(args) as env, SimulatorProcess(*sizes) as sim:
        results = Results("profile_sync", args, env)
        db.connect()
        connection = bench_connection(TENANT)
        server = _server_process(env.mongodb_uri)
        simulator = psutil.Process(sim.process.pid)
        before = {"server": _cpu(server), "simulator": _cpu(simulator), "metasync": _own_cpu()}
        started = time.perf_counter()
        result = sync_meta_connection(connection, full=True, trigger="bench")
        wall = time.perf_counter() - started
        spent = {
            "metasync": _own_cpu() - before["metasync"],
            "simulator": _cpu(simulator) - before["simulator"],
            "server": None if server is None else _cpu(server) - before["server"],
        }
        docs = result["campaigns_synced"] + result["ad_sets_synced"] + result["ads_synced"]
        for part, label in (
            ("metasync", "metasync (this process, CPU)"),
            ("server", f"database server ({env.server})"),
            ("simulator", "Graph API simulator (CPU)"),
        ):
            seconds = spent[part]
            results.add(
                part=label,
                seconds=None if seconds is None else round(seconds, 2),
                share=None if seconds is None else f"{seconds / wall:.0%}",
            )
        known = sum(v for v in spent.values() if v is not None)
        results.add(part="wall time of the sync", seconds=round(wall, 2), share="100%")
        results.note(
            f"{docs:,} objects, {result['api_calls']} Graph calls. CPU shares are of the wall time; they "
            f"add up to {known / wall:.0%} (below 100%: waiting on sockets; above: the parts ran at once on "
            f"the 2 cores)."
        )
        results.save(
            [("", [("part", "part"), ("seconds", "seconds"), ("share", "share of wall")], lambda r: True)],
            "Profile of one full entity sync",
        )


def main(argv: list[str] | None = None) -> int:
    parser = base_parser(__doc__.split("\n")[0])
    add_account_options(parser)
    return main_guard(run, parser, argv)


if __name__ == "__main__":
    raise SystemExit(main())
