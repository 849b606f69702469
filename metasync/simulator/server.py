"""WSGI Graph API simulator: routes, auth, pagination, async reports, batch, usage headers, faults, control plane."""

from __future__ import annotations

import base64
import bisect
import hashlib
import hmac
import io
import json
import random
import re
import socket
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter, deque
from datetime import datetime
from typing import Any, Callable
from urllib.parse import parse_qsl, urlencode, urlsplit

from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from .errors import (SimulatedGraphError, invalid_param, nonexisting_field, rate_limit_error, reduce_data_500,
                     service_unavailable, too_much_data_sync, unknown_error, unsupported_request)
from .config import SimConfig
from .fields import parse_fields
from .filters import parse_edge_filters
from .mutations import mutate
from .rendering import NodeRenderer, check_fields, select_fields
from .schema import ACCOUNT, AD, ADSET, CAMPAIGN, CHILD_EDGES, CREATIVE, EDGE_KIND, NODE_TYPE, WEBHOOK_LEVEL
from .world import World

_VERSION_RE = re.compile(r"^v(\d+)\.(\d+)$")
LONG_LIVED_SECONDS = 5_183_944
SCOPES = ["ads_read", "ads_management", "business_management"]
REPORT_FIELDS = ("id", "account_id", "async_status", "async_percent_completion", "date_start", "date_stop",
                 "time_ref", "time_completed", "is_running", "emails", "friendly_name", "is_bookmarked",
                 "schedule_id")
JSON_CT = "application/json; charset=UTF-8"


def _dumps(obj: Any) -> str:
    return json.dumps(obj, separators=(",", ":"))


def _enc_cursor(prefix: str, value: int) -> str:
    raw = f"{prefix}:{value}:sim".encode()
    return base64.urlsafe_b64encode(b"\x01QVF" + raw).decode().rstrip("=")


def _dec_cursor(prefix: str, cursor: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        tag, value, tail = raw[4:].decode().split(":")
        if tag != prefix or tail != "sim" or not raw.startswith(b"\x01QVF"):
            raise ValueError
        return int(value)
    except (ValueError, UnicodeDecodeError):
        raise invalid_param("(#100) Invalid cursor", subcode=None) from None


def _page_bounds(keys: list[int], limit: int, after: int | None, before: int | None) -> tuple[int, int]:
    if before is not None:
        end = bisect.bisect_left(keys, before)
        return max(0, end - limit), end
    start = bisect.bisect_right(keys, after) if after is not None else 0
    return start, min(len(keys), start + limit)


def _version_tuple(v: str) -> tuple[int, int]:
    m = _VERSION_RE.match(v)
    if not m:
        raise ValueError(v)
    return int(m.group(1)), int(m.group(2))


class Call:
    """One Graph call as dispatched (an HTTP request, or one item of a batch)."""

    __slots__ = ("method", "path", "params", "query_pairs", "base_url", "version", "segments", "route",
                 "account", "trace_id", "usage_type", "token")

    def __init__(self, method: str, path: str, params: dict[str, str], query_pairs: list[tuple[str, str]],
                 base_url: str) -> None:
        self.method = method
        self.path = path
        self.params = params
        self.query_pairs = query_pairs
        self.base_url = base_url
        self.version: str | None = None
        self.segments: list[str] = []
        self.route = "unknown"
        self.account: dict | None = None
        self.trace_id = ""
        self.usage_type = "ads_management"
        self.token: str | None = None


class ReportRun:
    def __init__(self, run_id: str, account: dict, query, fail: bool, polls_needed: int) -> None:
        self.id = run_id
        self.account = account
        self.query = query
        self.fail = fail
        self.polls_needed = max(1, polls_needed)
        self.polls = 0
        self.created = int(time.time())
        self.completed_at = 0
        self.status = "Job Not Started"
        self.percent = 0

    def advance(self) -> None:
        self.polls += 1
        k, n = self.polls, self.polls_needed
        if k >= n:
            if self.fail:
                self.status, self.percent = "Job Failed", max(self.percent, 0)
            else:
                self.status, self.percent = "Job Completed", 100
            if not self.completed_at:
                self.completed_at = int(time.time())
        elif k <= 1:
            self.status, self.percent = "Job Not Started", 0
        elif k == 2:
            self.status, self.percent = "Job Started", (k - 1) * 100 // n
        else:
            self.status, self.percent = "Job Running", (k - 1) * 100 // n

    def node(self) -> dict:
        return {"id": self.id, "account_id": self.account["account_id"], "async_status": self.status,
                "async_percent_completion": self.percent, "date_start": self.query.date_start,
                "date_stop": self.query.date_stop, "time_ref": self.created, "time_completed": self.completed_at,
                "is_running": self.status not in ("Job Completed", "Job Failed", "Job Skipped"),
                "emails": [], "friendly_name": "", "is_bookmarked": False, "schedule_id": "0"}


class Faults:
    """Runtime fault injection (all off by default); see `Simulator.set_faults`."""

    def __init__(self) -> None:
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

    def as_dict(self) -> dict:
        return {"error_rate": self.error_rate, "rate_limit": self.rate_limit, "usage_pct": self.usage_pct,
                "expired_tokens": sorted(self.expired_tokens), "invalid_tokens": sorted(self.invalid_tokens),
                "reduce_data_above_limit": self.reduce_data_above_limit, "fail_report_runs": self.fail_report_runs,
                "timeout_ms": self.timeout_ms, "timeout_count": self.timeout_count, "latency_ms": self.latency_ms}


class Simulator:
    """The WSGI application. `world` is the simulated data; everything else here is runtime state."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.config: SimConfig = world.config
        self.renderer = NodeRenderer(world.objects, world.clock)
        self.lock = threading.Lock()
        self.faults = Faults()
        self._fault_rng = random.Random(f"{self.config.seed}:faults")
        self._trace_counter = 0
        self.calls: Counter[str] = Counter()
        self.errors: Counter[str] = Counter()
        self.http_requests = 0
        self.total_calls = 0
        self._app_window: deque[float] = deque()
        self._account_windows: dict[tuple[str, str], deque[float]] = {}
        self.report_runs: dict[str, ReportRun] = {}
        self._next_report = 6_020_000_000_000_000 + (self.config.seed % 997) * 1_000_000
        self.started_at = int(time.time())
        self.tokens: dict[str, dict] = {}  # issued tokens: token -> {"issued_at","expires_at","type"}
        self.user_id = str(10_150_000_000_000_000 + self.config.seed % 10**6)
        self.webhook_deliveries: list[dict] = []
        self._major_min = _version_tuple(self.config.min_version)

    # ================================================================ WSGI
    def __call__(self, environ: dict, start_response: Callable) -> Any:
        request = Request(environ)
        try:
            if request.path.startswith("/__sim"):
                response = self.control(request)
            else:
                response = self.graph_http(request)
        except Exception as exc:  # never let the dev server print a traceback page
            response = Response(_dumps({"error": {"message": f"simulator bug: {exc!r}", "type": "SimulatorError",
                                                  "code": 1, "is_transient": False, "fbtrace_id": "SIMBUG"}}),
                                status=500, content_type=JSON_CT)
            print(f"metasync simulator: internal error on {request.method} {request.full_path}: {exc!r}",
                  file=sys.stderr)
        return response(environ, start_response)

    # ========================================================== Graph HTTP
    def graph_http(self, request: Request) -> Response:
        with self.lock:
            self.http_requests += 1
            timeout = 0
            if self.faults.timeout_count > 0 and self.faults.timeout_ms > 0:
                self.faults.timeout_count -= 1
                timeout = self.faults.timeout_ms
            latency = self.faults.latency_ms if self.faults.latency_ms is not None else self.config.latency_ms
        if latency:
            time.sleep(latency / 1000)
        if timeout:
            time.sleep(timeout / 1000)
        query_pairs = parse_qsl(request.query_string.decode("latin-1"), keep_blank_values=True)
        params: dict[str, str] = {}
        for k, v in query_pairs:
            params.setdefault(k, v)
        if request.method == "POST":
            for k, v in request.form.items():
                params.setdefault(k, v)
        auth = request.headers.get("Authorization", "")
        if "access_token" not in params and auth:
            scheme, _, tok = auth.partition(" ")
            if scheme.lower() in ("oauth", "bearer") and tok.strip():
                params["access_token"] = tok.strip()
        base_url = request.host_url.rstrip("/")
        path = request.path
        if request.method == "POST" and "batch" in params and path.strip("/") in ("", *self._version_only(path)):
            return self.batch_http(request, path, params, base_url)
        call = Call(request.method, path, params, query_pairs, base_url)
        status, body, headers = self.dispatch(call)
        resp = Response(_dumps(body), status=status, content_type=JSON_CT)
        for k, v in headers:
            resp.headers[k] = v
        return resp

    @staticmethod
    def _version_only(path: str) -> tuple[str, ...]:
        p = path.strip("/")
        return (p,) if _VERSION_RE.match(p) else ()

    def _trace(self) -> str:
        with self.lock:
            self._trace_counter += 1
            n = self._trace_counter
        digest = hashlib.blake2b(f"{self.config.seed}:{n}".encode(), digest_size=9).digest()
        return "A" + base64.urlsafe_b64encode(digest).decode()[:10]

    # ============================================================ dispatch
    def dispatch(self, call: Call) -> tuple[int, Any, list[tuple[str, str]]]:
        """Route one call. Returns (HTTP status, JSON body, headers)."""
        call.trace_id = self._trace()
        status = 200
        try:
            self._resolve(call)
            with self.lock:
                self.total_calls += 1
                self.calls[call.route] += 1
            body = self._handle(call)
        except SimulatedGraphError as err:
            status = err.http_status
            body = err.body(call.trace_id)
            with self.lock:
                self.errors[str(err.code) + (f"/{err.subcode}" if err.subcode else "")] += 1
            headers = self._headers(call, error=err)
            if err.code in (102, 104, 190):
                headers.append(("WWW-Authenticate", f'OAuth "Facebook Platform" "invalid_token" "{err.message}"'))
            return status, body, headers
        return status, body, self._headers(call)

    def _resolve(self, call: Call) -> None:
        """Parse the version and classify the route (for call counting and usage accounting)."""
        segs = [s for s in call.path.split("/") if s]
        if segs and _VERSION_RE.match(segs[0]):
            call.version = segs[0]
            segs = segs[1:]
            if _version_tuple(call.version) < self._major_min:
                call.route = f"{call.method} deprecated_version"
                with self.lock:
                    self.total_calls += 1
                    self.calls[call.route] += 1
                raise SimulatedGraphError(2635, "(#2635) You are calling a deprecated version of the Ads API. Please "
                                                f"update to the latest version: {self.config.latest_version}.")
        else:
            call.version = None  # unversioned calls use the app's default (latest) version
        call.segments = segs
        m = call.method
        if not segs:
            call.route = f"{m} root"
        elif segs[0] == "oauth" and segs[1:] == ["access_token"]:
            call.route = f"{m} oauth/access_token"
        elif segs == ["debug_token"]:
            call.route = f"{m} debug_token"
        elif segs[0] == "me":
            call.route = f"{m} me" + (f"/{segs[1]}" if len(segs) > 1 else "")
        elif segs[0].startswith("act_"):
            call.account = self.world.account(segs[0])
            call.route = f"{m} act" + (f"/{segs[1]}" if len(segs) > 1 else "")
        elif segs[0] in self.report_runs:
            call.account = self.report_runs[segs[0]].account
            call.route = f"{m} report_run" + (f"/{segs[1]}" if len(segs) > 1 else "")
        else:
            obj = self.world.get(segs[0])
            if obj is not None:
                call.account = self.world.account_of(obj)
            call.route = f"{m} node" + (f"/{segs[1]}" if len(segs) > 1 else "")
        if len(segs) > 1 and segs[1] == "insights":
            call.usage_type = "ads_insights"

    def _handle(self, call: Call) -> Any:
        segs = call.segments
        m = call.method
        if segs[:2] == ["oauth", "access_token"] and len(segs) == 2:
            self._record_usage(call)
            return self.oauth_access_token(call)
        self._authenticate(call)
        self._inject_faults(call)
        if not segs:
            raise SimulatedGraphError(100, "(#100) Unsupported request: the root path needs a batch parameter")
        if segs == ["debug_token"]:
            return self.debug_token(call)
        if len(segs) > 2:
            raise unsupported_request(m, "/".join(segs))
        head = segs[0]
        edge = segs[1] if len(segs) > 1 else None
        if head == "me":
            if m != "GET":
                raise unsupported_request(m, head)
            if edge is None:
                return select_fields({"id": self.user_id, "name": "Simulated User"}, call.params.get("fields", ""),
                                     "User", {"id", "name"})
            if edge == "adaccounts":
                return self.list_accounts(call)
            raise nonexisting_field(edge, "User")
        if head.startswith("act_"):
            account = call.account
            if account is None:
                raise unsupported_request(m, head)
            if edge is None:
                if m != "GET":
                    raise unsupported_request(m, head)
                return self.renderer.render(account, parse_fields(call.params.get("fields", "")))
            if edge == "insights":
                if m == "POST":
                    return self.create_report_run(call, account)
                if m == "GET":
                    return self.sync_insights(call, account, account)
                raise unsupported_request(m, head)
            if edge in EDGE_KIND and m == "GET":
                return self.list_edge(call, account, EDGE_KIND[edge])
            if m != "GET":
                raise unsupported_request(m, f"{head}/{edge}")
            raise nonexisting_field(edge, "AdAccount")
        run = self.report_runs.get(head)
        if run is not None:
            if m != "GET":
                raise unsupported_request(m, head)
            if edge is None:
                return self.report_run_node(call, run)
            if edge == "insights":
                return self.report_run_insights(call, run)
            raise nonexisting_field(edge, "AdReportRun")
        obj = self.world.get(head)
        if obj is None or m != "GET":
            raise unsupported_request(m, head)
        kind = obj["_kind"]
        if edge is None:
            return self.renderer.render(obj, parse_fields(call.params.get("fields", "")))
        if edge == "insights" and kind in (CAMPAIGN, ADSET, AD):
            return self.sync_insights(call, self.world.account_of(obj), obj)
        child = CHILD_EDGES.get(kind, {}).get(edge)
        if child is not None:
            if child == CREATIVE:  # /<ad>/adcreatives: the ad's creative
                return self._creative_edge(call, obj)
            return self.list_edge(call, obj, child)
        raise nonexisting_field(edge, NODE_TYPE[kind])

    # ================================================================ auth
    def _token_expired(self, token: str) -> bool:
        if token in self.faults.expired_tokens or token in self.config.expired_tokens:
            return True
        info = self.tokens.get(token)
        return bool(info and info["expires_at"] and info["expires_at"] < time.time())

    def _expired_error(self, token: str) -> SimulatedGraphError:
        info = self._token_info(token)
        when = datetime.fromtimestamp(min(info["expires_at"], time.time() - 3600), self.world.clock.tz)
        now = datetime.now(self.world.clock.tz)
        fmt = "%A, %d-%b-%y %H:%M:%S %Z"
        return SimulatedGraphError(190, f"Error validating access token: Session has expired on {when.strftime(fmt)}. "
                                        f"The current time is {now.strftime(fmt)}.", subcode=463)

    @staticmethod
    def _invalid_error() -> SimulatedGraphError:
        return SimulatedGraphError(190, "Error validating access token: The session is invalid because the user "
                                        "logged out.", subcode=467)

    def _authenticate(self, call: Call) -> None:
        token = call.params.get("access_token", "")
        if not token:
            raise SimulatedGraphError(104, "An access token is required to request this resource.")
        call.token = token
        if token in self.faults.invalid_tokens:
            raise self._invalid_error()
        if self._token_expired(token):
            raise self._expired_error(token)
        if "|" in token:
            app_id, _, rest = token.partition("|")
            ok = app_id == self.config.app_id and (
                rest == (self.config.app_secret or rest) or token in self.tokens)
            if not ok:
                raise SimulatedGraphError(190, "Invalid OAuth access token signature.")
            return  # app tokens carry the secret: no appsecret_proof needed
        secret = self.config.app_secret
        if secret:
            proof = call.params.get("appsecret_proof")
            if not proof:
                raise SimulatedGraphError(100, "API calls from the server require an appsecret_proof argument",
                                          type="GraphMethodException")
            expected = hmac.new(secret.encode(), token.encode(), hashlib.sha256).hexdigest()
            if not hmac.compare_digest(proof.lower(), expected):
                raise SimulatedGraphError(100, "Invalid appsecret_proof provided in the API argument",
                                          type="GraphMethodException")

    def _token_info(self, token: str) -> dict:
        info = self.tokens.get(token)
        if info is not None:
            return info
        issued = self.started_at - 3600
        return {"issued_at": issued, "expires_at": issued + LONG_LIVED_SECONDS, "type": "USER"}

    # ============================================================== faults
    def _inject_faults(self, call: Call) -> None:
        with self.lock:
            rl = self.faults.rate_limit
            if rl and rl.get("count", 0) > 0:
                rl["count"] -= 1
                err = rate_limit_error(int(rl.get("code", 17)), rl.get("subcode"))
                self._record_usage_locked(call)
                raise err
            rate = self.faults.error_rate
            if rate is None:
                rate = self.config.error_rate
            if rate > 0 and self._fault_rng.random() < rate:
                transient = self._fault_rng.random() < 0.5
                self._record_usage_locked(call)
                raise service_unavailable() if transient else unknown_error()
            self._record_usage_locked(call)
            if self.config.enforce_usage_limits:
                app_pct, acct_pct = self._usage_pcts_locked(call)
                if acct_pct >= 100:
                    raise rate_limit_error(80000 if call.usage_type == "ads_insights" else 80004)
                if app_pct >= 100:
                    raise rate_limit_error(4)

    def _check_reduce_data(self, limit: int) -> None:
        n = self.faults.reduce_data_above_limit
        if n is not None and limit > n:
            raise reduce_data_500()

    # =============================================================== usage
    def _record_usage(self, call: Call) -> None:
        with self.lock:
            self._record_usage_locked(call)

    def _record_usage_locked(self, call: Call) -> None:
        now = time.monotonic()
        self._app_window.append(now)
        if call.account is not None:
            key = (call.account["account_id"], call.usage_type)
            dq = self._account_windows.get(key)
            if dq is None:
                dq = self._account_windows[key] = deque()
            dq.append(now)

    def _trim(self, dq: deque, now: float) -> None:
        horizon = now - self.config.usage_window_s
        while dq and dq[0] < horizon:
            dq.popleft()

    def _usage_pcts_locked(self, call: Call) -> tuple[float, float]:
        now = time.monotonic()
        self._trim(self._app_window, now)
        app_pct = 100.0 * len(self._app_window) / max(1, self.config.app_call_capacity)
        acct_pct = 0.0
        account = call.account or (self.world.accounts[0] if self.world.accounts else None)
        if account is not None:
            dq = self._account_windows.get((account["account_id"], call.usage_type))
            if dq:
                self._trim(dq, now)
                acct_pct = 100.0 * len(dq) / max(1, self.config.account_call_capacity)
        return app_pct, acct_pct

    def _headers(self, call: Call, error: SimulatedGraphError | None = None) -> list[tuple[str, str]]:
        with self.lock:
            app_pct, acct_pct = self._usage_pcts_locked(call)
            forced = self.faults.usage_pct
            rl = self.faults.rate_limit
            throttled = error is not None and error.code in (4, 17, 32, 341, 613) or (
                error is not None and 80000 <= error.code <= 80014)
            regain = int(rl.get("regain_minutes", 0)) if (rl and throttled) else 0
            reset_s = 0
            account = call.account or (self.world.accounts[0] if self.world.accounts else None)
            if account is not None:
                dq = self._account_windows.get((account["account_id"], call.usage_type))
                if dq:
                    reset_s = max(0, int(self.config.usage_window_s - (time.monotonic() - dq[0])))
        if forced is not None:
            app_pct = acct_pct = float(forced)
        if throttled:
            acct_pct = max(acct_pct, 100.0)
            if error.code == 4:
                app_pct = max(app_pct, 100.0)
        app_i = int(round(app_pct))
        headers = [
            ("x-fb-trace-id", call.trace_id),
            ("x-fb-rev", "1010101010"),
            ("facebook-api-version", call.version or self.config.latest_version),
            ("X-App-Usage", _dumps({"call_count": app_i, "total_time": int(app_i * 0.6) if forced is None else app_i,
                                    "total_cputime": int(app_i * 0.4) if forced is None else app_i})),
        ]
        if account is not None:
            digits = account["account_id"]
            acct_r = round(acct_pct, 2)
            acct_i = int(round(acct_pct))
            if call.segments and call.segments[0].startswith("act_"):
                headers.append(("X-Ad-Account-Usage", _dumps({"acc_id_util_pct": acct_r,
                                                              "reset_time_duration": reset_s,
                                                              "ads_api_access_tier": self.config.access_tier})))
            headers.append(("X-Business-Use-Case-Usage", _dumps({digits: [{
                "type": call.usage_type, "call_count": acct_i,
                "total_cputime": acct_i if forced is not None or throttled else int(acct_i * 0.5),
                "total_time": acct_i if forced is not None or throttled else int(acct_i * 0.7),
                "estimated_time_to_regain_access": regain, "ads_api_access_tier": self.config.access_tier}]})))
            if call.usage_type == "ads_insights":
                headers.append(("X-FB-Ads-Insights-Throttle", _dumps({"app_id_util_pct": round(app_pct, 2),
                                                                      "acc_id_util_pct": acct_r,
                                                                      "ads_api_access_tier": self.config.access_tier})))
        return headers

    # ============================================================== paging
    def _limit(self, call: Call) -> int:
        raw = call.params.get("limit")
        if raw in (None, ""):
            limit = self.config.default_limit
        else:
            try:
                limit = int(raw)
            except ValueError:
                raise invalid_param("(#100) Param limit must be a non-negative integer") from None
            if limit <= 0:
                limit = self.config.default_limit
        limit = min(limit, self.config.max_limit)
        self._check_reduce_data(limit)
        return limit

    def _page_url(self, call: Call, limit: int, after: str | None = None, before: str | None = None) -> str:
        pairs = [(k, v) for k, v in call.query_pairs if k not in ("after", "before", "limit")]
        pairs.append(("limit", str(limit)))
        if after is not None:
            pairs.append(("after", after))
        if before is not None:
            pairs.append(("before", before))
        path = call.path if call.path.startswith("/") else "/" + call.path
        if call.version is None:  # Meta's next links always carry the version
            path = f"/{self.config.latest_version}{path}"
        return f"{call.base_url}{path}?{urlencode(pairs)}"

    def _paging(self, call: Call, limit: int, first: str, last: str, has_prev: bool, has_next: bool) -> dict:
        paging: dict = {"cursors": {"before": first, "after": last}}
        if has_prev:
            paging["previous"] = self._page_url(call, limit, before=first)
        if has_next:
            paging["next"] = self._page_url(call, limit, after=last)
        return paging

    # =============================================================== edges
    def _json_param(self, call: Call, name: str) -> Any:
        raw = call.params.get(name)
        if raw in (None, ""):
            return None
        try:
            return json.loads(raw)
        except ValueError:
            if name == "effective_status":  # also accept ACTIVE,PAUSED
                return [s.strip() for s in raw.split(",") if s.strip()]
            raise invalid_param(f"(#100) param {name} must be a JSON array") from None

    def list_edge(self, call: Call, scope: dict, kind: str) -> dict:
        world = self.world
        spec = parse_fields(call.params.get("fields", ""))
        check_fields(kind, spec)
        limit = self._limit(call)
        filtering = self._json_param(call, "filtering")
        if filtering is not None and not isinstance(filtering, list):
            raise invalid_param("(#100) param filtering must be a JSON array")
        eff = self._json_param(call, "effective_status")
        if eff is not None and not isinstance(eff, list):
            raise invalid_param("(#100) param effective_status must be an array")
        filters = parse_edge_filters(kind, filtering, eff)
        objs, keys = world.edge_list(scope, kind, filters)
        after = _dec_cursor("o", call.params["after"]) if call.params.get("after") else None
        before = _dec_cursor("o", call.params["before"]) if call.params.get("before") and after is None else None
        start, end = _page_bounds(keys, limit, after, before)
        body: dict = {"data": [self.renderer.render(o, spec) for o in objs[start:end]]}
        if end > start:
            body["paging"] = self._paging(call, limit, _enc_cursor("o", keys[start]), _enc_cursor("o", keys[end - 1]),
                                          start > 0, end < len(keys))
        if call.params.get("summary") in ("true", "1", "total_count", '["total_count"]'):
            body["summary"] = {"total_count": len(objs)}
        return body

    def _creative_edge(self, call: Call, ad: dict) -> dict:
        spec = parse_fields(call.params.get("fields", ""))
        check_fields(CREATIVE, spec)
        creative = self.world.objects.get(ad["_creative_id"])
        return {"data": [self.renderer.render(creative, spec)] if creative else []}

    def list_accounts(self, call: Call) -> dict:
        spec = parse_fields(call.params.get("fields", ""))
        check_fields(ACCOUNT, spec)
        limit = self._limit(call)
        accounts = self.world.accounts
        keys = [int(a["account_id"]) for a in accounts]
        after = _dec_cursor("o", call.params["after"]) if call.params.get("after") else None
        start, end = _page_bounds(keys, limit, after, None)
        body: dict = {"data": [self.renderer.render(a, spec) for a in accounts[start:end]]}
        if end > start:
            body["paging"] = self._paging(call, limit, _enc_cursor("o", keys[start]), _enc_cursor("o", keys[end - 1]),
                                          start > 0, end < len(keys))
        return body

    # ============================================================ insights
    def sync_insights(self, call: Call, account: dict, scope: dict) -> dict:
        engine = self.world.insights
        query = engine.build_query(account, scope, call.params)
        limit = self._limit(call)
        if engine.estimate_rows(query) > self.config.max_sync_insights_rows:
            raise too_much_data_sync()
        return self._insights_page(call, query, limit)

    def _insights_page(self, call: Call, query, limit: int) -> dict:
        after = _dec_cursor("r", call.params["after"]) if call.params.get("after") else None
        before = _dec_cursor("r", call.params["before"]) if call.params.get("before") and after is None else None
        rows, first, last, has_prev, has_next = self.world.insights.page(query, limit, after, before)
        body: dict = {"data": rows}
        if rows:
            body["paging"] = self._paging(call, limit, _enc_cursor("r", first), _enc_cursor("r", last),
                                          has_prev, has_next)
        return body

    def create_report_run(self, call: Call, account: dict) -> dict:
        query = self.world.insights.build_query(account, account, call.params)
        with self.lock:
            self._next_report += 7
            run_id = str(self._next_report)
            fail = self.faults.fail_report_runs > 0
            if fail:
                self.faults.fail_report_runs -= 1
            self.report_runs[run_id] = ReportRun(run_id, account, query, fail, self.config.report_polls)
        return {"report_run_id": run_id}

    def report_run_node(self, call: Call, run: ReportRun) -> dict:
        with self.lock:
            run.advance()
            node = run.node()
        return select_fields(node, call.params.get("fields", ""), "AdReportRun", REPORT_FIELDS)

    def report_run_insights(self, call: Call, run: ReportRun) -> dict:
        if run.status == "Job Failed":
            raise SimulatedGraphError(2601, "(#2601) Error accessing adreport job.")
        if run.status != "Job Completed":
            raise SimulatedGraphError(100, f"(#100) The report run {run.id} is not finished yet (async_status: "
                                           f"{run.status}); poll it until async_status is Job Completed")
        limit = self._limit(call)
        return self._insights_page(call, run.query, limit)

    # =============================================================== oauth
    def _issue_token(self, seed_text: str, kind: str = "USER") -> str:
        digest = hashlib.sha256(f"{self.config.seed}:{seed_text}:{time.time_ns()}".encode()).hexdigest()
        token = "EAA" + self.config.app_id + "ZD" + base64.b32encode(bytes.fromhex(digest)).decode().rstrip("=")
        now = int(time.time())
        self.tokens[token] = {"issued_at": now, "expires_at": now + LONG_LIVED_SECONDS, "type": kind}
        return token

    def oauth_access_token(self, call: Call) -> dict:
        p = call.params
        grant = p.get("grant_type", "")
        if p.get("client_id") != self.config.app_id:
            raise SimulatedGraphError(101, "Error validating application. Invalid application ID.")
        secret = p.get("client_secret")
        if not secret:
            raise SimulatedGraphError(1, "Missing client_secret parameter.", http_status=400)
        if self.config.app_secret and not hmac.compare_digest(secret, self.config.app_secret):
            raise SimulatedGraphError(1, "Error validating client secret.", http_status=400)
        if grant == "fb_exchange_token":
            old = p.get("fb_exchange_token", "")
            if not old:
                raise SimulatedGraphError(100, "(#100) Missing fb_exchange_token parameter")
            if old in self.faults.invalid_tokens:
                raise self._invalid_error()
            if self._token_expired(old):
                raise self._expired_error(old)
            with self.lock:
                token = self._issue_token(old)
            return {"access_token": token, "token_type": "bearer", "expires_in": LONG_LIVED_SECONDS}
        if grant == "client_credentials":
            digest = hmac.new((self.config.app_secret or "sim").encode(), self.config.app_id.encode(),
                              hashlib.sha256).hexdigest()[:27]
            token = f"{self.config.app_id}|{digest}"
            with self.lock:
                self.tokens[token] = {"issued_at": int(time.time()), "expires_at": 0, "type": "APP"}
            return {"access_token": token, "token_type": "bearer"}
        raise SimulatedGraphError(100, f"(#100) Unsupported grant_type: {grant or '(missing)'}")

    def debug_token(self, call: Call) -> dict:
        token = call.params.get("input_token", "")
        if not token:
            raise SimulatedGraphError(100, "(#100) The parameter input_token is required")
        if "|" in token and token.split("|", 1)[0] == self.config.app_id:
            return {"data": {"app_id": self.config.app_id, "type": "APP", "application": "Metasync Simulator",
                             "is_valid": True, "scopes": []}}
        info = self._token_info(token)
        data: dict = {"app_id": self.config.app_id, "type": info["type"], "application": "Metasync Simulator",
                      "data_access_expires_at": info["issued_at"] + 90 * 86400, "expires_at": info["expires_at"],
                      "is_valid": True, "issued_at": info["issued_at"], "scopes": list(SCOPES),
                      "granular_scopes": [{"scope": s} for s in SCOPES], "user_id": self.user_id}
        if token in self.faults.invalid_tokens:
            err = self._invalid_error()
            data["is_valid"] = False
            data["error"] = {"code": 190, "message": err.message, "subcode": err.subcode}
        elif self._token_expired(token):
            err = self._expired_error(token)
            data["is_valid"] = False
            data["expires_at"] = min(info["expires_at"], int(time.time()) - 3600)
            data["error"] = {"code": 190, "message": err.message, "subcode": 463}
        return {"data": data}

    # =============================================================== batch
    def batch_http(self, request: Request, path: str, params: dict[str, str], base_url: str) -> Response:
        outer = Call("POST", path, params, [], base_url)
        outer.trace_id = self._trace()
        try:
            self._resolve(outer)
            outer.route = "POST batch"
            with self.lock:
                self.calls["POST batch"] += 1
            try:
                items = json.loads(params["batch"])
            except ValueError:
                raise invalid_param("(#100) The parameter batch must be a JSON array") from None
            if not isinstance(items, list):
                raise invalid_param("(#100) The parameter batch must be a JSON array")
            if len(items) > 50:
                raise invalid_param("(#100) Too many requests in batch message. Maximum batch size is 50")
            if not params.get("access_token") and not all(
                    isinstance(i, dict) and "access_token" in str(i.get("relative_url", "")) for i in items):
                raise SimulatedGraphError(104, "An access token is required to request this resource.")
        except SimulatedGraphError as err:
            resp = Response(_dumps(err.body(outer.trace_id)), status=err.http_status, content_type=JSON_CT)
            for k, v in self._headers(outer, error=err):
                resp.headers[k] = v
            return resp
        include_headers = params.get("include_headers", "true") != "false"
        results = []
        for item in items:
            results.append(self._batch_item(item, params, base_url, outer.version, include_headers))
        resp = Response(_dumps(results), status=200, content_type=JSON_CT)
        for k, v in self._headers(outer):
            resp.headers[k] = v
        return resp

    def _batch_item(self, item: Any, outer: dict[str, str], base_url: str, version: str | None,
                    include_headers: bool) -> dict:
        if not isinstance(item, dict) or not item.get("relative_url"):
            err = invalid_param("(#100) Each batch item needs a relative_url")
            return {"code": 400, "headers": [], "body": _dumps(err.body(self._trace()))}
        method = str(item.get("method", "GET")).upper()
        rel = str(item["relative_url"]).lstrip("/")
        parts = urlsplit("/" + rel)
        path = parts.path
        first = [s for s in path.split("/") if s][:1]
        if version and not (first and _VERSION_RE.match(first[0])):
            path = f"/{version}{path}"
        query_pairs = parse_qsl(parts.query, keep_blank_values=True)
        params: dict[str, str] = {}
        for k, v in query_pairs:
            params.setdefault(k, v)
        if item.get("body"):
            for k, v in parse_qsl(str(item["body"]), keep_blank_values=True):
                params.setdefault(k, v)
        for k in ("access_token", "appsecret_proof"):
            if k in outer and k not in params:
                params[k] = outer[k]
        call = Call(method, path, params, query_pairs, base_url)
        status, body, headers = self.dispatch(call)
        hdrs = [{"name": "Content-Type", "value": "text/javascript; charset=UTF-8"}]
        if include_headers:
            hdrs += [{"name": k, "value": v} for k, v in headers]
        return {"code": status, "headers": hdrs, "body": _dumps(body)}

    # ======================================================= control plane
    def control(self, request: Request) -> Response:
        path = request.path.rstrip("/")
        method = request.method
        try:
            payload = request.get_json(force=True, silent=True) if method == "POST" else None
            if payload is None and method == "POST" and request.get_data():
                return self._ctl({"error": "body must be JSON"}, 400)
            payload = payload or {}
            if path == "/__sim/health":
                return self._ctl({"ok": True, "version": self.world.version})
            if path == "/__sim/calls" and method == "GET":
                return self._ctl(self.call_stats())
            if path == "/__sim/calls/reset" and method == "POST":
                self.reset_calls()
                return self._ctl(self.call_stats())
            if path == "/__sim/faults" and method == "GET":
                return self._ctl(self.faults.as_dict())
            if path == "/__sim/faults" and method == "POST":
                return self._ctl(self.set_faults(payload))
            if path == "/__sim/faults/clear" and method == "POST":
                self.clear_faults()
                return self._ctl(self.faults.as_dict())
            if path == "/__sim/mutate" and method == "POST":
                return self._ctl(self.apply_mutations(payload))
            if path == "/__sim/webhook" and method == "POST":
                result = self.send_webhook(payload)
                return self._ctl(result, 200 if result.get("status_code") is not None else 502)
            if path == "/__sim/webhook/verify" and method == "POST":
                return self._ctl(self.verify_webhook(payload))
            if path == "/__sim/config" and method == "GET":
                return self._ctl(self.config.as_dict())
            if path == "/__sim/config" and method == "POST":
                return self._ctl(self.set_config(payload))
            if path == "/__sim/world" and method == "GET":
                return self._ctl(self.world.summary())
            if path.startswith("/__sim/objects/") and method == "GET":
                obj = self.world.get(path.rsplit("/", 1)[1])
                if obj is None:
                    return self._ctl({"error": "unknown id"}, 404)
                return self._ctl(self.world.public_view(obj))
            if path == "/__sim/report_runs" and method == "GET":
                return self._ctl({rid: r.node() for rid, r in self.report_runs.items()})
            return self._ctl({"error": f"unknown control endpoint {method} {path}"}, 404)
        except (KeyError, ValueError, TypeError) as exc:
            return self._ctl({"error": f"{type(exc).__name__}: {exc}"}, 400)

    @staticmethod
    def _ctl(body: Any, status: int = 200) -> Response:
        return Response(_dumps(body), status=status, content_type=JSON_CT)

    def call_stats(self) -> dict:
        with self.lock:
            return {"total": self.total_calls, "http_requests": self.http_requests,
                    "by_route": dict(sorted(self.calls.items())), "errors": dict(sorted(self.errors.items()))}

    def reset_calls(self) -> None:
        with self.lock:
            self.calls.clear()
            self.errors.clear()
            self.total_calls = 0
            self.http_requests = 0
            self._app_window.clear()
            self._account_windows.clear()

    def set_faults(self, payload: dict) -> dict:
        if not isinstance(payload, dict):
            raise ValueError("faults must be a JSON object")
        known = {"error_rate", "rate_limit", "usage_pct", "expired_tokens", "invalid_tokens",
                 "reduce_data_above_limit", "fail_report_runs", "timeout_ms", "timeout_count", "latency_ms"}
        unknown = set(payload) - known
        if unknown:
            raise ValueError(f"unknown fault(s): {sorted(unknown)}; known: {sorted(known)}")
        f = self.faults
        with self.lock:
            if "error_rate" in payload:
                rate = None if payload["error_rate"] is None else float(payload["error_rate"])
                if rate is not None and not 0 <= rate <= 1:
                    raise ValueError("error_rate must be within [0, 1]")
                f.error_rate = rate
            if "rate_limit" in payload:
                rl = payload["rate_limit"]
                if rl:
                    code = int(rl.get("code", 17))
                    f.rate_limit = {"code": code, "count": int(rl.get("count", 1)),
                                    "regain_minutes": int(rl.get("regain_minutes", 0)),
                                    "subcode": rl.get("subcode")}
                else:
                    f.rate_limit = None
            if "usage_pct" in payload:
                f.usage_pct = None if payload["usage_pct"] is None else float(payload["usage_pct"])
            if "expired_tokens" in payload:
                f.expired_tokens.update(str(t) for t in payload["expired_tokens"] or [])
            if "invalid_tokens" in payload:
                f.invalid_tokens.update(str(t) for t in payload["invalid_tokens"] or [])
            if "reduce_data_above_limit" in payload:
                v = payload["reduce_data_above_limit"]
                f.reduce_data_above_limit = None if v is None else int(v)
            if "fail_report_runs" in payload:
                f.fail_report_runs = int(payload["fail_report_runs"] or 0)
            if "timeout_ms" in payload:
                f.timeout_ms = int(payload["timeout_ms"] or 0)
                f.timeout_count = int(payload.get("timeout_count", 1)) if f.timeout_ms else 0
            elif "timeout_count" in payload:
                f.timeout_count = int(payload["timeout_count"])
            if "latency_ms" in payload:
                f.latency_ms = None if payload["latency_ms"] is None else int(payload["latency_ms"])
            return f.as_dict()

    def clear_faults(self) -> None:
        """Drop every runtime fault: back to the configured baseline (config.error_rate, config.latency_ms and
        config.expired_tokens still apply; change those with POST /__sim/config)."""
        with self.lock:
            self.faults = Faults()

    def set_config(self, payload: dict) -> dict:
        settable = {"webhook_url", "webhook_verify_token", "max_sync_insights_rows", "report_polls",
                    "latency_ms", "error_rate", "default_limit", "max_limit", "app_call_capacity",
                    "account_call_capacity", "enforce_usage_limits", "access_tier", "usage_window_s"}
        unknown = set(payload) - settable
        if unknown:
            raise ValueError(f"not settable at runtime: {sorted(unknown)}; settable: {sorted(settable)}")
        with self.lock:
            for k, v in payload.items():
                setattr(self.config, k, v)
        return self.config.as_dict()

    def apply_mutations(self, payload: Any) -> dict:
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
                entry["webhook"] = self.send_webhook({"id": oid, **({"field": action["field"]}
                                                                    if "field" in action else {})})
            results.append(entry)
        return {"version": self.world.version, "results": results}

    # ============================================================= webhooks
    def webhook_payload(self, ids: list[str], field: str = "in_process_ad_objects") -> dict:
        entries: dict[str, dict] = {}
        now = int(time.time())
        for oid in ids:
            obj = self.world.get(oid)
            if obj is None or obj["_kind"] == ACCOUNT:
                raise ValueError(f"unknown object id {oid!r}")
            digits = self.world.account_of(obj)["account_id"]
            level = WEBHOOK_LEVEL[obj["_kind"]]
            if field == "with_issues_ad_objects":
                issue = (obj.get("issues_info") or [{"error_code": 1815869, "error_summary": "Ad post is not available",
                                                     "error_message": "Ad post is not available."}])[0]
                value = {"id": oid, "level": level, "error_code": issue["error_code"],
                         "error_summary": issue["error_summary"], "error_message": issue["error_message"]}
            elif field == "in_process_ad_objects":
                value = {"id": oid, "level": level,
                         "status_name": obj.get("effective_status") or obj.get("status", "ACTIVE")}
            else:
                raise ValueError("field must be in_process_ad_objects or with_issues_ad_objects")
            entry = entries.setdefault(digits, {"id": digits, "time": now, "changes": []})
            entry["changes"].append({"field": field, "value": value})
        return {"object": "ad_account", "entry": list(entries.values())}

    def sign(self, body: bytes) -> tuple[str, str]:
        key = (self.config.app_secret or "").encode()
        return ("sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest(),
                "sha1=" + hmac.new(key, body, hashlib.sha1).hexdigest())

    def send_webhook(self, payload: dict) -> dict:
        url = payload.get("url") or self.config.webhook_url
        if not url:
            raise ValueError("no webhook_url configured (POST /__sim/config {\"webhook_url\": ...})")
        ids = payload.get("ids") or [payload["id"]]
        body_obj = self.webhook_payload([str(i) for i in ids], payload.get("field", "in_process_ad_objects"))
        body = _dumps(body_obj).encode()
        sig256, sig1 = self.sign(body)
        req = urllib.request.Request(url, data=body, method="POST", headers={
            "Content-Type": "application/json", "User-Agent": "facebookexternalua",
            "X-Hub-Signature-256": sig256, "X-Hub-Signature": sig1})
        result: dict = {"url": url, "payload": body_obj, "signature_256": sig256}
        try:
            with urllib.request.urlopen(req, timeout=float(payload.get("timeout", 10))) as resp:
                result["status_code"] = resp.status
                result["response"] = resp.read(2000).decode("utf-8", "replace")
        except urllib.error.HTTPError as exc:
            result["status_code"] = exc.code
            result["response"] = exc.read(2000).decode("utf-8", "replace")
            exc.close()
        except (urllib.error.URLError, OSError) as exc:
            result["status_code"] = None
            result["error"] = str(exc)
        with self.lock:
            self.webhook_deliveries.append({k: v for k, v in result.items() if k != "payload"})
            del self.webhook_deliveries[:-200]
        return result

    def verify_webhook(self, payload: dict) -> dict:
        """Meta's subscription handshake: GET ?hub.mode=subscribe&hub.challenge=N&hub.verify_token=T."""
        url = payload.get("url") or self.config.webhook_url
        if not url:
            raise ValueError("no webhook_url configured")
        challenge = str(payload.get("challenge", random.Random(self.config.seed).randint(10**8, 10**9)))
        token = payload.get("verify_token", self.config.webhook_verify_token)
        sep = "&" if "?" in url else "?"
        full = url + sep + urlencode({"hub.mode": "subscribe", "hub.challenge": challenge, "hub.verify_token": token})
        try:
            with urllib.request.urlopen(full, timeout=10) as resp:
                text = resp.read(2000).decode("utf-8", "replace")
                return {"status_code": resp.status, "body": text, "verified": resp.status == 200 and text == challenge}
        except urllib.error.HTTPError as exc:
            exc.close()
            return {"status_code": exc.code, "verified": False}
        except (urllib.error.URLError, OSError) as exc:
            return {"status_code": None, "verified": False, "error": str(exc)}


def create_simulator_app(world: World | SimConfig | None = None) -> Simulator:
    """The WSGI app for a world (or a config, or the default config)."""
    if not isinstance(world, World):
        world = World(world)
    return Simulator(world)


class _KeepAliveHandler(WSGIRequestHandler):
    """werkzeug's handler, but with HTTP/1.1 keep-alive (werkzeug >= 2.1 closes every connection).

    Safe here because the request body is read completely before the app runs (chunked request bodies
    fall back to closing the connection) and the app always answers with a Content-Length.
    """

    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        super().setup()
        try:
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass
        conns = getattr(self.server, "sim_connections", None)
        if conns is not None:
            conns.add(self.connection)

    def finish(self) -> None:
        conns = getattr(self.server, "sim_connections", None)
        if conns is not None:
            conns.discard(self.connection)
        super().finish()

    def run_wsgi(self) -> None:
        environ = self.make_environ()
        if environ.get("wsgi.input_terminated"):  # chunked request body: read it all, then close
            body = environ["wsgi.input"].read()
            self.close_connection = True
        else:
            try:
                length = int(environ.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
                self.close_connection = True
            body = self.rfile.read(length) if length > 0 else b""
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        environ.pop("wsgi.input_terminated", None)
        started: list = []

        def start_response(status: str, headers: list, exc_info: Any = None) -> Callable:
            started[:] = [status, headers]
            return lambda data: None

        try:
            result = self.server.app(environ, start_response)
            try:
                data = b"".join(result)
            finally:
                if hasattr(result, "close"):
                    result.close()
            status, headers = started
            code, _, msg = status.partition(" ")
            self.send_response(int(code), msg)
            has_length = False
            for key, value in headers:
                if key.lower() == "content-length":
                    has_length = True
                    value = str(len(data))
                if key.lower() == "connection":
                    continue
                self.send_header(key, value)
            if not has_length:
                self.send_header("Content-Length", str(len(data)))
            if self.close_connection:
                self.send_header("Connection", "close")
            # headers and body in one write (two small writes + Nagle + delayed ACK = 40 ms stalls)
            self._headers_buffer.append(b"\r\n")
            if environ["REQUEST_METHOD"] != "HEAD":
                self._headers_buffer.append(data)
            self.flush_headers()
            self.wfile.flush()
        except (ConnectionError, TimeoutError, OSError):
            self.close_connection = True

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass

    def log(self, type: str, message: str, *args: Any) -> None:
        if type == "error" and "timed out" not in message:
            super().log(type, message, *args)



def _make_server(host: str, port: int, app: Any):
    server = make_server(host, port, app, threaded=True, request_handler=_KeepAliveHandler)
    server.sim_connections = set()  # type: ignore[attr-defined]
    return server


def _close_server(server) -> None:
    server.shutdown()
    server.server_close()
    for conn in list(getattr(server, "sim_connections", ())):  # idle keep-alive connections
        try:
            conn.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


class SimulatorServer:
    """Run the simulator on a background thread (tests, benchmarks)::

        with SimulatorServer(SimConfig(campaigns=3)) as sim:
            requests.get(f"{sim.base_url}/v25.0/act_1000000001/campaigns", params={"access_token": "t"})
    """

    def __init__(self, config: SimConfig | None = None, host: str = "127.0.0.1", port: int = 0,
                 world: World | None = None, **overrides: Any) -> None:
        if config is None:
            config = world.config if world is not None else SimConfig()
        if overrides:
            config = config.replace(**overrides)
        self.config = config
        self.host = host
        self.port = port
        self._world = world
        self.app: Simulator | None = None
        self._server = None
        self._thread: threading.Thread | None = None

    @property
    def world(self) -> World:
        assert self.app is not None, "server not started"
        return self.app.world

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def graph_url(self) -> str:
        """Base URL with the latest version, e.g. http://127.0.0.1:5555/v25.0"""
        return f"{self.base_url}/{self.config.latest_version}"

    def url(self, path: str) -> str:
        return self.base_url + "/" + path.lstrip("/")

    def start(self) -> "SimulatorServer":
        world = self._world or World(self.config)
        self.app = Simulator(world)
        self._server = _make_server(self.host, self.port, self.app)
        self.port = self._server.port
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=f"metasync-simulator:{self.port}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            _close_server(self._server)
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> "SimulatorServer":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()


def serve(config: SimConfig | None = None, host: str = "127.0.0.1", port: int = 8765, quiet: bool = False) -> None:
    """Build the world and serve it until interrupted (threaded werkzeug server)."""
    config = config or SimConfig()
    world = World(config)
    app = Simulator(world)
    server = _make_server(host, port, app)
    if not quiet:
        s = world.summary(first=1)
        a = s["accounts"][0]
        print(f"metasync simulator on http://{host}:{server.port}/{config.latest_version}  "
              f"(built in {world.build_seconds:.2f}s, seed {config.seed}, today {s['today']})\n"
              f"  accounts: {', '.join(x['id'] for x in s['accounts'])}\n"
              f"  per account: {a['counts']['campaigns']} campaigns, {a['counts']['adsets']} ad sets, "
              f"{a['counts']['ads']} ads, {config.days} days of insights\n"
              f"  control: http://{host}:{server.port}/__sim/world  /__sim/calls  /__sim/faults",
              flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
