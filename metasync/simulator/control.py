"""The control plane under /__sim: health, call counts, faults, runtime config, world mutations and webhooks.
POST bodies are JSON; bad input answers 400 with ``{"error": ...}``, unknown endpoints 404."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from werkzeug.exceptions import NotFound
from werkzeug.routing import Map, MapAdapter, PathConverter, Rule
from werkzeug.wrappers import Request, Response

from .config import SimConfig
from .faults import Faults
from .mutations import mutate
from .report_runs import ReportRuns
from .responses import json_response
from .stats import CallStats
from .usage import UsageMeter
from .webhooks import Webhooks
from .world import World

SETTABLE_CONFIG = frozenset(
    {
        "webhook_url",
        "webhook_verify_token",
        "max_sync_insights_rows",
        "report_polls",
        "latency_ms",
        "error_rate",
        "default_limit",
        "max_limit",
        "app_call_capacity",
        "account_call_capacity",
        "enforce_usage_limits",
        "access_tier",
        "usage_window_s",
        "account_mutations_per_hour",
    }
)


class RestConverter(PathConverter):
    """The rest of the path, slashes and all (even a leading one)."""

    regex = ".+"


def _on(**handlers: str) -> tuple[tuple[str, str], ...]:
    """A rule endpoint: handler names by method ("ANY": every method)."""
    return tuple(sorted(handlers.items()))


CONTROL_ROUTES = Map(
    [
        Rule("/__sim/health", endpoint=_on(ANY="health")),
        Rule("/__sim/calls", endpoint=_on(GET="get_calls")),
        Rule("/__sim/calls/reset", endpoint=_on(POST="reset_calls")),
        Rule("/__sim/faults", endpoint=_on(GET="get_faults", POST="set_faults")),
        Rule("/__sim/faults/clear", endpoint=_on(POST="clear_faults")),
        Rule("/__sim/mutate", endpoint=_on(POST="apply_mutations")),
        Rule("/__sim/webhook", endpoint=_on(POST="send_webhook")),
        Rule("/__sim/webhook/verify", endpoint=_on(POST="verify_webhook")),
        Rule("/__sim/config", endpoint=_on(GET="get_config", POST="set_config")),
        Rule("/__sim/world", endpoint=_on(GET="get_world")),
        Rule("/__sim/objects/<rest:object_path>", endpoint=_on(GET="get_object")),
        Rule("/__sim/report_runs", endpoint=_on(GET="get_report_runs")),
    ],
    converters={"rest": RestConverter},
    merge_slashes=False,
)


@dataclass(eq=False)
class ControlPlane:
    world: World
    config: SimConfig
    stats: CallStats
    usage: UsageMeter
    faults: Faults
    report_runs: ReportRuns
    webhooks: Webhooks
    lock: threading.Lock = field(default_factory=threading.Lock, init=False)  # around runtime config changes
    _routes: MapAdapter = field(default_factory=lambda: CONTROL_ROUTES.bind("control"), init=False)

    def answer(self, request: Request) -> Response:
        path = request.path.rstrip("/")
        method = request.method
        try:
            payload = request.get_json(force=True, silent=True) if method == "POST" else None
            if payload is None and method == "POST" and request.get_data():
                return json_response({"error": "body must be JSON"}, 400)
            handler, values = self._match(path, method)
            if handler is None:
                return json_response({"error": f"unknown control endpoint {method} {path}"}, 404)
            body, status = handler(payload or {}, **values)
            return json_response(body, status)
        except (KeyError, ValueError, TypeError) as exc:
            return json_response({"error": f"{type(exc).__name__}: {exc}"}, 400)

    def _match(self, path: str, method: str) -> tuple[Any, dict]:
        try:
            handlers, values = self._routes.match(path)
        except NotFound:
            return None, {}
        name = dict(handlers).get("ANY") or dict(handlers).get(method)
        return (getattr(self, name), values) if name else (None, {})

    # -------------------------------------------------------------- handlers
    # Each takes the JSON payload (and the path's values) and returns (body, HTTP status).
    def health(self, payload: Any) -> tuple[Any, int]:
        return {"ok": True, "version": self.world.version}, 200

    def get_calls(self, payload: Any) -> tuple[Any, int]:
        return self.stats.snapshot(), 200

    def reset_calls(self, payload: Any) -> tuple[Any, int]:
        """Counts and usage windows start again from zero."""
        self.stats.reset()
        self.usage.reset()
        return self.stats.snapshot(), 200

    def get_faults(self, payload: Any) -> tuple[Any, int]:
        return self.faults.as_dict(), 200

    def set_faults(self, payload: Any) -> tuple[Any, int]:
        return self.faults.update(payload), 200

    def clear_faults(self, payload: Any) -> tuple[Any, int]:
        self.faults.clear()
        return self.faults.as_dict(), 200

    def get_config(self, payload: Any) -> tuple[Any, int]:
        return self.config.as_dict(), 200

    def set_config(self, payload: Any) -> tuple[Any, int]:
        unknown = set(payload) - SETTABLE_CONFIG
        if unknown:
            raise ValueError(f"not settable at runtime: {sorted(unknown)}; settable: {sorted(SETTABLE_CONFIG)}")
        with self.lock:
            for k, v in payload.items():
                setattr(self.config, k, v)
        return self.config.as_dict(), 200

    def get_world(self, payload: Any) -> tuple[Any, int]:
        return self.world.summary(), 200

    def get_object(self, payload: Any, object_path: str) -> tuple[Any, int]:
        obj = self.world.get(object_path.rsplit("/", 1)[-1])  # the last segment is the id
        if obj is None:
            return {"error": "unknown id"}, 404
        return self.world.public_view(obj), 200

    def get_report_runs(self, payload: Any) -> tuple[Any, int]:
        return self.report_runs.nodes(), 200

    def apply_mutations(self, payload: Any) -> tuple[Any, int]:
        """One action, a list of them or {"actions": [...]}; "notify": true also sends a webhook for it."""
        actions = payload if isinstance(payload, list) else payload.get("actions", [payload])
        results = []
        for action in actions:
            kind = action.get("action")
            oid = str(action.get("id", ""))
            extra = {k: v for k, v in action.items() if k not in ("action", "id", "notify")}
            try:
                obj = mutate(self.world, kind, oid, **extra)
            except KeyError:
                raise ValueError(f"unknown object id {oid!r}") from None
            entry = {"action": kind, "id": oid, "object": self.world.public_view(obj)}
            if action.get("notify"):
                entry["webhook"] = self.webhooks.send(
                    {"id": oid, **({"field": action["field"]} if "field" in action else {})}
                )
            results.append(entry)
        return {"version": self.world.version, "results": results}, 200

    def send_webhook(self, payload: Any) -> tuple[Any, int]:
        result = self.webhooks.send(payload)
        return result, 200 if result.get("status_code") is not None else 502

    def verify_webhook(self, payload: Any) -> tuple[Any, int]:
        return self.webhooks.verify(payload), 200
