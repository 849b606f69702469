"""All configuration in one place: read from the environment (and `.env`), typed, with defaults.

Redis databases by purpose (all from one `REDIS_URL` unless overridden): the broker uses `CELERY_BROKER_URL`
(defaults to `REDIS_URL`); rate-limit buckets, account pauses, locks and webhook de-duplication live in `REDIS_URL`
under the `metasync:` key prefix.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from functools import lru_cache
from typing import Callable
from urllib.parse import urlparse

from dotenv import load_dotenv


class ConfigError(Exception):
    """A setting is missing or malformed; the message names the variable."""


def _parse_int(name: str, raw: str, minimum: int | None = None) -> int:
    try:
        value = int(raw.strip())
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from None
    if minimum is not None and value < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, got {value}")
    return value


def _parse_float(name: str, raw: str) -> float:
    try:
        return float(raw.strip())
    except ValueError:
        raise ConfigError(f"{name} must be a number, got {raw!r}") from None


def _parse_positive(name: str, raw: str) -> float:
    value = _parse_float(name, raw)
    if value <= 0:
        raise ConfigError(f"{name} must be greater than 0, got {raw!r}")
    return value


def _parse_url(name: str, raw: str, schemes: tuple[str, ...]) -> str:
    parsed = urlparse(raw.strip())
    if parsed.scheme not in schemes or not (parsed.netloc or parsed.path):
        raise ConfigError(f"{name} must be a URL starting with {' or '.join(s + '://' for s in schemes)}")
    return raw.strip()


def _parse_version(name: str, raw: str) -> str:
    value = raw.strip()
    if not (value.startswith("v") and value[1:].replace(".", "", 1).isdigit() and "." in value):
        raise ConfigError(f"{name} must look like v25.0, got {raw!r}")
    return value


def _parse_bool(name: str, raw: str) -> bool:
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off", ""}:
        return False
    raise ConfigError(f"{name} must be true or false, got {raw!r}")


def _setting(env: str, default: str | None, parse: Callable[[str, str], object] | None = None, secret=False):
    return field(default=None, repr=not secret,
                 metadata={"env": env, "default": default, "parse": parse, "secret": secret})


@dataclass(frozen=True)
class Settings:
    meta_app_id: str | None = _setting("META_APP_ID", None)
    meta_app_secret: str | None = _setting("META_APP_SECRET", None, secret=True)
    meta_app_verify_token: str | None = _setting("META_APP_VERIFY_TOKEN", None, secret=True)
    meta_api_version: str = _setting("META_API_VERSION", "v25.0", _parse_version)
    meta_graph_url: str = _setting(
        "META_GRAPH_URL", "https://graph.facebook.com", lambda n, r: _parse_url(n, r, ("http", "https")).rstrip("/")
    )
    mongodb_uri: str = _setting(
        "MONGODB_URI", "mongodb://localhost:27017/metasync", lambda n, r: _parse_url(n, r, ("mongodb", "mongodb+srv"))
    )
    redis_url: str = _setting("REDIS_URL", "redis://localhost:6379/0", lambda n, r: _parse_url(n, r, ("redis", "rediss", "unix")))
    celery_broker_url: str | None = _setting(
        "CELERY_BROKER_URL", None, lambda n, r: _parse_url(n, r, ("redis", "rediss", "unix", "amqp", "memory"))
    )
    meta_sync_interval_minutes: int = _setting("META_SYNC_INTERVAL_MINUTES", "60", lambda n, r: _parse_int(n, r, 1))
    performance_sync_interval_minutes: int = _setting(
        "PERFORMANCE_SYNC_INTERVAL_MINUTES", "60", lambda n, r: _parse_int(n, r, 1)
    )
    performance_lookback_days: int = _setting("PERFORMANCE_LOOKBACK_DAYS", "28", lambda n, r: _parse_int(n, r, 1))
    meta_rate_limit_per_hour: int = _setting("META_RATE_LIMIT_PER_HOUR", "180", lambda n, r: _parse_int(n, r, 1))
    # Longest a caller blocks waiting for a rate-limit token before giving up (a task then retries later).
    meta_rate_limit_max_wait_seconds: float = _setting("META_RATE_LIMIT_MAX_WAIT_SECONDS", "30", _parse_float)
    # Usage percentage (any of Meta's usage headers) at which an ad account is paused.
    meta_usage_pause_threshold: float = _setting("META_USAGE_PAUSE_THRESHOLD", "85", _parse_float)
    meta_page_size: int = _setting("META_PAGE_SIZE", "100", lambda n, r: _parse_int(n, r, 1))
    meta_connect_timeout: float = _setting("META_CONNECT_TIMEOUT", "5", _parse_float)
    meta_read_timeout: float = _setting("META_READ_TIMEOUT", "60", _parse_float)
    # Exchange a long-lived token when it expires within this many days.
    token_refresh_window_days: int = _setting("TOKEN_REFRESH_WINDOW_DAYS", "7", lambda n, r: _parse_int(n, r, 0))
    token_encryption_key: str | None = _setting("TOKEN_ENCRYPTION_KEY", None, secret=True)
    # Webhook receiver. Meta batches up to 1,000 updates per POST (~0.5 MB at worst): 4 MiB leaves room without
    # letting a client make a web worker hold an unbounded body in memory.
    webhook_max_body_bytes: int = _setting("WEBHOOK_MAX_BODY_BYTES", str(4 * 1024 * 1024),
                                           lambda n, r: _parse_int(n, r, 1024))
    # The same object notified again within this window is enqueued once.
    webhook_dedupe_seconds: float = _setting("WEBHOOK_DEDUPE_SECONDS", "60", lambda n, r: _parse_positive(n, r))
    # Per broker/Redis call from a request; a publish tries twice, so a dead broker answers 503 in ~2x this.
    webhook_broker_timeout_seconds: float = _setting("WEBHOOK_BROKER_TIMEOUT_SECONDS", "2",
                                                     lambda n, r: _parse_positive(n, r))
    # Per dependency in /healthz, so a probe answers within a couple of seconds whatever is down.
    webhook_health_timeout_seconds: float = _setting("WEBHOOK_HEALTH_TIMEOUT_SECONDS", "1.5",
                                                     lambda n, r: _parse_positive(n, r))
    log_format: str = _setting("LOG_FORMAT", "text")
    log_level: str = _setting("LOG_LEVEL", "INFO")

    @property
    def broker_url(self) -> str:
        return self.celery_broker_url or self.redis_url

    def graph_base(self) -> str:
        return f"{self.meta_graph_url}/{self.meta_api_version}"

    def describe(self) -> dict[str, str]:
        """Settings for display: secrets are reported as set / not set, never shown."""
        out = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.metadata["secret"]:
                out[f.metadata["env"]] = "(set)" if value else "(not set)"
            else:
                out[f.metadata["env"]] = "" if value is None else mask_url_password(str(value))
        return out


def mask_url_password(value: str) -> str:
    """`scheme://user:secret@host/...` -> `scheme://user:***@host/...`; other text unchanged."""
    parsed = urlparse(value)
    if not parsed.scheme or not parsed.password:
        return value
    netloc = parsed.netloc.replace(f":{parsed.password}@", ":***@", 1)
    return parsed._replace(netloc=netloc).geturl()


def load_settings(environ: dict[str, str] | None = None, dotenv: bool = True) -> Settings:
    """Build Settings from `environ` (default: os.environ after loading `.env`)."""
    if environ is None:
        if dotenv:
            load_dotenv(override=False)
        environ = dict(os.environ)
    values = {}
    for f in fields(Settings):
        meta = f.metadata
        raw = environ.get(meta["env"])
        if raw is None or raw.strip() == "":
            raw = meta["default"]
        if raw is None:
            values[f.name] = None
            continue
        values[f.name] = meta["parse"](meta["env"], raw) if meta["parse"] else raw.strip()
    if values["log_format"] not in {"text", "json"}:
        raise ConfigError(f"LOG_FORMAT must be text or json, got {values['log_format']!r}")
    return Settings(**values)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()


def reset_settings_cache() -> None:
    get_settings.cache_clear()
