"""Load test for the webhook receiver (not a test): gunicorn on loopback, signed POSTs for a bounded time.

    eval "$(scripts/services.sh env)"
    .venv/bin/python bench/load_webhooks.py --seconds 10 --concurrency 8

Starts `webhooks.wsgi:app` under gunicorn on 127.0.0.1 (a free port) with a throwaway app secret, against Redis
database 14 of `REDIS_URL` (broker and de-duplication both; `--redis-db` to change it), so it never touches the
queue a real worker consumes. Every POST names new object ids, so de-duplication merges nothing and the number of
messages in the broker must equal the number of changes acknowledged. Prints requests/s, p50/p99 latency and
enqueued-vs-sent; exits 1 if they differ. Stops gunicorn and deletes every key it created before exiting.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import itertools
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import redis
import requests

REPO = Path(__file__).resolve().parent.parent
QUEUE = "metasync"  # celeryconfig.task_default_queue
PENDING_PREFIX = "metasync:webhook:pending:"
MAX_SECONDS = 300
MAX_CONCURRENCY = 64


def free_loopback_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def with_db(url: str, db: int) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{db}"))


def start_gunicorn(port: int, workers: int, env: dict[str, str]) -> subprocess.Popen:
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--timeout",
        "30",
        "--log-level",
        "warning",
        "webhooks.wsgi:app",
    ]
    return subprocess.Popen(command, cwd=REPO, env=env, stdin=subprocess.DEVNULL)


def wait_until_serving(address: tuple[str, int], server: subprocess.Popen, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited with code {server.returncode} before serving")
        try:
            socket.create_connection(address, timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"gunicorn did not answer within {timeout:.0f}s")


def stop(server: subprocess.Popen) -> None:
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


class Load:
    """Sends signed deliveries from `concurrency` threads until the deadline, recording latency and outcome."""

    def __init__(self, url: str, secret: str, changes_per_post: int):
        self.url = url
        self.secret = secret.encode()
        self.changes_per_post = changes_per_post
        self.ids = itertools.count(10**12)  # fresh object ids, so nothing is a duplicate
        self.lock = threading.Lock()
        self.latencies: list[float] = []
        self.statuses: Counter[str] = Counter()
        self.changes_acked = 0
        self.enqueued_reported = 0

    def body(self) -> bytes:
        with self.lock:
            ids = [next(self.ids) for _ in range(self.changes_per_post)]
        changes = [
            {"field": "in_process_ad_objects", "value": {"id": str(i), "level": "AD", "status_name": "In process"}}
            for i in ids
        ]
        return json.dumps(
            {"object": "ad_account", "entry": [{"id": "1234567890", "time": int(time.time()), "changes": changes}]}
        ).encode()

    def worker(self, deadline: float) -> None:
        session = requests.Session()
        while time.monotonic() < deadline:
            raw = self.body()
            signature = "sha256=" + hmac.new(self.secret, raw, hashlib.sha256).hexdigest()
            started = time.perf_counter()
            try:
                response = session.post(
                    self.url,
                    data=raw,
                    timeout=10,
                    headers={"Content-Type": "application/json", "X-Hub-Signature-256": signature},
                )
                outcome, summary = str(response.status_code), response.json() if response.ok else {}
            except (requests.RequestException, ValueError) as exc:
                outcome, summary = exc.__class__.__name__, {}
            elapsed = time.perf_counter() - started
            with self.lock:
                self.latencies.append(elapsed)
                self.statuses[outcome] += 1
                if outcome == "200":
                    self.changes_acked += self.changes_per_post
                    self.enqueued_reported += int(summary.get("enqueued", 0))


def percentile(sorted_values: list[float], fraction: float) -> float:
    if not sorted_values:
        return float("nan")
    return sorted_values[min(len(sorted_values) - 1, int(fraction * len(sorted_values)))]


def count_keys(client: redis.Redis, prefix: str) -> int:
    return sum(1 for _ in client.scan_iter(match=f"{prefix}*", count=1000))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=10.0, help=f"how long to send (max {MAX_SECONDS})")
    parser.add_argument("--concurrency", type=int, default=8, help="client threads")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (the Procfile default is 2)")
    parser.add_argument("--changes-per-post", type=int, default=1, help="object changes in each delivery")
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
    parser.add_argument("--redis-db", type=int, default=14, help="database used as broker and dedupe store")
    args = parser.parse_args(argv)
    if not 0 < args.seconds <= MAX_SECONDS or not 0 < args.concurrency <= MAX_CONCURRENCY:
        parser.error(f"--seconds must be in (0, {MAX_SECONDS}] and --concurrency in [1, {MAX_CONCURRENCY}]")
    if urlsplit(args.redis_url).hostname not in ("127.0.0.1", "localhost", "::1"):
        parser.error("--redis-url must be on loopback: this script only ever talks to this machine")

    bench_url = with_db(args.redis_url, args.redis_db)
    store = redis.Redis.from_url(bench_url, socket_timeout=5, socket_connect_timeout=5)
    store.ping()
    if store.llen(QUEUE):
        raise SystemExit(f"{bench_url} already holds {store.llen(QUEUE)} queued messages; pick another --redis-db")
    keys_before = set(store.scan_iter(count=1000))

    secret = secrets.token_hex(16)
    env = {
        **os.environ,
        "REDIS_URL": bench_url,
        "CELERY_BROKER_URL": bench_url,
        "META_APP_SECRET": secret,
        "META_APP_VERIFY_TOKEN": secrets.token_hex(8),
        "LOG_LEVEL": "WARNING",
        # Keys must outlive the run so they can be counted afterwards.
        "WEBHOOK_DEDUPE_SECONDS": str(int(args.seconds) + 120),
    }
    port = free_loopback_port()
    base = f"http://127.0.0.1:{port}"
    server = start_gunicorn(port, args.workers, env)
    try:
        wait_until_serving(("127.0.0.1", port), server)
        load = Load(f"{base}/webhooks/meta", secret, args.changes_per_post)
        deadline = time.monotonic() + args.seconds
        threads = [threading.Thread(target=load.worker, args=(deadline,), daemon=True) for _ in range(args.concurrency)]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=args.seconds + 30)
        duration = time.monotonic() - started
    finally:
        stop(server)

    try:
        queued = store.llen(QUEUE)
        pending = count_keys(store, PENDING_PREFIX)
    finally:
        created = [key for key in store.scan_iter(count=1000) if key not in keys_before]
        for start in range(0, len(created), 500):
            store.delete(*created[start : start + 500])
        store.close()

    latencies = sorted(load.latencies)
    total = len(latencies)
    print(
        f"gunicorn workers {args.workers}, client threads {args.concurrency}, "
        f"{args.changes_per_post} change(s) per POST, {duration:.1f}s"
    )
    print(f"requests        {total}  ({total / duration:.0f} req/s)  outcomes {dict(load.statuses)}")
    print(
        f"latency         p50 {percentile(latencies, 0.50) * 1000:.1f} ms   "
        f"p99 {percentile(latencies, 0.99) * 1000:.1f} ms"
    )
    print(f"changes acked   {load.changes_acked}  (enqueued per responses: {load.enqueued_reported})")
    print(f"in broker       {queued} messages, {pending} de-duplication keys")
    print(f"purged          {len(created)} keys created by this run")
    ok = queued == load.changes_acked == load.enqueued_reported == pending
    print("enqueued == sent: " + ("yes" if ok else "NO"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
