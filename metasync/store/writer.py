"""The one batch writer: maps items to documents keyed by `_id` and upserts them, unordered, in batches.

Entity sync and performance both write through it, so retries, late acknowledgements and webhook redeliveries only
ever overwrite a document with the same key. An item that cannot be mapped is counted and logged, never written.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pymongo import UpdateOne
from pymongo.collection import Collection

log = logging.getLogger(__name__)

BATCH_SIZE = 500
MAX_STORED_ERRORS = 20

Progress = Callable[[str, int], None]


@dataclass
class WriteResult:
    written: int = 0
    errors: int = 0
    messages: list[str] = field(default_factory=list)  # the first MAX_STORED_ERRORS, for reading


class BatchWriter:
    """Subclasses say how an item becomes a document (`map`, with its `_id`) and how a bad item is described."""

    error_event = "item_skipped"

    def __init__(
        self,
        collection: Collection,
        now: datetime,
        first_seen_field: str,
        progress_key: str,
        log_context: dict[str, Any],
        progress: Progress | None = None,
        result: WriteResult | None = None,
    ):
        self.collection = collection
        self.now = now
        self.first_seen_field = first_seen_field
        self.progress_key = progress_key
        self.log_context = log_context
        self.progress = progress
        self.result = result or WriteResult()
        self._pending: list[dict[str, Any]] = []

    def map(self, item: Any) -> dict[str, Any]:
        raise NotImplementedError

    def describe_error(self, item: Any, exc: Exception) -> str:
        return f"{type(item).__name__} skipped: {exc}"

    def before_write(self, docs: list[dict[str, Any]]) -> None:
        """Called with each batch before it is written (for comparisons with what is stored)."""

    def add_many(self, items: Iterable[Any]) -> None:
        for item in items:
            self.add(item)

    def add(self, item: Any) -> None:
        try:
            doc = self.map(item)
        except (ValueError, TypeError) as exc:  # MappingError is a ValueError
            self.note_error(self.describe_error(item, exc))
            return
        self._pending.append(doc)
        if len(self._pending) >= BATCH_SIZE:
            self.flush()

    def note_error(self, message: str) -> None:
        self.result.errors += 1
        if len(self.result.messages) < MAX_STORED_ERRORS:
            self.result.messages.append(message)
        log.warning("%s", message, extra={"event": self.error_event, **self.log_context})

    def flush(self) -> None:
        if not self._pending:
            return
        docs, self._pending = self._pending, []
        self.before_write(docs)
        self.collection.bulk_write(
            [
                UpdateOne(
                    {"_id": doc["_id"]},
                    {
                        "$set": {k: v for k, v in doc.items() if k != "_id"},
                        "$setOnInsert": {self.first_seen_field: self.now},
                    },
                    upsert=True,
                )
                for doc in docs
            ],
            ordered=False,
        )
        self.result.written += len(docs)
        if self.progress:
            self.progress(self.progress_key, self.result.written)
