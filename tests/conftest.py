"""Test session setup: test-only settings always; real Redis and a MongoDB-compatible server for `services` tests.

Test files mirror modules: `tests/test_<package>_<module>.py` tests `metasync/<package>/<module>.py` (and
`tasks/<module>.py`, `webhooks/<module>.py` as packages `tasks` and `webhooks`); `test_<module>.py` tests a module
at the top of `metasync/` or the repository (settings, demo, celeryconfig). What a command line user sees is in
`test_cli_<module>.py`. Checks of the repository itself keep their own names (test_deployment.py,
test_bench_smoke.py, test_services_smoke.py, test_conftest.py). Shared fixtures live here; shared helpers in
helpers.py, graph_fakes.py and webhook_fakes.py.

Every test that needs Redis or MongoDB (directly, or through a worker, a broker or a child process) is marked
`services`; the rest need no server and run in seconds:

    env MONGODB_URI=mongodb://127.0.0.1:1/x REDIS_URL=redis://127.0.0.1:1/0 .venv/bin/pytest -m "not services" -q

At `pytest_configure` (before test modules are imported):
  * always: fake Meta app credentials, a Fernet key and a high rate limit, then `reset_settings_cache()`;
  * when the `-m` expression can select a `services` test (the default): MONGODB_URI / REDIS_URL from the
    environment are used when they answer, otherwise `scripts/services.sh start` starts local servers; the session
    gets a fresh database `metasync_test_<random>` (dropped at the end) and Redis db 15 as REDIS_URL and broker;
  * otherwise (e.g. `-m "not services"`) nothing is started and MONGODB_URI / REDIS_URL stay as given.
A test that uses a server fixture (`mongo`, `redis_client`, or one built on them) without the `services` mark is
a collection error.
"""

from __future__ import annotations

import itertools
import os
import re
import secrets
import shlex
import subprocess
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pymongo
import pytest
import redis as redis_lib
from cryptography.fernet import Fernet

from tests.helpers import APP_ID, APP_SECRET, GRAPH_URL, NEVER_SHOWN, TOKEN, VERIFY_TOKEN

REPO = Path(__file__).resolve().parent.parent
SERVICES_SCRIPT = REPO / "scripts" / "services.sh"
TEST_REDIS_DB = 15
SERVICES_MARK = "services"
# Fixtures that talk to a server; tests using them (or a fixture built on them) must be marked `services`.
SERVER_FIXTURES = frozenset({"_mongo_database", "mongo", "redis_client", "amqp_url"})

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


def selects_services(markexpr: str) -> bool:
    """Whether `-m markexpr` can select a test marked `services`, whatever other marks that test has."""
    if not markexpr.strip():
        return True
    names = set(re.findall(r"[\w:+\-.\[\]\\/]+", markexpr)) - {"and", "or", "not", SERVICES_MARK}
    if re.search(r"[\w\]]\(", markexpr) or len(names) > 10:
        return True  # keyword arguments or a long expression: do not guess, start the servers
    from _pytest.mark.expression import Expression

    expression = Expression.compile(markexpr)
    for size in range(len(names) + 1):
        for others in itertools.combinations(sorted(names), size):
            marks = {SERVICES_MARK, *others}
            if expression.evaluate(lambda name, /, marks=marks, **kwargs: not kwargs and name in marks):
                return True
    return False


def _test_settings() -> dict[str, str]:
    return {
        "META_GRAPH_URL": GRAPH_URL,
        "META_APP_SECRET": APP_SECRET,
        "META_APP_ID": APP_ID,
        "META_APP_VERIFY_TOKEN": VERIFY_TOKEN,
        "TOKEN_ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "META_RATE_LIMIT_PER_HOUR": "100000",
    }


def pytest_configure(config: pytest.Config) -> None:
    global _saved_environ, _test_db_name
    if config.getoption("help", default=False) or config.getoption("version", default=False):
        return
    if _saved_environ is not None:  # already configured (e.g. pytester running in-process)
        return
    environ = _test_settings()
    if selects_services(config.getoption("markexpr", default="") or ""):
        mongo_uri, redis_url = _server_urls()
        _test_db_name = f"metasync_test_{secrets.token_hex(4)}"
        test_redis_url = _with_path(redis_url, f"/{TEST_REDIS_DB}")
        environ.update(
            MONGODB_URI=_with_path(mongo_uri, f"/{_test_db_name}"),
            REDIS_URL=test_redis_url,
            CELERY_BROKER_URL=test_redis_url,
        )

    _saved_environ = dict(os.environ)
    os.environ.update(environ)
    from metasync.settings import reset_settings_cache

    reset_settings_cache()


def pytest_unconfigure(config: pytest.Config) -> None:
    global _saved_environ, _test_db_name
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
        _saved_environ = _test_db_name = None
        from metasync.settings import reset_settings_cache

        reset_settings_cache()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    unmarked = [
        item.nodeid
        for item in items
        if SERVER_FIXTURES & set(getattr(item, "fixturenames", ())) and not item.get_closest_marker(SERVICES_MARK)
    ]
    if unmarked:
        raise pytest.UsageError(
            "these tests use a server fixture but are not marked services:\n  " + "\n  ".join(unmarked)
        )


# --- servers (services tests only) ---------------------------------------------------------------------------
@pytest.fixture(scope="session")
def _mongo_database():
    """The project's own connection (metasync.infra.db), so tests and project code share one client."""
    if _test_db_name is None:
        pytest.fail("no test database: this run started no servers (its -m expression deselects services)")
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
    if _test_db_name is None:
        pytest.fail("no test Redis: this run started no servers (its -m expression deselects services)")
    client = redis_lib.Redis.from_url(os.environ["REDIS_URL"])
    client.flushdb()
    try:
        yield client
    finally:
        client.flushdb()
        client.close()


@pytest.fixture
def shared_db(mongo):
    """Tell `metasync.infra.db` that mongoengine is already connected (by the `mongo` fixture) to the test
    database, so task code calling `db.connect()` reuses that connection instead of closing it."""
    from metasync.infra import db
    from metasync.settings import get_settings

    db._connected_pid, db._connected_uri = os.getpid(), get_settings().mongodb_uri
    return mongo


@pytest.fixture
def connection(shared_db, redis_client):
    """One active connection: tenant-a, ad account act_123, TOKEN, Meta user 42."""
    from metasync.connections.registry import upsert_connection

    conn, _ = upsert_connection("tenant-a", "act_123", TOKEN, user_id="42")
    return conn


@pytest.fixture
def indexed(mongo):
    """The test database with every index the documents declare."""
    from metasync.store.documents import ensure_indexes

    ensure_indexes()
    return mongo


@pytest.fixture
def insights(graph):
    """The insights edge of act_123 (`FakeInsights`), with no rows until a test adds them."""
    from tests.graph_fakes import FakeInsights

    return FakeInsights(graph)


@pytest.fixture
def account_graph(graph):
    """`graph` also serving act_123's account node (currency and timezone) and its edges, empty."""
    from tests.graph_fakes import FakeAccount

    FakeAccount(graph)
    return graph


@pytest.fixture
def cli(mongo, redis_client):
    """`cli(*args)`: `metasync *args` in-process; fails the test when a token or secret shows in the output."""
    from click.testing import CliRunner

    from metasync.cli import main

    runner = CliRunner()

    def invoke(*args):
        result = runner.invoke(main, list(args), catch_exceptions=False)
        for secret in filter(None, NEVER_SHOWN + (os.environ.get("TOKEN_ENCRYPTION_KEY", ""),)):
            assert secret not in result.output and secret not in (result.stderr or "")
        return result

    return invoke


@pytest.fixture
def synced_connection(cli):
    """A connection (t1, act_123, TOKEN) synced once with `metasync sync`: one campaign."""
    import responses

    from metasync.connections.registry import upsert_connection
    from tests.graph_fakes import FakeAccount, campaign

    connection, _ = upsert_connection("t1", "act_123", TOKEN)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as graph:
        FakeAccount(graph, "act_123").edges["campaigns"] = [campaign("1")]
        cli("sync", "--connection", str(connection.id))
    return connection


@pytest.fixture
def make_app(redis_client):
    """`make_app(**config)`: the webhook Flask app on the test Redis and broker, closed after the test."""
    from webhooks import create_app
    from webhooks.views import EXTENSION

    apps = []

    def make(**config):
        app = create_app(config)
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.extensions[EXTENSION].close()


@pytest.fixture
def client(make_app):
    """A test client of the webhook app with the session's settings."""
    return make_app().test_client()


# --- settings and speed (every test) -------------------------------------------------------------------------
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


@pytest.fixture
def configure(settings_env):
    """settings_env, and a Redis client made from the settings in force (before and after)."""
    from metasync.infra.redis_client import reset_redis

    def apply(**env):
        settings_env(**env)
        reset_redis()

    yield apply
    reset_redis()


@pytest.fixture(autouse=True)
def fast_retries(monkeypatch):
    """In-call retries without the 1 s / 2 s / 4 s waits (the retry counts stay as in production)."""
    from metasync.graph.client import GraphClient

    monkeypatch.setattr(GraphClient, "retry_base_seconds", 0)


@pytest.fixture(autouse=True)
def fast_report_polls(monkeypatch):
    """Asynchronous insights reports polled without waiting between polls."""
    from metasync.performance import fetch

    monkeypatch.setattr(fetch, "REPORT_POLICY", fetch.ReportPolicy(poll_seconds=0))


@pytest.fixture
def today():
    """Today in the fake ad account's timezone."""
    from metasync.performance.dates import local_today
    from tests.graph_fakes import TZ

    return local_today(TZ)


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


@pytest.fixture
def amqp_url():
    """The local RabbitMQ that `make test` starts (METASYNC_AMQP_URL), for the cases that run on both brokers."""
    url = os.environ.get("METASYNC_AMQP_URL")
    if not url:
        pytest.skip(
            "RabbitMQ is not running: `make test` starts it (METASYNC_WITH_RABBITMQ=1 scripts/services.sh start)"
        )
    return url
