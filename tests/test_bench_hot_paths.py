"""The hot-query benchmark and the sync profile at tiny sizes (--quick), so they cannot rot."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.services


def test_hot_query_benchmark_and_sync_profile_run_and_write_their_results(tmp_path, redis_client):
    env = {
        **os.environ,
        "PYTHONUNBUFFERED": "1",
        "METASYNC_BENCH_DB": f"metasync_bench_smoke_{secrets.token_hex(3)}",
        "METASYNC_BENCH_REDIS_DB": "15",
    }
    result = subprocess.run(
        [
            sys.executable,
            str(REPO / "bench" / "run_all.py"),
            "--quick",
            "--results-dir",
            str(tmp_path),
            "--only",
            "bench_queries.py",
            "--only",
            "profile_sync.py",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
        env=env,
        cwd=REPO,
    )

    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    lines = (tmp_path / "bench_queries.jsonl").read_text().splitlines()
    queries = {row["query"]: row for row in map(json.loads, lines)}
    expected = {"status-change lookup, 500 ads", "lookback due?", "status, one connection", "webhook routing"}
    assert expected <= set(queries)
    assert all(row["after_ms"] >= 0 for row in queries.values())
    assert queries["lookback due?"]["before_ms"] > 0
    parts = {row["part"]: row for row in map(json.loads, (tmp_path / "profile_sync.jsonl").read_text().splitlines())}
    assert parts["wall time of the sync"]["seconds"] > 0
    assert parts["metasync (this process, CPU)"]["seconds"] >= 0
