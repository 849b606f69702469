"""`metasync doctor`: one check per part of the system (configuration, MongoDB, Redis, Celery, rate limits,
connections, the webhook app, optionally a live sync), each with pass / warn / fail and a reason.

A check never raises: whatever goes wrong becomes a failed line naming the cause. Nothing secret is reported.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from metasync.infra.logs import redact
from metasync.infra.queues import passive_queue_length
from metasync.settings import SECRET_SETTINGS, ConfigError, Settings, mask_url_password

log = logging.getLogger(__name__)

PASS, WARN, FAIL, SKIP = "pass", "warn", "fail", "skip"
# Connections not synced for this many intervals are reported as stale.
STALE_INTERVALS = 3
# A harmless Meta-shaped delivery: no entries, so the webhook app acknowledges it and enqueues nothing.
# Starting Python and the web app takes about a second; a hung dependency is cut off by its own timeouts.
SELF_TEST_TIMEOUT_SECONDS = 30
SELF_TEST_MODULE = "webhooks.selftest"


@dataclass
class Check:
    name: str
    status: str
    detail: str
    data: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        out = {"name": self.name, "status": self.status, "detail": self.detail}
        if self.data:
            out["data"] = self.data
        return out


def all_passed(checks: list[Check]) -> bool:
    """Warnings and skipped checks do not fail the run; a single failure does."""
    return not any(c.status == FAIL for c in checks)


def _failed(name: str, exc: BaseException, what: str = "") -> Check:
    reason = redact(f"{exc.__class__.__name__}: {exc}")[:300]
    return Check(name, FAIL, f"{what}{': ' if what else ''}{reason}")


def guarded(name: str, check: Callable[[], Check | list[Check]]) -> list[Check]:
    try:
        result = check()
    except Exception as exc:
        return [_failed(name, exc)]
    return result if isinstance(result, list) else [result]


# --- configuration -------------------------------------------------------------------------------------------
def check_configuration(settings: Settings) -> Check:
    from metasync.infra.crypto import decrypt_token, encrypt_token

    shown = settings.describe()
    secrets = {name: shown[name] for name in SECRET_SETTINGS}
    missing = [
        name
        for name in ("META_APP_ID", "META_APP_SECRET", "TOKEN_ENCRYPTION_KEY")
        if shown.get(name) in ("", "(not set)")
    ]
    summary = (
        f"META_APP_ID={shown['META_APP_ID'] or '-'}, META_API_VERSION={shown['META_API_VERSION']}, "
        f"META_GRAPH_URL={shown['META_GRAPH_URL']}, LOG_FORMAT={shown['LOG_FORMAT']}; "
        + ", ".join(f"{k} {v.strip('()')}" for k, v in secrets.items())
    )
    data = {k: (mask_url_password(v) if "://" in v else v) for k, v in shown.items()}
    if missing:
        return Check("configuration", FAIL, f"not set: {', '.join(missing)} ({summary})", data)
    try:
        decrypt_token(encrypt_token("doctor"))
    except ConfigError as exc:
        return Check("configuration", FAIL, str(exc), data)
    if not settings.meta_app_verify_token:
        return Check(
            "configuration",
            WARN,
            f"META_APP_VERIFY_TOKEN not set: Meta cannot verify the webhook subscription ({summary})",
            data,
        )
    return Check("configuration", PASS, f"loaded: {summary}", data)


# --- MongoDB --------------------------------------------------------------------------------------------------
def _documents() -> list:
    """Every concrete metasync document (whatever modules have defined one by now)."""
    from mongoengine.base import _document_registry

    import metasync.store.documents  # noqa: F401 - registers the core documents

    docs = [
        doc
        for doc in _document_registry.values()
        if doc.__module__.startswith("metasync") and not doc._meta.get("abstract") and doc._meta.get("collection")
    ]
    return sorted(docs, key=lambda d: d._get_collection_name())


def _key(index) -> tuple:
    return tuple(
        (str(name), int(direction) if isinstance(direction, (int, float)) else direction) for name, direction in index
    )


def missing_indexes(database) -> dict[str, list[str]]:
    """Indexes the documents declare that the database lacks, by collection (read straight from the server:
    mongoengine would quietly create them on first use)."""
    missing: dict[str, list[str]] = {}
    collections = set(database.list_collection_names())
    for doc in _documents():
        name = doc._get_collection_name()
        existing = {(("_id", 1),)}
        if name in collections:
            existing |= {_key(info["key"]) for info in database[name].index_information().values()}
        lacking = [
            ",".join(f"{'-' if d == -1 else ''}{f}" for f, d in _key(index))
            for index in doc.list_indexes()
            if _key(index) not in existing
        ]
        if lacking:
            missing[name] = lacking
    return missing


def check_mongodb(settings: Settings, create_indexes: bool = False) -> list[Check]:
    import pymongo

    from metasync.infra import db
    from metasync.store.documents import ensure_indexes

    where = mask_url_password(settings.mongodb_uri)
    try:
        with pymongo.MongoClient(settings.mongodb_uri, serverSelectionTimeoutMS=3000, connectTimeoutMS=3000) as client:
            client.admin.command("ping")
            version = client.admin.command("buildInfo").get("version", "?")
    except Exception as exc:
        return [
            _failed("mongodb", exc, f"not reachable at {where}"),
            Check("indexes", SKIP, "MongoDB is not reachable"),
        ]
    checks = [Check("mongodb", PASS, f"reachable at {where} (server {version})")]
    if create_indexes:
        ensure_indexes()
    missing = missing_indexes(db.connect())
    if missing:
        listed = ", ".join(f"{coll} ({len(keys)})" for coll, keys in missing.items())
        checks.append(
            Check(
                "indexes",
                FAIL,
                f"missing on {listed}; create them: metasync doctor --create-indexes",
                {"missing": missing},
            )
        )
    else:
        checks.append(Check("indexes", PASS, f"all declared indexes present on {len(_documents())} collections"))
    return checks


# --- Redis and Celery -----------------------------------------------------------------------------------------
def check_redis(settings: Settings) -> Check:
    from metasync.infra.redis_client import get_redis

    client = get_redis()
    client.ping()
    version = client.info("server").get("redis_version", "?")
    return Check("redis", PASS, f"reachable at {mask_url_password(settings.redis_url)} (redis {version})")


def check_celery(settings: Settings, workers_required: bool = True) -> list[Check]:
    """Broker reachable (and its queue length), workers answering a ping, a beat holding the schedule lock."""
    from metasync.celery import app

    where = mask_url_password(settings.broker_url)
    queue = app.conf.task_default_queue
    try:
        with app.connection_for_write(connect_timeout=3) as conn:
            conn.ensure_connection(max_retries=1)
            waiting = passive_queue_length(conn, queue)
    except Exception as exc:
        return [
            _failed("broker", exc, f"not reachable at {where}"),
            Check("workers", SKIP, "the broker is not reachable"),
            Check("beat", SKIP, "the broker is not reachable"),
        ]
    checks = [
        Check(
            "broker",
            PASS,
            f"reachable at {where}; {waiting} messages waiting in {queue!r}",
            {"queue": queue, "waiting": waiting},
        )
    ]
    replies = app.control.ping(timeout=1.0) or []
    names = sorted(name for reply in replies for name in reply)
    if names:
        checks.append(Check("workers", PASS, f"{len(names)} answered: {', '.join(names)}", {"workers": names}))
    elif workers_required:
        checks.append(Check("workers", FAIL, "no workers answered (start one: celery -A metasync worker)"))
    else:
        checks.append(Check("workers", WARN, "no workers answered (allowed: --no-workers-ok)"))
    checks.append(_check_beat(app, workers_required))
    return checks


def _check_beat(app, required: bool) -> Check:
    import redis

    # redbeat's own key: <prefix>:lock, in redbeat_redis_url (see redbeat.schedulers.RedBeatConfig).
    prefix = app.conf.get("redbeat_key_prefix") or "redbeat:"
    lock_key = app.conf.get("redbeat_lock_key") or f"{prefix}:lock"
    url = app.conf.get("redbeat_redis_url") or app.conf.broker_url
    client = redis.Redis.from_url(url, socket_connect_timeout=3, socket_timeout=3)
    try:
        held = client.exists(lock_key if lock_key.startswith(prefix) else prefix + lock_key)
    finally:
        client.close()
    if held:
        return Check("beat", PASS, "a beat holds the schedule lock (redbeat)")
    if required:
        return Check(
            "beat",
            FAIL,
            "no beat holds the schedule lock: nothing is scheduled (start exactly one: celery -A metasync beat)",
        )
    return Check("beat", SKIP, "no beat running (allowed: --no-workers-ok)")


# --- rate limits and connections ------------------------------------------------------------------------------
def check_rate_limits(connections: list | None = None) -> Check:
    """Ad accounts paused by Meta's usage headers, and how much of each Meta user's hourly budget is used."""
    from metasync.graph.client import default_client
    from metasync.graph.ratelimit import user_key_for

    limiter = default_client().limiter
    paused = {account: round(seconds) for account, seconds in sorted(limiter.paused_accounts().items())}
    users: dict[str, float] = {}
    for connection in connections or []:
        try:
            key = user_key_for(connection.meta_user_id, "" if connection.meta_user_id else connection.access_token)
        except ConfigError:
            continue
        state = limiter.state(key)
        users[key] = round(100.0 * (1 - state.tokens / state.capacity), 1)
    busiest = max(users.items(), key=lambda kv: kv[1], default=None)
    budget = f"busiest user {busiest[0]} at {busiest[1]:.0f}% of the hourly budget" if busiest else "no users yet"
    data = {"paused_accounts": paused, "budget_used_pct": users}
    if paused:
        listed = ", ".join(f"{a} ({s}s left)" for a, s in paused.items())
        return Check("rate limits", WARN, f"{len(paused)} ad accounts paused: {listed}; {budget}", data)
    if busiest and busiest[1] >= 90:
        return Check("rate limits", WARN, f"no ad account paused; {budget}", data)
    return Check("rate limits", PASS, f"no ad account paused; {budget}", data)


def check_connections(settings: Settings, connections: list) -> Check:
    from metasync.infra.clock import as_utc, utcnow

    by_status: dict[str, int] = {}
    for connection in connections:
        by_status[connection.status] = by_status.get(connection.status, 0) + 1
    counts = ", ".join(f"{n} {s.lower()}" for s, n in sorted(by_status.items())) or "none"
    expired = sorted({c.tenant_id for c in connections if c.status == "EXPIRED"})
    stale_after = timedelta(minutes=settings.meta_sync_interval_minutes * STALE_INTERVALS)
    stale = [
        c
        for c in connections
        if c.status == "ACTIVE" and c.last_synced_at and utcnow() - as_utc(c.last_synced_at) > stale_after
    ]
    problems = []
    if expired:
        problems.append(f"tenants that must re-authenticate: {', '.join(expired)}")
    if by_status.get("ERROR"):
        problems.append(f"{by_status['ERROR']} in ERROR (see `metasync connections list`)")
    stopped = [c for c in connections if c.status == "ACCOUNT_INACTIVE"]
    if stopped:
        listed = "; ".join(f"{c.ad_account_id} ({c.tenant_id}): {c.last_error or 'inactive'}" for c in stopped[:5])
        problems.append(f"{len(stopped)} ad accounts stopped by Meta, syncs paused until active: {listed}")
    if stale:
        problems.append(f"{len(stale)} active not synced for over {STALE_INTERVALS} intervals")
    data = {
        "by_status": by_status,
        "reauthenticate": expired,
        "stale": [str(c.id) for c in stale],
        "accounts_inactive": [str(c.id) for c in stopped],
    }
    if problems:
        return Check("connections", WARN, f"{counts}; " + "; ".join(problems), data)
    return Check("connections", PASS, counts, data)


# --- webhook app ----------------------------------------------------------------------------------------------
def check_webhook_app(settings: Settings) -> Check:
    """The web app's own self-test (`python -m webhooks.selftest`, in a child process): /healthz answers, a signed
    delivery is acknowledged, a forged one is refused."""
    if not settings.meta_app_secret:
        return Check("webhook app", FAIL, "META_APP_SECRET is not set: no delivery can be verified")
    try:
        child = subprocess.run(
            [sys.executable, "-m", SELF_TEST_MODULE],
            capture_output=True,
            text=True,
            timeout=SELF_TEST_TIMEOUT_SECONDS,
            stdin=subprocess.DEVNULL,
        )
        answer = json.loads(child.stdout.strip().splitlines()[-1]) if child.returncode == 0 else None
    except (subprocess.TimeoutExpired, ValueError, IndexError) as exc:
        return _failed("webhook app", exc, "the self-test did not answer")
    if not isinstance(answer, dict):
        last = redact((child.stderr.strip().splitlines() or ["no output"])[-1])[:200]
        if last.startswith(("ModuleNotFoundError", "ImportError")) or "No module named" in last:
            return Check("webhook app", FAIL, f"cannot import the web app: {last}")
        return Check("webhook app", FAIL, f"the self-test failed (exit {child.returncode}): {last}")
    if answer.get("error"):
        return Check("webhook app", FAIL, str(answer["error"]))
    data = {key: answer.get(key) for key in ("healthz", "signed", "forged")}
    detail = f"/healthz {data['healthz']}, signed delivery {data['signed']}, forged signature {data['forged']}"
    if data["signed"] != 200:
        return Check("webhook app", FAIL, f"signed self-test delivery not acknowledged ({detail})", data)
    if data["forged"] not in (401, 403):
        return Check("webhook app", FAIL, f"a forged signature was not refused ({detail})", data)
    if data["healthz"] != 200:
        reason = f": {json.dumps(answer.get('healthz_body'), sort_keys=True)[:200]}"
        return Check("webhook app", FAIL, f"/healthz is unhealthy{reason} ({detail})", data)
    return Check("webhook app", PASS, detail, data)


# --- live sync ------------------------------------------------------------------------------------------------
def check_live_sync(connection_id: str) -> Check:
    """A real sync of one connection, under its lock like any other run."""
    from metasync.connections.registry import get_connection
    from metasync.entities.sync import sync_meta_connection
    from metasync.infra.locks import LockBusy
    from metasync.runs.guard import ConnectionInactive, guarded_job
    from metasync.runs.lifecycle import SyncFailed

    connection = get_connection(connection_id)
    if connection is None:
        return Check("live sync", FAIL, f"no connection with id {connection_id!r}")
    try:
        with guarded_job(connection):
            result = sync_meta_connection(connection, trigger="doctor")
    except ConnectionInactive as exc:
        return Check("live sync", FAIL, f"{connection.ad_account_id}: {exc}; {redact(exc.reason or 'not synced')}")
    except LockBusy:
        return Check("live sync", WARN, f"{connection.ad_account_id}: another sync of this connection is running")
    except SyncFailed as exc:
        return Check("live sync", FAIL, f"{connection.ad_account_id}: {redact(exc.message)}")
    except Exception as exc:
        return _failed("live sync", exc, connection.ad_account_id)
    return Check(
        "live sync",
        PASS,
        f"{connection.ad_account_id}: {result['campaigns_synced']} campaigns, {result['ad_sets_synced']} "
        f"ad sets, {result['ads_synced']} ads in {result['duration_ms']} ms, {result['api_calls']} Graph "
        f"calls",
        {
            k: result[k]
            for k in ("campaigns_synced", "ad_sets_synced", "ads_synced", "duration_ms", "api_calls", "errors")
        },
    )


# --- all of it ------------------------------------------------------------------------------------------------
def run_doctor(
    settings: Settings, *, workers_required: bool = True, live: str | None = None, create_indexes: bool = False
) -> list[Check]:
    checks = [check_configuration(settings)]
    mongo = guarded("mongodb", lambda: check_mongodb(settings, create_indexes))
    checks += mongo
    redis_check = guarded("redis", lambda: check_redis(settings))
    checks += redis_check
    checks += guarded("broker", lambda: check_celery(settings, workers_required))

    mongo_ok = mongo[0].status == PASS
    connections: list = []
    if mongo_ok:
        from metasync.connections.registry import select_connections

        try:
            connections = select_connections(include_inactive=True)
        except Exception as exc:
            checks.append(_failed("connections", exc))
        else:
            checks.append(check_connections(settings, connections))
    else:
        checks.append(Check("connections", SKIP, "MongoDB is not reachable"))
    if redis_check[0].status == PASS:
        checks += guarded("rate limits", lambda: check_rate_limits(connections))
    else:
        checks.append(Check("rate limits", SKIP, "Redis is not reachable"))
    checks += guarded("webhook app", lambda: check_webhook_app(settings))
    if live:
        checks += guarded("live sync", lambda: check_live_sync(live))
    return checks
