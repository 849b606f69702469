"""`CallStats`: what /__sim/calls answers: HTTP requests, Graph calls by route and errors by code."""

from __future__ import annotations

import threading
from collections import Counter

from .errors import SimulatedGraphError


class CallStats:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.calls: Counter[str] = Counter()
        self.errors: Counter[str] = Counter()
        self.http_requests = 0
        self.total_calls = 0

    def count_http_request(self) -> None:
        with self.lock:
            self.http_requests += 1

    def count(self, route: str, total: bool = True) -> None:
        """One call of `route`; a batch counts under "POST batch" but only its items count in the total."""
        with self.lock:
            if total:
                self.total_calls += 1
            self.calls[route] += 1

    def count_error(self, err: SimulatedGraphError) -> None:
        with self.lock:
            self.errors[str(err.code) + (f"/{err.subcode}" if err.subcode else "")] += 1

    def snapshot(self) -> dict:
        with self.lock:
            return {
                "total": self.total_calls,
                "http_requests": self.http_requests,
                "by_route": dict(sorted(self.calls.items())),
                "errors": dict(sorted(self.errors.items())),
            }

    def reset(self) -> None:
        with self.lock:
            self.calls.clear()
            self.errors.clear()
            self.total_calls = 0
            self.http_requests = 0
