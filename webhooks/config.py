"""The webhook app's configuration: the shared settings plus a few knobs of its own, overridable per app.

`create_app(config)` starts from `default_config()` and applies `config` on top (tests point one app at a dead
broker this way). The webhook-only knobs read the environment here until they join `metasync.settings`.
"""

from __future__ import annotations

import os
from typing import Any, Mapping

from metasync.settings import ConfigError, Settings, get_settings

# Meta batches up to 1,000 updates per POST, a few hundred bytes each (~0.5 MB at worst): 4 MiB leaves room
# without letting a client make a worker hold an unbounded body in memory.
DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024
DEFAULT_DEDUPE_SECONDS = 60.0
# Per broker/Redis call from a request; a publish tries twice, so a dead broker answers 503 in ~2x this.
DEFAULT_BROKER_TIMEOUT_SECONDS = 2.0
# Per dependency in /healthz, so a probe answers within a couple of seconds whatever is down.
DEFAULT_HEALTH_TIMEOUT_SECONDS = 1.5


def _number(environ: Mapping[str, str], name: str, default: float, minimum: float, kind: type = float) -> Any:
    raw = (environ.get(name) or "").strip()
    if not raw:
        return kind(default)
    try:
        value = kind(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a {'whole number' if kind is int else 'number'}, got {raw!r}") from None
    if value < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, got {raw!r}")
    return value


def default_config(settings: Settings | None = None, environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    settings = settings or get_settings()
    environ = os.environ if environ is None else environ
    return {
        "META_APP_SECRET": settings.meta_app_secret,
        "META_APP_VERIFY_TOKEN": settings.meta_app_verify_token,
        "REDIS_URL": settings.redis_url,
        "CELERY_BROKER_URL": settings.broker_url,
        "MONGODB_URI": settings.mongodb_uri,
        "WEBHOOK_MAX_BODY_BYTES": _number(environ, "WEBHOOK_MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES, 1024, int),
        "WEBHOOK_DEDUPE_SECONDS": _number(environ, "WEBHOOK_DEDUPE_SECONDS", DEFAULT_DEDUPE_SECONDS, 0.001),
        "WEBHOOK_BROKER_TIMEOUT_SECONDS": _number(environ, "WEBHOOK_BROKER_TIMEOUT_SECONDS",
                                                  DEFAULT_BROKER_TIMEOUT_SECONDS, 0.01),
        "WEBHOOK_HEALTH_TIMEOUT_SECONDS": _number(environ, "WEBHOOK_HEALTH_TIMEOUT_SECONDS",
                                                  DEFAULT_HEALTH_TIMEOUT_SECONDS, 0.01),
    }
