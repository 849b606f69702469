"""A requests-based Graph API client: timeouts, appsecret_proof, retries, rate limiting, usage headers, paging.

Two retry layers: `backoff` retries transient failures within seconds here (at most 3 retries, 1 s / 2 s / 4 s with
jitter); rate limits and longer outages surface as typed errors that Celery retries minutes later.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import re
import threading
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, urlsplit, urlunsplit

import backoff
import requests
from requests.adapters import HTTPAdapter

from metasync.graph.errors import (
    GraphError,
    RateLimitedError,
    ReduceDataError,
    TransientError,
    UnexpectedResponseError,
    classify_error,
    is_retryable_now,
)
from metasync.graph.ratelimit import RateLimiter, user_key_for
from metasync.graph.usage import parse_usage_headers, pause_seconds_for
from metasync.infra.counters import count
from metasync.settings import Settings, get_settings

log = logging.getLogger(__name__)

MAX_RETRIES = 3


def appsecret_proof(app_secret: str, access_token: str) -> str:
    return hmac.new(app_secret.encode(), access_token.encode(), hashlib.sha256).hexdigest()


class CallCounter:
    """Graph calls made (every HTTP attempt, retries included), safe across threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.value = 0

    def add(self, n: int = 1) -> None:
        with self._lock:
            self.value += n


_sessions: dict[int, requests.Session] = {}
_sessions_lock = threading.Lock()


def get_session() -> requests.Session:
    """One `requests.Session` per worker process (created after fork)."""
    pid = os.getpid()
    with _sessions_lock:
        session = _sessions.get(pid)
        if session is None:
            session = requests.Session()
            adapter = HTTPAdapter(pool_connections=8, pool_maxsize=16)
            session.mount("http://", adapter)
            session.mount("https://", adapter)
            session.headers["User-Agent"] = "metasync/0.1"
            _sessions.clear()
            _sessions[pid] = session
        return session


class GraphClient:
    """Calls the Graph API for one process; `scoped()` gives a view with its own call counter."""

    retry_base_seconds = 1.0

    def __init__(
        self,
        settings: Settings | None = None,
        limiter: RateLimiter | None = None,
        session: requests.Session | None = None,
        counter: CallCounter | None = None,
    ):
        self.settings = settings or get_settings()
        self.limiter = limiter or RateLimiter(
            self.settings.meta_rate_limit_per_hour, self.settings.meta_rate_limit_max_wait_seconds
        )
        self._session = session
        self.counter = counter or CallCounter()
        # Share of the user's rate budget this client leaves to others (see graph/ratelimit.py); 0 for syncs.
        self.reserve_share = 0.0

    @property
    def session(self) -> requests.Session:
        return self._session or get_session()

    @property
    def calls(self) -> int:
        return self.counter.value

    def scoped(self, reserve_share: float = 0.0) -> GraphClient:
        """A view with its own call counter; `reserve_share` > 0 for deferrable work that must leave that share of
        each user's budget to the syncs."""
        child = GraphClient(self.settings, self.limiter, self._session, CallCounter())
        child.retry_base_seconds = self.retry_base_seconds
        child.reserve_share = reserve_share
        return child

    # --- one call ---------------------------------------------------------------------------------------------
    def url_for(self, path: str) -> str:
        if path.startswith("http://") or path.startswith("https://"):
            return path
        return f"{self.settings.graph_base()}/{path.lstrip('/')}"

    def request(
        self,
        method: str,
        path: str,
        access_token: str | None,
        params: dict[str, Any] | None = None,
        data: dict[str, Any] | None = None,
        user_id: str | None = None,
        account_id: str | None = None,
        retry_reduce: bool = True,
        cost: int = 1,
    ) -> dict[str, Any]:
        """One Graph call with rate limiting and retries; returns the decoded JSON object (or list, for a batch).

        `cost` is the call's weight in the rate limiter (see `RateLimiter.acquire`)."""

        def giveup(exc: Exception) -> bool:
            if isinstance(exc, ReduceDataError) and not retry_reduce:
                return True
            return not is_retryable_now(exc)

        def on_backoff(details: dict) -> None:
            exc = details.get("exception")
            log.info(
                "graph call failed, retry %d in %.1fs: %s",
                details["tries"],
                details["wait"],
                exc.__class__.__name__,
                extra={"event": "graph_retry", "path": _safe_path(path)},
            )

        call = backoff.on_exception(
            lambda: backoff.expo(base=2, factor=self.retry_base_seconds),
            Exception,
            max_tries=MAX_RETRIES + 1,
            giveup=giveup,
            jitter=backoff.random_jitter if self.retry_base_seconds >= 1 else None,
            on_backoff=on_backoff,
            logger=None,
        )(self._request_once)
        return call(method, path, access_token, params, data, user_id, account_id, cost)

    def _request_once(
        self,
        method: str,
        path: str,
        access_token: str | None,
        params: dict[str, Any] | None,
        data: dict[str, Any] | None,
        user_id: str | None,
        account_id: str | None,
        cost: int = 1,
    ) -> dict[str, Any]:
        query = {k: _encode_param(v) for k, v in (params or {}).items() if v is not None}
        if access_token:
            query["access_token"] = access_token
            if self.settings.meta_app_secret:
                query["appsecret_proof"] = appsecret_proof(self.settings.meta_app_secret, access_token)
            self.limiter.acquire(user_key_for(user_id, access_token), account_id, cost, self.reserve_share)
        elif account_id:
            self.limiter.check_account(account_id)
        body = {k: _encode_param(v) for k, v in data.items()} if data else None
        if body is not None and method.upper() != "GET":
            body.update({k: query.pop(k) for k in ("access_token", "appsecret_proof") if k in query})
        self.counter.add()
        edge = edge_of(path)
        try:
            payload = self._send(method, path, query, body, account_id)
        except Exception as exc:
            count("graph_calls", edge=edge, outcome=outcome_of(exc))
            raise
        count("graph_calls", edge=edge, outcome="ok")
        return payload

    def _send(
        self, method: str, path: str, query: dict[str, Any], body: dict[str, Any] | None, account_id: str | None
    ) -> dict[str, Any]:
        timeout = (self.settings.meta_connect_timeout, self.settings.meta_read_timeout)
        try:
            response = self.session.request(method, self.url_for(path), params=query, data=body, timeout=timeout)
        except requests.Timeout:
            raise TransientError(f"timeout calling {_safe_path(path)}") from None
        except requests.RequestException as exc:
            # The exception text carries the URL (and so the token): keep only the class name.
            raise TransientError(f"{exc.__class__.__name__} calling {_safe_path(path)}") from None
        self._note_usage(response, account_id)
        try:
            payload = response.json()
        except ValueError:
            payload = None
        if response.status_code >= 400 or (isinstance(payload, dict) and "error" in payload):
            error = classify_error(payload, response.status_code, response)
            if isinstance(error, RateLimitedError) and account_id:
                self.limiter.pause_account(account_id, error.retry_after, f"Graph error code {error.code}")
            raise error
        if payload is None:
            raise UnexpectedResponseError(f"non-JSON body from {_safe_path(path)}", http_status=response.status_code)
        if not isinstance(payload, (dict, list)):
            raise UnexpectedResponseError(
                f"unexpected body type from {_safe_path(path)}", http_status=response.status_code
            )
        return payload

    def _note_usage(self, response: requests.Response, account_id: str | None) -> None:
        usage = parse_usage_headers(response.headers)
        if not account_id or not usage.sources:
            return
        seconds = pause_seconds_for(usage, self.settings.meta_usage_pause_threshold)
        if seconds > 0:
            self.limiter.pause_account(account_id, seconds, f"usage at {usage.max_pct:.0f}%", cause="usage")

    # --- nodes and edges --------------------------------------------------------------------------------------
    def fetch_node(
        self,
        access_token: str,
        path: str,
        params: dict[str, Any] | None = None,
        user_id: str | None = None,
        account_id: str | None = None,
    ) -> dict[str, Any]:
        payload = self.request("GET", path, access_token, params, user_id=user_id, account_id=account_id)
        if not isinstance(payload, dict):
            raise UnexpectedResponseError(f"expected an object from {_safe_path(path)}")
        return payload

    def iter_edge_pages(self, *args, **kwargs) -> Iterator[list[dict[str, Any]]]:
        """Yield one page of items at a time, following `paging.next` until Meta omits it (see iter_cursor_pages)."""
        for page, _after in self.iter_cursor_pages(*args, **kwargs):
            yield page

    def iter_cursor_pages(
        self,
        access_token: str,
        path: str,
        params: dict[str, Any] | None = None,
        user_id: str | None = None,
        account_id: str | None = None,
        page_size: int | None = None,
        after: str | None = None,
    ) -> Iterator[tuple[list[dict[str, Any]], str | None]]:
        """Yield (page of items, the `after` cursor of the next page, or None on the last) until `paging.next` is
        absent; start at `after` when given (a checkpoint of an interrupted read).

        A short (even empty) page is not the end. When Meta asks for less data, the page size is halved and the
        same page asked again.
        """
        limit = page_size or self.settings.meta_page_size
        url = path
        query = dict(params or {})
        if after:
            query["after"] = after
        while True:
            query["limit"] = limit
            try:
                payload = self.request(
                    "GET", url, access_token, query, user_id=user_id, account_id=account_id, retry_reduce=limit <= 1
                )
            except ReduceDataError:
                limit = max(1, limit // 2)
                log.info(
                    "Meta asked for less data; page size now %d",
                    limit,
                    extra={"event": "page_size_halved", "path": _safe_path(path), "limit": limit},
                )
                continue
            if not isinstance(payload, dict) or not isinstance(payload.get("data", []), list):
                raise UnexpectedResponseError(f"expected a paged list from {_safe_path(path)}")
            paging = payload.get("paging") or {}
            next_url = paging.get("next")
            if not next_url:
                yield payload.get("data") or [], None
                return
            url, query = _split_next(next_url)
            yield payload.get("data") or [], query.get("after") or (paging.get("cursors") or {}).get("after")

    def iter_edge(self, *args, **kwargs) -> Iterator[dict[str, Any]]:
        for page in self.iter_edge_pages(*args, **kwargs):
            yield from page

    def fetch_edges(self, *args, **kwargs) -> list[dict[str, Any]]:
        return list(self.iter_edge(*args, **kwargs))


def _encode_param(value: Any) -> Any:
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value, separators=(",", ":"))
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


_DROP_FROM_NEXT = {"access_token", "appsecret_proof", "limit"}


def _split_next(next_url: str) -> tuple[str, dict[str, str]]:
    """The next page's URL without its query, and its query minus credentials (we add our own)."""
    parts = urlsplit(next_url)
    query = {k: v for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in _DROP_FROM_NEXT}
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", "")), query


_VERSION = re.compile(r"^v[0-9]+(\.[0-9]+)?$")
_EDGE_NAME = re.compile(r"^[a-z][a-z_]{0,39}$")


def edge_of(path: str) -> str:
    """What a call asks for, as `/metrics` labels it: the edge (`campaigns`, `insights`, `adaccounts`), `node` for
    an object by id (`act_1`, `123`, `me`), `batch` for the batch endpoint, `oauth` for token exchanges. Never an
    id or a token: a last path segment that is not a plain lowercase word counts as a node."""
    segments = [s for s in urlsplit(path).path.split("/") if s and not _VERSION.match(s)]
    if not segments:
        return "batch"
    if segments[0] == "oauth":
        return "oauth"
    last = segments[-1]
    return last if _EDGE_NAME.match(last) and last != "me" else "node"


def outcome_of(exc: BaseException) -> str:
    """A failed call's outcome label: the error class in snake case (`rate_limited`, `token`, `transient`)."""
    if not isinstance(exc, GraphError):
        return "error"
    name = type(exc).__name__.removesuffix("Error")
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _safe_path(path: str) -> str:
    """A path or URL for messages and logs: no query string, so no token."""
    return urlsplit(path).path or path.split("?", 1)[0]


_default_client: GraphClient | None = None
_default_lock = threading.Lock()


def default_client() -> GraphClient:
    global _default_client
    with _default_lock:
        if _default_client is None or _default_client.settings is not get_settings():
            _default_client = GraphClient()
        return _default_client


def fetch_graph_node(
    access_token: str,
    path: str,
    params: dict[str, Any] | None = None,
    user_id: str | None = None,
    account_id: str | None = None,
) -> dict[str, Any]:
    return default_client().fetch_node(access_token, path, params, user_id=user_id, account_id=account_id)


def iter_graph_edge_pages(
    access_token: str,
    path: str,
    params: dict[str, Any] | None = None,
    user_id: str | None = None,
    account_id: str | None = None,
    page_size: int | None = None,
) -> Iterator[list[dict[str, Any]]]:
    return default_client().iter_edge_pages(access_token, path, params, user_id, account_id, page_size)


def fetch_graph_edges(
    access_token: str,
    path: str,
    params: dict[str, Any] | None = None,
    user_id: str | None = None,
    account_id: str | None = None,
    page_size: int | None = None,
) -> list[dict[str, Any]]:
    return default_client().fetch_edges(access_token, path, params, user_id, account_id, page_size)
