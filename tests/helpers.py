"""Constants and small helpers shared by several test files: the session's fake credentials, tokens, CLI reports,
the broker queue and Redis expiry."""

from __future__ import annotations

import base64
import json
import time
from datetime import datetime, timedelta, timezone
from typing import Any

import redis

# The Meta app as tests/conftest.py configures it for the whole session.
APP_ID = "111"
APP_SECRET = "test-app-secret"
VERIFY_TOKEN = "verify-me"
GRAPH_URL = "https://graph.test"

# Access tokens that no output, log line or error message may ever show.
TOKEN = "EAAtest-secret-token-one"
OTHER_TOKEN = "EAAtest-secret-token-two"
APP_TOKEN = "111|app-token-secret-part"
NEVER_SHOWN = (TOKEN, OTHER_TOKEN, APP_TOKEN, APP_SECRET, VERIFY_TOKEN)

QUEUE = "metasync"  # celeryconfig.task_default_queue


def json_of(result) -> dict:
    """The first JSON object a command printed."""
    return json.loads(next(line for line in result.output.splitlines() if line.startswith("{")))


def by_name(report: dict) -> dict[str, dict]:
    """The checks of a `check --json` / `doctor --json` report, by name."""
    return {check["name"]: check for check in report["checks"]}


def epoch_in(days: float) -> int:
    """Unix time `days` from now (negative: in the past), as Meta's debug_token reports expiry."""
    return int((datetime.now(timezone.utc) + timedelta(days=days)).timestamp())


def cli_add_connection(cli, tenant: str = "t1", account: str = "act_123") -> str:
    """`metasync connections add` with TOKEN; returns the new connection's id."""
    result = cli("connections", "add", "--tenant", tenant, "--ad-account", account, "--token", TOKEN)
    assert result.exit_code == 0, result.output
    return result.output.split()[2]


def run_doctor_process(**env: str):
    """`metasync doctor --json --no-workers-ok` as a child process, with `env` over the session's environment."""
    import os
    import subprocess
    import sys

    return subprocess.run(
        [sys.executable, "-m", "metasync.cli", "doctor", "--json", "--no-workers-ok"],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=90,
    )


def wait_until_expired(redis_client, key: str, timeout: float = 5.0) -> None:
    """Poll until Redis has expired `key` (the server keeps its own time: no clock to inject)."""
    deadline = time.monotonic() + timeout
    while redis_client.exists(key):
        assert time.monotonic() < deadline, f"{key} never expired"
        time.sleep(0.02)


def queued_tasks(client: redis.Redis, queue: str = QUEUE) -> list[tuple[str, list[Any]]]:
    """(task name, args) of each message waiting in the broker queue (kombu's Redis format), oldest first."""
    tasks = []
    for raw in reversed(client.lrange(queue, 0, -1)):
        message = json.loads(raw)
        args, _kwargs, _embed = json.loads(base64.b64decode(message["body"]))
        tasks.append((message["headers"]["task"], args))
    return tasks
