"""`Faults`: runtime fault injection, all off by default: transient errors, throttling, slow or timed-out answers,
too-much-data errors, failing report runs, expired and invalid tokens, failing writes and batch items that time
out (answered `null`) (POST /__sim/faults)."""

from __future__ import annotations

import random
import threading
import time
from typing import Any

from .config import SimConfig
from .errors import SimulatedGraphError, rate_limit_error, reduce_data_500, service_unavailable, unknown_error

KNOWN = frozenset(
    {
        "error_rate",
        "rate_limit",
        "usage_pct",
        "expired_tokens",
        "invalid_tokens",
        "reduce_data_above_limit",
        "fail_report_runs",
        "timeout_ms",
        "timeout_count",
        "latency_ms",
        "fail_writes",
        "null_batch_items",
    }
)


def _optional(value: Any, kind: type) -> Any:
    return None if value is None else kind(value)


class Faults:
    def __init__(self, config: SimConfig) -> None:
        self.config = config
        self.lock = threading.Lock()
        self._rng = random.Random(f"{config.seed}:faults")  # not reset by clear(): the draws go on
        self.clear()

    def clear(self) -> None:
        """Back to the configured baseline (config.error_rate, config.latency_ms and config.expired_tokens
        still apply; change those with POST /__sim/config)."""
        with self.lock:
            self.error_rate: float | None = None  # None: use config.error_rate
            self.rate_limit: dict | None = None  # {"code", "count", "regain_minutes", "subcode"}
            self.usage_pct: float | None = None
            self.expired_tokens: set[str] = set()
            self.invalid_tokens: set[str] = set()
            self.reduce_data_above_limit: int | None = None
            self.fail_report_runs = 0
            self.timeout_ms = 0
            self.timeout_count = 0
            self.latency_ms: int | None = None  # None: use config.latency_ms
            self.fail_writes: dict | None = None  # {"count", "code", "subcode", "message", "ids"}
            self.null_batch_items = 0  # the next N batch items time out (answered null, not run)

    def as_dict(self) -> dict:
        return {
            "error_rate": self.error_rate,
            "rate_limit": self.rate_limit,
            "usage_pct": self.usage_pct,
            "expired_tokens": sorted(self.expired_tokens),
            "invalid_tokens": sorted(self.invalid_tokens),
            "reduce_data_above_limit": self.reduce_data_above_limit,
            "fail_report_runs": self.fail_report_runs,
            "timeout_ms": self.timeout_ms,
            "timeout_count": self.timeout_count,
            "latency_ms": self.latency_ms,
            "fail_writes": self.fail_writes,
            "null_batch_items": self.null_batch_items,
        }

    def update(self, payload: dict) -> dict:
        """Set the faults named in `payload` (the others stay); returns them all."""
        if not isinstance(payload, dict):
            raise ValueError("faults must be a JSON object")
        unknown = set(payload) - KNOWN
        if unknown:
            raise ValueError(f"unknown fault(s): {sorted(unknown)}; known: {sorted(KNOWN)}")
        with self.lock:
            if "error_rate" in payload:
                rate = _optional(payload["error_rate"], float)
                if rate is not None and not 0 <= rate <= 1:
                    raise ValueError("error_rate must be within [0, 1]")
                self.error_rate = rate
            if "rate_limit" in payload:
                self.rate_limit = self._rate_limit(payload["rate_limit"])
            if "usage_pct" in payload:
                self.usage_pct = _optional(payload["usage_pct"], float)
            if "expired_tokens" in payload:
                self.expired_tokens.update(str(t) for t in payload["expired_tokens"] or [])
            if "invalid_tokens" in payload:
                self.invalid_tokens.update(str(t) for t in payload["invalid_tokens"] or [])
            if "reduce_data_above_limit" in payload:
                self.reduce_data_above_limit = _optional(payload["reduce_data_above_limit"], int)
            if "fail_report_runs" in payload:
                self.fail_report_runs = int(payload["fail_report_runs"] or 0)
            self._update_timeouts(payload)
            if "latency_ms" in payload:
                self.latency_ms = _optional(payload["latency_ms"], int)
            if "fail_writes" in payload:
                self.fail_writes = self._fail_writes(payload["fail_writes"])
            if "null_batch_items" in payload:
                self.null_batch_items = int(payload["null_batch_items"] or 0)
            return self.as_dict()

    @staticmethod
    def _fail_writes(spec: Any) -> dict | None:
        if not spec:
            return None
        if not isinstance(spec, dict):
            raise ValueError("fail_writes must be an object: {count, code, subcode, message, ids}")
        return {
            "count": int(spec.get("count", 1)),
            "code": int(spec.get("code", 2)),
            "subcode": _optional(spec.get("subcode"), int),
            "message": str(spec.get("message") or "An unexpected error has occurred. Please retry your request later."),
            "ids": [str(i) for i in spec.get("ids") or []],
        }

    @staticmethod
    def _rate_limit(rl: Any) -> dict | None:
        if not rl:
            return None
        return {
            "code": int(rl.get("code", 17)),
            "count": int(rl.get("count", 1)),
            "regain_minutes": int(rl.get("regain_minutes", 0)),
            "subcode": rl.get("subcode"),
        }

    def _update_timeouts(self, payload: dict) -> None:
        if "timeout_ms" in payload:
            self.timeout_ms = int(payload["timeout_ms"] or 0)
            self.timeout_count = int(payload.get("timeout_count", 1)) if self.timeout_ms else 0
        elif "timeout_count" in payload:
            self.timeout_count = int(payload["timeout_count"])

    # ---------------------------------------------------------- injection
    def delay(self) -> None:
        """Sleep before answering: the latency, plus a timeout while timeouts are left."""
        with self.lock:
            timeout = 0
            if self.timeout_count > 0 and self.timeout_ms > 0:
                self.timeout_count -= 1
                timeout = self.timeout_ms
            latency = self.latency_ms if self.latency_ms is not None else self.config.latency_ms
        if latency:
            time.sleep(latency / 1000)
        if timeout:
            time.sleep(timeout / 1000)

    def inject(self) -> None:
        """Fail a call with the rate-limit error while one is set, or at random at the error rate."""
        with self.lock:
            rl = self.rate_limit
            if rl and rl.get("count", 0) > 0:
                rl["count"] -= 1
                raise rate_limit_error(int(rl.get("code", 17)), rl.get("subcode"))
            rate = self.error_rate
            if rate is None:
                rate = self.config.error_rate
            if rate > 0 and self._rng.random() < rate:
                transient = self._rng.random() < 0.5
                raise service_unavailable() if transient else unknown_error()

    def inject_write_failure(self, object_id: str) -> None:
        """Fail a write while `fail_writes` has some left (only writes of its `ids`, when it names some)."""
        with self.lock:
            spec = self.fail_writes
            if not spec or spec["count"] <= 0 or (spec["ids"] and object_id not in spec["ids"]):
                return
            spec["count"] -= 1
        code = spec["code"]
        if code in (4, 17, 32, 341, 613) or code >= 80000:
            raise rate_limit_error(code, spec["subcode"])
        transient = code in (1, 2)
        raise SimulatedGraphError(
            code,
            spec["message"],
            subcode=spec["subcode"],
            http_status=500 if transient else 400,
            is_transient=transient,
        )

    def take_null_batch_item(self) -> bool:
        with self.lock:
            if self.null_batch_items > 0:
                self.null_batch_items -= 1
                return True
            return False

    def check_page_size(self, limit: int) -> None:
        n = self.reduce_data_above_limit
        if n is not None and limit > n:
            raise reduce_data_500()

    def take_report_failure(self) -> bool:
        """Whether the next report run fails (one of `fail_report_runs`)."""
        with self.lock:
            if self.fail_report_runs > 0:
                self.fail_report_runs -= 1
                return True
            return False

    def is_expired(self, token: str) -> bool:
        return token in self.expired_tokens or token in self.config.expired_tokens

    def is_invalid(self, token: str) -> bool:
        return token in self.invalid_tokens
