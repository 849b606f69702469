"""The webhook app's configuration: the shared settings plus a few knobs of its own, overridable per app.

`create_app(config)` starts from `default_config()` (from `metasync.settings`) and applies `config` on top (tests
point one app at a dead broker this way).
"""

from __future__ import annotations

from typing import Any

from metasync.settings import Settings, get_settings


def default_config(settings: Settings | None = None) -> dict[str, Any]:
    settings = settings or get_settings()
    return {
        "META_APP_SECRET": settings.meta_app_secret,
        "META_APP_VERIFY_TOKEN": settings.meta_app_verify_token,
        "REDIS_URL": settings.redis_url,
        "CELERY_BROKER_URL": settings.broker_url,
        "MONGODB_URI": settings.mongodb_uri,
        "WEBHOOK_MAX_BODY_BYTES": settings.webhook_max_body_bytes,
        "WEBHOOK_DEDUPE_SECONDS": settings.webhook_dedupe_seconds,
        "WEBHOOK_BROKER_TIMEOUT_SECONDS": settings.webhook_broker_timeout_seconds,
        "WEBHOOK_HEALTH_TIMEOUT_SECONDS": settings.webhook_health_timeout_seconds,
        "METRICS_PUBLIC": settings.metrics_public,
        "METRICS_BROKER_TIMEOUT_SECONDS": settings.metrics_broker_timeout_seconds,
        "API_RATE_LIMIT_PER_MINUTE": settings.api_rate_limit_per_minute,
        "API_CORS_ORIGINS": settings.api_cors_origins,
    }
