"""Time as metasync stores it: aware UTC datetimes, at MongoDB's millisecond precision where it is compared."""

from __future__ import annotations

from datetime import datetime, timezone


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def as_utc(value: datetime | None) -> datetime | None:
    """MongoDB returns naive UTC datetimes; make them aware."""
    if value is None:
        return None
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def now_ms() -> datetime:
    """Now, truncated to MongoDB's millisecond precision so stored and in-memory stamps compare equal."""
    now = utcnow()
    return now.replace(microsecond=now.microsecond // 1000 * 1000)
