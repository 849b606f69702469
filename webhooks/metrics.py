"""`GET /metrics`: Prometheus text for an admin API key (`Authorization: Bearer <key>`), or for anyone when
`METRICS_PUBLIC=true`; 401 otherwise. The numbers come from shared state (`metasync.ops.metrics`), so every web
worker answers the same."""

from __future__ import annotations

import redis
from flask import Blueprint, Flask, Response, current_app, jsonify, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from pymongo.errors import PyMongoError

from metasync.access.keys import authenticate
from metasync.infra import db
from metasync.ops.metrics import MetasyncCollector, MetricsSources

bp = Blueprint("metrics", __name__)

EXTENSION = "metasync_metrics"


@bp.record_once
def _setup(state) -> None:
    app: Flask = state.app
    config = app.config
    timeout = config["METRICS_BROKER_TIMEOUT_SECONDS"]
    from metasync.celery import app as celery_app

    sources = MetricsSources(
        redis=redis.Redis.from_url(config["REDIS_URL"], socket_timeout=timeout, socket_connect_timeout=timeout),
        broker_url=config["CELERY_BROKER_URL"],
        queues=(celery_app.conf.task_default_queue,),
        broker_timeout=timeout,
    )
    registry = CollectorRegistry(auto_describe=False)
    registry.register(MetasyncCollector(sources))
    app.extensions[EXTENSION] = registry


def _allowed() -> bool:
    if current_app.config["METRICS_PUBLIC"]:
        return True
    scheme, _, raw = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not raw.strip():
        return False
    db.connect()
    principal = authenticate(raw.strip())
    return principal is not None and principal.is_admin


@bp.get("/metrics")
def metrics():
    try:
        allowed = _allowed()
    except PyMongoError as exc:
        return jsonify(error=f"API keys cannot be checked now ({exc.__class__.__name__})", reason="unavailable"), 503
    if not allowed:
        response = jsonify(error="an admin API key is required: Authorization: Bearer <key>", reason="unauthorized")
        response.status_code = 401
        response.headers["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    db.connect()
    body = generate_latest(current_app.extensions[EXTENSION])
    return Response(body, content_type=CONTENT_TYPE_LATEST, headers={"Cache-Control": "no-store"})
