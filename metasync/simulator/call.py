"""`Call`: one Graph call as dispatched (an HTTP request, or one item of a batch)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qsl

from werkzeug.wrappers import Request

from .errors import unsupported_request
from .routing import Endpoint


def first_values(pairs: Iterable[tuple[str, str]], params: dict[str, str] | None = None) -> dict[str, str]:
    """Parameters from (name, value) pairs: the first value of a name wins, and so do values already there."""
    params = {} if params is None else params
    for k, v in pairs:
        params.setdefault(k, v)
    return params


def comma_fields(raw: str) -> str:
    """`fields` as the comma list every reader parses: Graph also takes a JSON array of names (the official SDKs
    send one in POST bodies, e.g. `["ad_id","spend"]`); anything else is left as sent."""
    text = raw.strip()
    if not text.startswith("["):
        return raw
    try:
        names = json.loads(text)
    except ValueError:
        return raw
    if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
        return raw
    return ",".join(name.strip() for name in names)


class Call:
    """The request (method, path, parameters) and what routing and dispatch learnt about it."""

    __slots__ = (
        "method",
        "path",
        "params",
        "query_pairs",
        "base_url",
        "version",
        "segments",
        "route",
        "endpoint",
        "edge",
        "target",
        "account",
        "trace_id",
        "usage_type",
    )

    def __init__(
        self, method: str, path: str, params: dict[str, str], query_pairs: list[tuple[str, str]], base_url: str
    ) -> None:
        self.method = method
        self.path = path
        self.params = params
        if "fields" in params:
            params["fields"] = comma_fields(params["fields"])
        self.query_pairs = query_pairs  # as sent, for paging links
        self.base_url = base_url
        self.version: str | None = None
        self.segments: list[str] = []  # the path without its version
        self.route = "unknown"  # what /__sim/calls counts it as, e.g. "GET act/insights"
        self.endpoint: Endpoint | None = None
        self.edge: str | None = None
        self.target: Any = None  # the account, object or report run the path names (None: no such thing)
        self.account: dict | None = None  # whose usage it counts against
        self.trace_id = ""
        self.usage_type = "ads_management"

    @classmethod
    def from_request(cls, request: Request) -> Call:
        """Parameters from the query string, a POST form and an `Authorization: OAuth|Bearer <token>` header."""
        query_pairs = parse_qsl(request.query_string.decode("latin-1"), keep_blank_values=True)
        params = first_values(query_pairs)
        if request.method == "POST":
            first_values(request.form.items(), params)
        auth = request.headers.get("Authorization", "")
        if "access_token" not in params and auth:
            scheme, _, tok = auth.partition(" ")
            if scheme.lower() in ("oauth", "bearer") and tok.strip():
                params["access_token"] = tok.strip()
        return cls(request.method, request.path, params, query_pairs, request.host_url.rstrip("/"))

    def require_target(self) -> Any:
        """What the path names; Graph's "Unsupported <method> request" when there is no such object."""
        if self.target is None:
            raise unsupported_request(self.method, self.segments[0])
        return self.target
