"""`GraphDispatcher`: one Graph call from its path to its answer (status, JSON body, headers): route, count,
authenticate, faults and usage limits, handler; errors as Meta's envelope."""

from __future__ import annotations

import base64
import hashlib
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .call import Call
from .config import SimConfig
from .errors import SimulatedGraphError
from .faults import Faults
from .report_runs import ReportRuns
from .routing import ACCOUNT, OBJECT, REPORT_RUN, GraphRouter, endpoints, split_version, version_tuple
from .schema import BUSINESS
from .stats import CallStats
from .usage import UsageMeter
from .world import World

Handler = Callable[[Call], Any]
AUTH_ERROR_CODES = (102, 104, 190)  # answered with a WWW-Authenticate header


class TraceIds:
    """fbtrace ids: deterministic per seed, one per call (and per failed batch item)."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self._count = 0
        self._lock = threading.Lock()

    def next(self) -> str:
        with self._lock:
            self._count += 1
            n = self._count
        digest = hashlib.blake2b(f"{self.seed}:{n}".encode(), digest_size=9).digest()
        return "A" + base64.urlsafe_b64encode(digest).decode()[:10]


@dataclass(eq=False)
class GraphDispatcher:
    config: SimConfig
    world: World
    report_runs: ReportRuns
    handlers: dict[str, Handler]  # by the names routing's endpoints use
    authenticate: Handler
    faults: Faults
    usage: UsageMeter
    stats: CallStats
    traces: TraceIds

    def __post_init__(self) -> None:
        missing = {name for e in endpoints() for name in e.handler_names()} - set(self.handlers)
        if missing:
            raise ValueError(f"routes without handlers: {sorted(missing)}")
        self.router = GraphRouter(lambda segment: segment in self.report_runs)
        self._min_version = version_tuple(self.config.min_version)

    def dispatch(self, call: Call) -> tuple[int, Any, list[tuple[str, str]]]:
        """Run one call. Returns (HTTP status, JSON body, headers)."""
        call.trace_id = self.traces.next()
        try:
            self.route(call)
            self.stats.count(call.route)
            body = self._run(call)
        except SimulatedGraphError as err:
            self.stats.count_error(err)
            headers = self.headers(call, error=err)
            if err.code in AUTH_ERROR_CODES:
                headers.append(("WWW-Authenticate", f'OAuth "Facebook Platform" "invalid_token" "{err.message}"'))
            return err.http_status, err.body(call.trace_id), headers
        return 200, body, self.headers(call)

    def route(self, call: Call) -> None:
        """Version, endpoint, route name, target and usage account of a call; error 2635 for old versions."""
        call.version, segments = split_version(call.path)
        if call.version is not None and version_tuple(call.version) < self._min_version:
            call.route = f"{call.method} deprecated_version"  # answered as about no path: no account usage
            self.stats.count(call.route)
            raise SimulatedGraphError(
                2635,
                "(#2635) You are calling a deprecated version of the Ads API. Please "
                f"update to the latest version: {self.config.latest_version}.",
            )
        call.segments = segments
        endpoint, values = self.router.match(call.segments)
        call.endpoint = endpoint
        call.edge = values.get("edge")
        call.route = endpoint.label(call.method, call.edge)
        self._find_target(call)
        if len(call.segments) > 1 and call.segments[1] == "insights":
            call.usage_type = "ads_insights"

    def _find_target(self, call: Call) -> None:
        kind = call.endpoint.target
        head = call.segments[0] if call.segments else ""
        if kind == ACCOUNT:
            call.target = call.account = self.world.account(head)
        elif kind == REPORT_RUN:
            call.target = self.report_runs.get(head)
            call.account = call.target.account
        elif kind == OBJECT:
            call.target = self.world.get(head)
            if call.target is not None and call.target["_kind"] != BUSINESS:  # a business spans accounts
                call.account = self.world.account_of(call.target)

    def _run(self, call: Call) -> Any:
        handler = self.handlers[call.endpoint.handler_name(call.method)]
        if call.endpoint.public:  # the token exchange: no token to check yet, and no faults
            self.usage.record(call)
            return handler(call)
        self.authenticate(call)
        self.usage.record(call)  # calls that then fail count too
        self.faults.inject()
        self.usage.enforce_limits(call)
        return handler(call)

    def headers(self, call: Call, error: SimulatedGraphError | None = None) -> list[tuple[str, str]]:
        rl = self.faults.rate_limit
        regain = int(rl.get("regain_minutes", 0)) if rl else 0
        return [
            ("x-fb-trace-id", call.trace_id),
            ("x-fb-rev", "1010101010"),
            ("facebook-api-version", call.version or self.config.latest_version),
            *self.usage.headers(call, error, self.faults.usage_pct, regain),
        ]
