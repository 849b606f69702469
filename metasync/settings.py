"""All configuration in one place: typed, validated settings from the environment (and `.env`), with defaults.

A malformed value raises `ConfigError`, one line naming the variable; programs print it and exit 2 at start.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from functools import lru_cache
from typing import Annotated, Any
from urllib.parse import urlparse

from dotenv import load_dotenv
from pydantic import AfterValidator, Field, ValidationError, model_validator
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, SettingsConfigDict


class ConfigError(Exception):
    """A setting is missing or malformed; the message names the variable."""


# Validators for the rules the field types and bounds cannot say. Each raises ValueError("must be ..."): that text
# becomes the message after the variable's name.
def _url(*schemes: str) -> AfterValidator:
    def check(value: str) -> str:
        parsed = urlparse(value)
        if parsed.scheme not in schemes:
            raise ValueError(f"must be a URL starting with {' or '.join(s + '://' for s in schemes)}")
        # unix:// names a socket path and memory:// (Celery's in-process broker) nothing; the others need a host.
        if parsed.scheme == "unix" and not parsed.path:
            raise ValueError("must name a socket path after unix://")
        if parsed.scheme not in ("unix", "memory") and not parsed.hostname:
            raise ValueError(f"must name a host after {parsed.scheme}://")
        return value

    return AfterValidator(check)


def _one_of(*choices: str, case: Callable[[str], str]) -> AfterValidator:
    def check(value: str) -> str:
        if case(value) not in choices:
            raise ValueError(f"must be {', '.join(choices[:-1])} or {choices[-1]}")
        return case(value)

    return AfterValidator(check)


def _api_version(value: str) -> str:
    if not re.fullmatch(r"v\d+\.\d+", value):
        raise ValueError("must look like v25.0")
    return value


def _app_id(value: str) -> str:
    if not re.fullmatch(r"[0-9]+", value):
        raise ValueError("must be the app's numeric id")
    return value


def _one_word(value: str) -> str:
    # App secrets are hex and Fernet keys base64: a space or control character inside is a paste gone wrong, which
    # would otherwise surface much later as rejected signatures or undecryptable tokens.
    if any(c.isspace() or not c.isprintable() for c in value):
        raise ValueError("must not contain spaces or control characters")
    return value


class Settings(BaseSettings):
    """One field per environment variable (its alias). `repr=False` marks a secret: never shown or echoed.

    Build it with `load_settings()` / `get_settings()`, which turn a validation error into `ConfigError`."""

    # No env_file: load_settings() has python-dotenv put `.env` into the environment, never over a real variable.
    model_config = SettingsConfigDict(frozen=True, case_sensitive=True, extra="ignore", str_strip_whitespace=True)

    meta_app_id: Annotated[str, AfterValidator(_app_id)] | None = Field(None, alias="META_APP_ID")
    meta_app_secret: Annotated[str, AfterValidator(_one_word)] | None = Field(None, alias="META_APP_SECRET", repr=False)
    meta_app_verify_token: str | None = Field(None, alias="META_APP_VERIFY_TOKEN", repr=False)
    meta_api_version: Annotated[str, AfterValidator(_api_version)] = Field("v25.0", alias="META_API_VERSION")
    meta_graph_url: Annotated[str, _url("http", "https"), AfterValidator(lambda url: url.rstrip("/"))] = Field(
        "https://graph.facebook.com", alias="META_GRAPH_URL"
    )
    mongodb_uri: Annotated[str, _url("mongodb", "mongodb+srv")] = Field(
        "mongodb://localhost:27017/metasync", alias="MONGODB_URI"
    )
    # Rate-limit buckets, account pauses, locks and webhook de-duplication live here under the `metasync:` prefix.
    redis_url: Annotated[str, _url("redis", "rediss", "unix")] = Field("redis://localhost:6379/0", alias="REDIS_URL")
    # Unset: the broker is REDIS_URL (`broker_url`).
    celery_broker_url: Annotated[str, _url("redis", "rediss", "unix", "amqp", "memory")] | None = Field(
        None, alias="CELERY_BROKER_URL"
    )
    # Schedules become Celery timedeltas and lock lifetimes: past a week is a typo (and far past it overflows).
    meta_sync_interval_minutes: int = Field(60, alias="META_SYNC_INTERVAL_MINUTES", ge=1, le=10080)
    performance_sync_interval_minutes: int = Field(60, alias="PERFORMANCE_SYNC_INTERVAL_MINUTES", ge=1, le=10080)
    # How often an ad account Meta reported disabled, unsettled or closed is read again to see if it is active.
    account_recheck_interval_minutes: int = Field(60, alias="ACCOUNT_RECHECK_INTERVAL_MINUTES", ge=5, le=10080)
    # Meta keeps insights for 37 months; a longer window only gets errors back.
    performance_lookback_days: int = Field(28, alias="PERFORMANCE_LOOKBACK_DAYS", ge=1, le=1095)
    meta_rate_limit_per_hour: int = Field(180, alias="META_RATE_LIMIT_PER_HOUR", ge=1)
    # How often beat looks for due reports (each report has its own schedule, in minutes).
    reports_check_interval_minutes: int = Field(60, alias="REPORTS_CHECK_INTERVAL_MINUTES", ge=1, le=10080)
    # Breakdown reports take rate-limit tokens only while this share of each user's hourly budget stays in the
    # bucket, so they never starve the entity and daily-performance syncs (metasync/graph/ratelimit.py).
    reports_rate_reserve_share: float = Field(
        0.3, alias="REPORTS_RATE_RESERVE_SHARE", ge=0, le=0.9, allow_inf_nan=False
    )
    # Longest a caller blocks waiting for a rate-limit token before giving up (a task then retries later); 0 = never.
    meta_rate_limit_max_wait_seconds: float = Field(
        30, alias="META_RATE_LIMIT_MAX_WAIT_SECONDS", ge=0, allow_inf_nan=False
    )
    # Usage percentage (any of Meta's usage headers) at which an ad account is paused.
    meta_usage_pause_threshold: float = Field(85, alias="META_USAGE_PAUSE_THRESHOLD", ge=1, le=100, allow_inf_nan=False)
    meta_page_size: int = Field(100, alias="META_PAGE_SIZE", ge=1)
    meta_connect_timeout: float = Field(5, alias="META_CONNECT_TIMEOUT", gt=0, allow_inf_nan=False)
    meta_read_timeout: float = Field(60, alias="META_READ_TIMEOUT", gt=0, allow_inf_nan=False)
    # Exchange a long-lived token when it expires within this many days (they last about 60).
    token_refresh_window_days: int = Field(7, alias="TOKEN_REFRESH_WINDOW_DAYS", ge=0, le=60)
    # Checked as a Fernet key where it is used (metasync.crypto), which names it too.
    token_encryption_key: Annotated[str, AfterValidator(_one_word)] | None = Field(
        None, alias="TOKEN_ENCRYPTION_KEY", repr=False
    )
    # Webhook receiver. Meta batches up to 1,000 updates per POST (~0.5 MB at worst): 4 MiB leaves room without
    # letting a client make a web worker hold an unbounded body in memory.
    webhook_max_body_bytes: int = Field(4 * 1024 * 1024, alias="WEBHOOK_MAX_BODY_BYTES", ge=1024)
    # The same object notified again within this window is enqueued once.
    webhook_dedupe_seconds: float = Field(60, alias="WEBHOOK_DEDUPE_SECONDS", gt=0, allow_inf_nan=False)
    # Per broker/Redis call from a request; a publish tries twice, so a dead broker answers 503 in ~2x this.
    webhook_broker_timeout_seconds: float = Field(2, alias="WEBHOOK_BROKER_TIMEOUT_SECONDS", gt=0, allow_inf_nan=False)
    # Per dependency in /healthz, so a probe answers within a couple of seconds whatever is down.
    webhook_health_timeout_seconds: float = Field(
        1.5, alias="WEBHOOK_HEALTH_TIMEOUT_SECONDS", gt=0, allow_inf_nan=False
    )
    # `/metrics` (Prometheus): only for an admin API key (`Authorization: Bearer`), unless this is true (then open
    # to anyone who reaches it: only behind a network that admits just the scraper).
    metrics_public: bool = Field(False, alias="METRICS_PUBLIC")
    # Per broker call of one scrape (the queue lengths), so a dead broker never stalls the scrape.
    metrics_broker_timeout_seconds: float = Field(
        1.0, alias="METRICS_BROKER_TIMEOUT_SECONDS", gt=0, allow_inf_nan=False
    )
    # HTTP API (webhooks/api): requests per minute per API key, all of it available as a burst; 429 past it.
    api_rate_limit_per_minute: int = Field(120, alias="API_RATE_LIMIT_PER_MINUTE", ge=1)
    # Origins allowed to call the API from a browser (comma-separated); empty: no CORS headers at all.
    api_cors_origins: str = Field("", alias="API_CORS_ORIGINS")
    # Signs the dashboard's session cookies and CSRF tokens; the same value in every web worker. Unset: no dashboard.
    web_session_secret: str | None = Field(None, alias="WEB_SESSION_SECRET", min_length=16, repr=False)
    # Mark the dashboard's cookie Secure even when the request looks like plain HTTP (TLS ended at a proxy).
    web_cookie_secure: bool = Field(False, alias="WEB_COOKIE_SECURE")
    # A dashboard login lasts this long at most (the key is re-checked on every request regardless).
    web_session_hours: int = Field(12, alias="WEB_SESSION_HOURS", ge=1, le=720)
    log_format: Annotated[str, _one_of("text", "json", case=str.lower)] = Field("text", alias="LOG_FORMAT")
    log_level: Annotated[str, _one_of("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL", case=str.upper)] = Field(
        "INFO", alias="LOG_LEVEL"
    )

    @model_validator(mode="before")
    @classmethod
    def _blank_is_unset(cls, data: Any) -> Any:
        # `NAME=` (or only spaces) in the environment or `.env` means the default, as if NAME were not there.
        if isinstance(data, dict):
            return {k: v for k, v in data.items() if not (isinstance(v, str) and not v.strip())}
        return data

    @property
    def broker_url(self) -> str:
        return self.celery_broker_url or self.redis_url

    def graph_base(self) -> str:
        return f"{self.meta_graph_url}/{self.meta_api_version}"

    def describe(self) -> dict[str, str]:
        """Settings for display: secrets are reported as set / not set, never shown."""
        out = {}
        for name, info in type(self).model_fields.items():
            value = getattr(self, name)
            if not info.repr:
                out[info.alias] = "(set)" if value else "(not set)"
            else:
                out[info.alias] = "" if value is None else mask_url_password(str(value))
        return out


_FIELDS = {info.alias: info for info in Settings.model_fields.values()}
SECRET_SETTINGS = tuple(name for name, info in _FIELDS.items() if not info.repr)


def mask_url_password(value: str) -> str:
    """`scheme://user:secret@host/...` -> `scheme://user:***@host/...`; other text unchanged."""
    parsed = urlparse(value)
    if not parsed.scheme or not parsed.password:
        return value
    netloc = parsed.netloc.replace(f":{parsed.password}@", ":***@", 1)
    return parsed._replace(netloc=netloc).geturl()


def _number_rule(info: FieldInfo) -> str:
    """`must be a whole number from 1 to 100`, from the field's type and bounds."""
    kind = "a whole number" if info.annotation is int else "a finite number"
    bounds = {key: getattr(m, key) for m in info.metadata for key in ("gt", "ge", "le") if hasattr(m, key)}
    if "ge" in bounds and "le" in bounds:
        return f"must be {kind} from {bounds['ge']} to {bounds['le']}"
    limits = [
        f"{words} {bounds[key]}"
        for key, words in (("gt", "greater than"), ("ge", "of at least"), ("le", "of at most"))
        if key in bounds
    ]
    return " ".join([f"must be {kind}", *limits])


def _error_line(error: dict[str, Any]) -> str:
    """One pydantic error as `NAME must be ..., got 'value'`; a secret's value is never repeated."""
    name = str(error["loc"][0]) if error["loc"] else "settings"
    info = _FIELDS.get(name)
    if error["type"] == "value_error":
        rule = str(error["ctx"]["error"])
    elif info is not None and info.annotation in (int, float):
        rule = _number_rule(info)
    elif info is not None and info.annotation is bool:
        rule = "must be true or false"
    else:
        rule = f"is invalid ({error['msg']})"
    if name in SECRET_SETTINGS or not isinstance(error.get("input"), str):
        return f"{name} {rule}"
    return f"{name} {rule}, got {mask_url_password(error['input'])!r}"


def load_settings(environ: dict[str, str] | None = None, dotenv: bool = True) -> Settings:
    """Build Settings from `environ` (default: os.environ after loading `.env`)."""
    if environ is None and dotenv:
        load_dotenv(override=False)
    try:
        if environ is None:
            return Settings()
        # Every field from the mapping, or its default: values passed to Settings() come before the process
        # environment, so the mapping is the whole environment.
        return Settings(**{name: environ.get(name, info.default) for name, info in _FIELDS.items()})
    except ValidationError as exc:
        raise ConfigError("; ".join(_error_line(e) for e in exc.errors())) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()


def reset_settings_cache() -> None:
    get_settings.cache_clear()


def settings_or_exit() -> Settings:
    """get_settings() for a program's start (Celery, the web app): a bad setting prints `error: ...` to stderr and
    exits 2 (4 under gunicorn), without a traceback."""
    try:
        return get_settings()
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        # gunicorn restarts a worker that exits 2, again and again; its own "App failed to load" status (4) makes
        # the master stop instead.
        raise SystemExit(4 if "gunicorn" in sys.modules else 2) from None
