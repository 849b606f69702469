"""What the benchmark scripts share: arguments, the bench database and Redis db, the simulator in its own process,
measured runs in child processes that report their own peak memory, and the result files.

The scripts import it as `benchlib` (Python puts the script's folder first on sys.path).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import signal
import socket
import subprocess
import sys
import time
import traceback
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests

from metasync.settings import mask_url_password

REPO = Path(__file__).resolve().parent.parent
RESULTS_DIR = REPO / "bench" / "results"
# The benchmarks' own database and Redis db (the app uses REDIS_URL's db, 0 locally; the tests 15), dropped and
# flushed before and after each script. METASYNC_BENCH_DB / METASYNC_BENCH_REDIS_DB override them.
BENCH_DB = os.environ.get("METASYNC_BENCH_DB", "metasync_bench")
BENCH_REDIS_DB = int(os.environ.get("METASYNC_BENCH_REDIS_DB", "14"))
APP_ID, APP_SECRET = "2020202020", "metasync-bench-app-secret"
TOKEN = "EAAbench-simulated-user-token"
TENANT = "bench"
NAIVE_TENANT = "bench-naive"


class BenchError(Exception):
    """A benchmark could not run; the message says why."""


def base_parser(description: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true", help="tiny sizes: checks the script works (smoke test)")
    parser.add_argument(
        "--mongodb-uri",
        default=os.environ.get("MONGODB_URI", "mongodb://127.0.0.1:27027/metasync"),
        help="server to use (default: MONGODB_URI); the database is always " + BENCH_DB,
    )
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6390/0"),
        help=f"Redis to use (default: REDIS_URL); the db is always {BENCH_REDIS_DB}",
    )
    parser.add_argument("--results-dir", type=Path, default=RESULTS_DIR, help="where the .jsonl and .md go")
    return parser


def int_list(text: str) -> list[int]:
    return [int(part) for part in text.split(",") if part.strip()]


def add_account_options(parser: argparse.ArgumentParser) -> None:
    """The simulated account (default: the issue's large one, 500 / 5,000 / 20,000) and the latencies to run at."""
    parser.add_argument("--campaigns", type=int, default=500)
    parser.add_argument("--ad-sets-per-campaign", type=int, default=10)
    parser.add_argument("--ads-per-ad-set", type=int, default=4)
    parser.add_argument(
        "--latencies", type=int_list, default=[0, 50], help="simulated latencies in ms, comma-separated (default 0,50)"
    )


def with_path(url: str, path: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=path))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- the environment of a benchmark run ---------------------------------------------------------------------
class BenchEnv:
    """Points this process (and the children it spawns) at the bench database, Redis db and a simulator.

    The database is dropped and the Redis db flushed on entry and on exit.
    """

    def __init__(self, args: argparse.Namespace):
        from cryptography.fernet import Fernet

        self.mongodb_uri = with_path(args.mongodb_uri, f"/{BENCH_DB}")
        self.redis_url = with_path(args.redis_url, f"/{BENCH_REDIS_DB}")
        os.environ.update(
            {
                "MONGODB_URI": self.mongodb_uri,
                "REDIS_URL": self.redis_url,
                "CELERY_BROKER_URL": self.redis_url,
                "META_APP_ID": APP_ID,
                "META_APP_SECRET": APP_SECRET,
                "TOKEN_ENCRYPTION_KEY": Fernet.generate_key().decode(),
                # The simulator is local: metasync's own limiter must not be what is measured.
                "META_RATE_LIMIT_PER_HOUR": str(10**9),
                "LOG_LEVEL": "WARNING",
            }
        )
        self.server = "?"

    def __enter__(self) -> BenchEnv:
        import pymongo
        import redis

        try:
            with pymongo.MongoClient(self.mongodb_uri, serverSelectionTimeoutMS=5000) as client:
                info = client.admin.command("buildInfo")
                client.drop_database(BENCH_DB)
        except pymongo.errors.PyMongoError as exc:
            raise BenchError(
                f"MongoDB is not reachable at {mask_url_password(self.mongodb_uri)} "
                f"({exc.__class__.__name__}); run `make services` and export its env"
            ) from None
        if info.get("ferretdbVersion"):
            self.server = f"FerretDB {info['ferretdbVersion']} (MongoDB {info.get('version')} wire protocol)"
        else:
            self.server = f"MongoDB {info.get('version')}"
        try:
            redis.Redis.from_url(self.redis_url, socket_connect_timeout=3).flushdb()
        except redis.RedisError as exc:
            raise BenchError(
                f"Redis is not reachable at {mask_url_password(self.redis_url)} ({exc.__class__.__name__})"
            ) from None
        return self

    def reset_data(self) -> None:
        """Empty database and rate-limit state, so each measured run starts alike."""
        import pymongo
        import redis

        with pymongo.MongoClient(self.mongodb_uri) as client:
            client.drop_database(BENCH_DB)
        redis.Redis.from_url(self.redis_url).flushdb()

    def __exit__(self, *exc: Any) -> None:
        try:
            self.reset_data()
        except Exception:  # noqa: BLE001 - cleanup must not hide the real error
            pass

    def slow_writes_note(self) -> str:
        if "FerretDB" in self.server:
            return (
                f"Database: {self.server}, the local stand-in: writes by `_id` run at a few thousand per second, "
                f"other filters read whole collections; Graph call counts and memory do not depend on it."
            )
        return f"Database: {self.server}."


# --- the simulator in its own process ------------------------------------------------------------------------
class SimulatorProcess:
    """`python -m metasync.simulator` on a free loopback port, so its CPU is not the client's."""

    def __init__(
        self,
        campaigns: int,
        ad_sets_per_campaign: int,
        ads_per_ad_set: int,
        days: int = 30,
        seed: int = 7,
        latency_ms: int = 0,
        extra: tuple[str, ...] = (),
    ):
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.argv = [
            sys.executable,
            "-m",
            "metasync.simulator",
            "--quiet",
            "--port",
            str(self.port),
            "--campaigns",
            str(campaigns),
            "--ad-sets-per-campaign",
            str(ad_sets_per_campaign),
            "--ads-per-ad-set",
            str(ads_per_ad_set),
            "--days",
            str(days),
            "--seed",
            str(seed),
            "--latency-ms",
            str(latency_ms),
            "--app-id",
            APP_ID,
            "--app-secret",
            APP_SECRET,
            "--report-polls",
            "1",
            *extra,
        ]
        self.http = requests.Session()
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> SimulatorProcess:
        self.process = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 120
        while True:
            try:
                if self.http.get(f"{self.base_url}/__sim/health", timeout=2).ok:
                    break
            except requests.RequestException:
                pass
            if self.process.poll() is not None:
                raise BenchError(f"the simulator exited with code {self.process.returncode}")
            if time.monotonic() > deadline:
                raise BenchError("the simulator did not answer within 120 s")
            time.sleep(0.1)
        # A benchmark measures metasync, not Meta's throttling: usage headers stay low however many calls we make.
        self.configure(app_call_capacity=10**9, account_call_capacity=10**9)
        os.environ["META_GRAPH_URL"] = self.base_url
        return self

    def configure(self, **values: Any) -> dict:
        response = self.http.post(f"{self.base_url}/__sim/config", json=values, timeout=10)
        response.raise_for_status()
        return response.json()

    def calls(self) -> int:
        return self.http.get(f"{self.base_url}/__sim/calls", timeout=10).json()["total"]

    def world(self) -> dict:
        return self.http.get(f"{self.base_url}/__sim/world", timeout=30).json()

    def __exit__(self, *exc: Any) -> None:
        self.http.close()
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


# --- measured runs in child processes ------------------------------------------------------------------------
def _rss_mb(field: str) -> float:
    """VmRSS (now) or VmHWM (peak) of this process, in MiB (Linux)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _child_main(conn, target: Callable[..., dict], kwargs: dict) -> None:
    try:
        from metasync.infra import db

        db.connect()
        baseline = _rss_mb("VmRSS")
        result = target(**kwargs)
        result.update(peak_rss_mb=round(_rss_mb("VmHWM"), 1), baseline_rss_mb=round(baseline, 1))
        conn.send(result)
    except BaseException as exc:  # noqa: BLE001 - reported to the parent, which fails with it
        conn.send({"error": f"{exc.__class__.__name__}: {exc}", "traceback": traceback.format_exc()})
    finally:
        conn.close()


def run_in_child(target: Callable[..., dict], **kwargs: Any) -> dict:
    """Run `target(**kwargs)` in a fresh (spawned) interpreter: its peak RSS is the run's alone.

    `baseline_rss_mb` is the child's RSS after imports and the database connection, before the run.
    """
    context = multiprocessing.get_context("spawn")
    receive, send = context.Pipe(duplex=False)
    process = context.Process(target=_child_main, args=(send, target, kwargs))
    process.start()
    send.close()
    result: dict | None = None
    try:
        result = receive.recv()
    except EOFError:
        result = {"error": "the child process died without a result"}
    finally:
        if result is None:  # interrupted: do not leave the run going on its own
            process.terminate()
        process.join()
    if "error" in result:
        raise BenchError(
            f"{getattr(target, '__name__', target)} failed: {result['error']}\n{result.get('traceback', '')}"
        )
    return result


def bench_connection(tenant: str = TENANT):
    """The bench connection of `tenant` (created on first use) for the simulator's first ad account."""
    from metasync.connections.registry import upsert_connection
    from metasync.store.documents import MetaConnection

    connection = MetaConnection.objects(tenant_id=tenant).first()
    if connection is None:
        connection, _ = upsert_connection(tenant, "act_1000000001", TOKEN, f"bench-user-{tenant}")
    return connection


# --- results -------------------------------------------------------------------------------------------------
class Results:
    """Rows of one benchmark: printed as a Markdown table, appended to <name>.jsonl, written to <name>.md."""

    def __init__(self, name: str, args: argparse.Namespace, env: BenchEnv):
        self.name = name
        self.args = args
        self.env = env
        self.rows: list[dict[str, Any]] = []
        self.notes: list[str] = []
        self.started = datetime.now(timezone.utc)

    def add(self, **row: Any) -> dict[str, Any]:
        self.rows.append(row)
        return row

    def note(self, text: str) -> None:
        self.notes.append(text)
        print(text, flush=True)

    def markdown(self, columns: list[tuple[str, str]], rows: list[dict[str, Any]]) -> str:
        lines = ["| " + " | ".join(title for _, title in columns) + " |", "|" + "|".join("---" for _ in columns) + "|"]
        for row in rows:
            lines.append("| " + " | ".join(_cell(row.get(key)) for key, _ in columns) + " |")
        return "\n".join(lines)

    def save(self, tables: list[tuple[str, list[tuple[str, str]], Callable[[dict], bool]]], title: str) -> Path:
        """`tables`: (heading, columns, which rows) for each table of the Markdown file."""
        meta = {
            "benchmark": self.name,
            "at": self.started.isoformat(timespec="seconds"),
            "quick": self.args.quick,
            "database": self.env.server,
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "machine": platform.machine(),
        }
        self.args.results_dir.mkdir(parents=True, exist_ok=True)
        with open(self.args.results_dir / f"{self.name}.jsonl", "a") as out:
            for row in self.rows:
                out.write(json.dumps({**meta, **row}, default=str) + "\n")
        text = (
            f"## {title}\n\n{self.started:%Y-%m-%d %H:%M} UTC, {meta['cpus']} CPUs, Python {meta['python']}"
            f"{', --quick' if self.args.quick else ''}. {self.env.slow_writes_note()}\n"
        )
        for heading, columns, which in tables:
            rows = [row for row in self.rows if which(row)]
            if rows:
                text += (
                    f"\n### {heading}\n\n{self.markdown(columns, rows)}\n"
                    if heading
                    else f"\n{self.markdown(columns, rows)}\n"
                )
        if self.notes:
            text += "\n" + "\n".join(f"- {n}" for n in self.notes) + "\n"
        path = self.args.results_dir / f"{self.name}.md"
        path.write_text(text)
        print("\n" + text, flush=True)
        return path


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:,.2f}" if abs(value) < 100 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def ratio(a: float, b: float) -> float | None:
    return round(a / b, 2) if b else None


def main_guard(
    run: Callable[[argparse.Namespace], None], parser: argparse.ArgumentParser, argv: list[str] | None = None
) -> int:
    args = parser.parse_args(argv)
    # Stopped with SIGTERM: unwind like Ctrl-C, so the simulator and the measured child are stopped too.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        run(args)
    except BenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0
