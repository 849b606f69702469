"""Test session setup: real Redis and a real MongoDB-compatible server, test-only settings.

At `pytest_configure` (before test modules are imported):
  * MONGODB_URI / REDIS_URL from the environment are used when they answer; otherwise `scripts/services.sh start`
    starts local servers (Redis on 6390, FerretDB on 27027) and `scripts/services.sh env` says where they are;
  * the environment is set for the whole session: a fresh database `metasync_test_<random>` on that server,
    Redis db 15 for REDIS_URL and CELERY_BROKER_URL, fake Meta app credentials, a Fernet key, a high rate limit;
  * `metasync.settings.reset_settings_cache()` so `get_settings()` sees them.
The test database is dropped at the end of the session.

Fixtures: `mongo` (the pymongo Database; mongoengine connected as alias "default"; every collection emptied after
each test) and `redis_client` (redis.Redis on db 15, flushed before and after each test).
"""

from __future__ import annotations

import os
import secrets
import shlex
import subprocess
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pymongo
import pytest
import redis as redis_lib
from cryptography.fernet import Fernet

REPO = Path(__file__).resolve().parent.parent
SERVICES_SCRIPT = REPO / "scripts" / "services.sh"
TEST_REDIS_DB = 15

_saved_environ: dict[str, str] | None = None
_test_db_name: str | None = None


def _mongo_reachable(uri: str) -> bool:
    try:
        with pymongo.MongoClient(uri, serverSelectionTimeoutMS=3000, connectTimeoutMS=3000) as client:
            client.admin.command("ping")
        return True
    except Exception:
        return False


def _redis_reachable(url: str) -> bool:
    try:
        client = redis_lib.Redis.from_url(url, socket_connect_timeout=3, socket_timeout=3)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except Exception:
        return False


def _run_services(*args: str) -> str:
    proc = subprocess.run(
        ["bash", str(SERVICES_SCRIPT), *args],
        cwd=REPO,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=1200,  # a first run may install redis-server and build FerretDB
    )
    if proc.returncode != 0:
        raise pytest.UsageError(
            f"scripts/services.sh {' '.join(args)} failed (exit {proc.returncode}):\n{proc.stderr}{proc.stdout}"
        )
    return proc.stdout


def _server_urls() -> tuple[str, str]:
    """(MONGODB_URI, REDIS_URL) of servers that answer, starting local ones when needed."""
    mongo_uri = os.environ.get("MONGODB_URI", "").strip()
    redis_url = os.environ.get("REDIS_URL", "").strip()
    if mongo_uri and redis_url and _mongo_reachable(mongo_uri) and _redis_reachable(redis_url):
        return mongo_uri, redis_url
    _run_services("start")
    exported: dict[str, str] = {}
    for line in _run_services("env").splitlines():
        parts = shlex.split(line)
        if len(parts) == 2 and parts[0] == "export" and "=" in parts[1]:
            key, value = parts[1].split("=", 1)
            exported[key] = value
    try:
        return exported["MONGODB_URI"], exported["REDIS_URL"]
    except KeyError:
        raise pytest.UsageError(f"scripts/services.sh env printed no MONGODB_URI/REDIS_URL: {exported!r}") from None


def _with_path(url: str, path: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=path))


def pytest_configure(config: pytest.Config) -> None:
    global _saved_environ, _test_db_name
    if config.getoption("help", default=False) or config.getoption("version", default=False):
        return
    if _saved_environ is not None:  # already configured (e.g. pytester running in-process)
        return
    mongo_uri, redis_url = _server_urls()
    _test_db_name = f"metasync_test_{secrets.token_hex(4)}"
    test_redis_url = _with_path(redis_url, f"/{TEST_REDIS_DB}")

    _saved_environ = dict(os.environ)
    os.environ.update(
        {
            "MONGODB_URI": _with_path(mongo_uri, f"/{_test_db_name}"),
            "REDIS_URL": test_redis_url,
            "CELERY_BROKER_URL": test_redis_url,
            "META_GRAPH_URL": "https://graph.test",
            "META_APP_SECRET": "test-app-secret",
            "META_APP_ID": "111",
            "META_APP_VERIFY_TOKEN": "verify-me",
            "TOKEN_ENCRYPTION_KEY": Fernet.generate_key().decode(),
            "META_RATE_LIMIT_PER_HOUR": "100000",
        }
    )
    from metasync.settings import reset_settings_cache

    reset_settings_cache()


def pytest_unconfigure(config: pytest.Config) -> None:
    global _saved_environ
    if _saved_environ is None:
        return
    try:
        import mongoengine

        mongoengine.disconnect_all()
        if _test_db_name:
            with pymongo.MongoClient(os.environ["MONGODB_URI"], serverSelectionTimeoutMS=5000) as client:
                client.drop_database(_test_db_name)
    finally:
        os.environ.clear()
        os.environ.update(_saved_environ)
        _saved_environ = None
        from metasync.settings import reset_settings_cache

        reset_settings_cache()


@pytest.fixture(scope="session")
def _mongo_database():
    """The project's own connection (metasync.infra.db), so tests and project code share one client."""
    from metasync.infra import db as project_db

    db = project_db.connect()
    assert db.name == _test_db_name, (db.name, _test_db_name)
    yield db
    project_db.disconnect()


@pytest.fixture
def mongo(_mongo_database):
    """The test database (pymongo); all documents are deleted after each test (indexes are kept)."""
    yield _mongo_database
    for name in _mongo_database.list_collection_names():
        if not name.startswith("system."):
            _mongo_database[name].delete_many({})


@pytest.fixture
def redis_client():
    """redis.Redis on the test db (15), empty at the start and flushed at the end of each test."""
    client = redis_lib.Redis.from_url(os.environ["REDIS_URL"])
    client.flushdb()
    try:
        yield client
    finally:
        client.flushdb()
        client.close()


@pytest.fixture
def settings_env(monkeypatch):
    """Override settings for one test: `settings_env(META_PAGE_SIZE="100")`; restored afterwards."""
    from metasync.settings import reset_settings_cache

    def apply(**env: str) -> None:
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        reset_settings_cache()

    yield apply
    monkeypatch.undo()
    reset_settings_cache()


@pytest.fixture(autouse=True)
def fast_retries(monkeypatch):
    """In-call retries without the 1 s / 2 s / 4 s waits (the retry counts stay as in production)."""
    from metasync.graph.client import GraphClient

    monkeypatch.setattr(GraphClient, "retry_base_seconds", 0)


@pytest.fixture
def task_retries(monkeypatch):
    """`task_retries(task)`: record that Celery task's retry requests instead of re-running it eagerly."""
    from celery.exceptions import Retry

    def patch(task) -> list[dict]:
        calls: list[dict] = []

        def fake_retry(*args, **kwargs):
            calls.append(kwargs)
            return Retry("retry requested", when=kwargs.get("countdown"))

        monkeypatch.setattr(task, "retry", fake_retry)
        return calls

    return patch


@pytest.fixture
def graph():
    """Graph HTTP scripted with `responses` (unused registrations allowed); test modules may narrow it."""
    import responses

    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps
