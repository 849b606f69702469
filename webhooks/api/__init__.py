"""The JSON API under /api/v1 (connections, runs, freshness, rate budget, reports, changes) and its OpenAPI
document; `init_api(app)` adds it to the web app."""

from __future__ import annotations

import redis
from flask import Flask

from webhooks.api import views  # noqa: F401  (registers the routes)
from webhooks.api.routing import PREFIX, ROUTES, bp
from webhooks.api.security import ApiState, KeyLimiter, install
from webhooks.publisher import TaskPublisher


def init_api(app: Flask) -> None:
    """Register the API blueprint with its key limiter (Redis) and task sender (the broker, bounded waits);
    `API_TASK_SENDER` in the config replaces the sender (tests)."""
    config = app.config
    timeout = config["WEBHOOK_BROKER_TIMEOUT_SECONDS"]
    client = redis.Redis.from_url(config["REDIS_URL"], socket_timeout=timeout, socket_connect_timeout=timeout)
    send = config.get("API_TASK_SENDER")
    if send is None:
        send = TaskPublisher(config["CELERY_BROKER_URL"], timeout).send

    origins = tuple(o.strip() for o in config.get("API_CORS_ORIGINS", "").split(",") if o.strip())
    install(app, ApiState(KeyLimiter(client, config["API_RATE_LIMIT_PER_MINUTE"]), send, origins))
    app.register_blueprint(bp)


__all__ = ["PREFIX", "ROUTES", "init_api"]
