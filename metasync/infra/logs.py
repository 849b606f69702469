"""Logging: readable text or one JSON object per line (`LOG_FORMAT=json`), with secrets redacted.

Events a team alerts on carry an `event` field (sync_started, sync_finished, sync_failed, rate_limit_approaching,
account_paused, token_expired, webhook_rejected, ...) plus tenant, ad account, counts and duration as fields.
"""

from __future__ import annotations

import logging
import re
import sys

from pythonjsonlogger.json import JsonFormatter

from metasync.settings import Settings, get_settings

# Query-string and JSON forms of credentials, wherever they end up in a message.
_SECRET_PATTERNS = [
    re.compile(
        r"(?i)(access_token|appsecret_proof|client_secret|fb_exchange_token|input_token|hub\.verify_token)"
        r"(=|%3D|\"?\s*:\s*\"?)([^&\s\"',;]+)"
    ),
    re.compile(r"(?i)(sha256=|sha1=)[0-9a-f]{16,}"),
    re.compile(r"\bEAA[A-Za-z0-9]{20,}\b"),  # the shape of Meta user tokens
]
_STANDARD_ATTRS = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}


def redact(text: str) -> str:
    text = _SECRET_PATTERNS[0].sub(lambda m: f"{m.group(1)}{m.group(2)}[redacted]", text)
    text = _SECRET_PATTERNS[1].sub(lambda m: f"{m.group(1)}[redacted]", text)
    return _SECRET_PATTERNS[2].sub("[redacted]", text)


class RedactingFilter(logging.Filter):
    """Last line of defence: scrub credentials from every record, whoever logged it."""

    def __init__(self, secrets: list[str] | None = None):
        super().__init__()
        self.secrets = [s for s in (secrets or []) if s and len(s) >= 4]

    def _scrub(self, value):
        if isinstance(value, str):
            value = redact(value)
            for secret in self.secrets:
                value = value.replace(secret, "[redacted]")
        return value

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self._scrub(record.getMessage())
        record.args = ()
        if record.exc_info:
            # Exception texts may quote URLs or payloads: format once, scrub, and keep only the scrubbed text.
            record.exc_text = self._scrub(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = self._scrub(record.exc_text)
        if record.stack_info:
            record.stack_info = self._scrub(record.stack_info)
        for key, value in list(record.__dict__.items()):
            if key not in _STANDARD_ATTRS and isinstance(value, str):
                setattr(record, key, self._scrub(value))
        return True


class TextFormatter(logging.Formatter):
    """`time level logger message key=value ...` with the structured fields appended."""

    def format(self, record: logging.LogRecord) -> str:
        base = super().format(record)
        extras = {k: v for k, v in record.__dict__.items() if k not in _STANDARD_ATTRS and not k.startswith("_")}
        if extras:
            base += " " + " ".join(f"{k}={v}" for k, v in extras.items())
        return base


def make_handler(settings: Settings | None = None, stream=None) -> logging.Handler:
    settings = settings or get_settings()
    handler = logging.StreamHandler(stream or sys.stderr)
    if settings.log_format == "json":
        handler.setFormatter(
            JsonFormatter(
                "%(asctime)s %(levelname)s %(name)s %(message)s", rename_fields={"levelname": "level", "name": "logger"}
            )
        )
    else:
        handler.setFormatter(TextFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(
        RedactingFilter(
            [settings.meta_app_secret or "", settings.meta_app_verify_token or "", settings.token_encryption_key or ""]
        )
    )
    return handler


def configure_logging(settings: Settings | None = None, stream=None) -> None:
    settings = settings or get_settings()
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_metasync", False):
            root.removeHandler(handler)
    handler = make_handler(settings, stream)
    handler._metasync = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(settings.log_level.upper())
    # urllib3 logs full request URLs (with tokens) at DEBUG: never let it.
    logging.getLogger("urllib3").setLevel(logging.WARNING)
