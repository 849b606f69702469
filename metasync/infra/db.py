"""MongoDB connection (mongoengine), made once per process after fork, never at import time."""

from __future__ import annotations

import os
import threading

import mongoengine
from pymongo.database import Database

from metasync.settings import get_settings

_lock = threading.Lock()
_connected_pid: int | None = None
_connected_uri: str | None = None


def connect() -> Database:
    """Connect mongoengine's default alias to `MONGODB_URI` (idempotent per process) and return the database."""
    global _connected_pid, _connected_uri
    uri = get_settings().mongodb_uri
    with _lock:
        if _connected_pid != os.getpid() or _connected_uri != uri:
            mongoengine.disconnect_all()
            mongoengine.connect(
                host=uri,
                alias="default",
                uuidRepresentation="standard",
                tz_aware=False,
                serverSelectionTimeoutMS=10000,
                connectTimeoutMS=10000,
                connect=False,
            )
            _connected_pid, _connected_uri = os.getpid(), uri
    return mongoengine.get_db()


def disconnect() -> None:
    global _connected_pid, _connected_uri
    with _lock:
        mongoengine.disconnect_all()
        _connected_pid = _connected_uri = None
