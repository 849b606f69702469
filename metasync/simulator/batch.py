"""Batch requests: POST / (or /<version>) with `batch=[{method, relative_url, body}, ...]`, up to 50 items,
each dispatched as its own call (reads and writes alike) and answered as ``{"code", "headers", "body"}`` (the body
a JSON string), or `null` for an item that timed out (the `null_batch_items` fault: that item is not run)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from werkzeug.wrappers import Response

from .call import Call, first_values
from .dispatch import GraphDispatcher
from .errors import SimulatedGraphError, invalid_param
from .responses import dumps, json_response
from .routing import is_version

MAX_ITEMS = 50
INHERITED = ("access_token", "appsecret_proof")


def is_batch(call: Call) -> bool:
    path = call.path.strip("/")
    return call.method == "POST" and "batch" in call.params and (path == "" or is_version(path))


class BatchCalls:
    def __init__(self, dispatcher: GraphDispatcher) -> None:
        self.dispatcher = dispatcher

    def answer(self, outer: Call) -> Response:
        dispatcher = self.dispatcher
        outer.trace_id = dispatcher.traces.next()
        try:
            dispatcher.route(outer)
            outer.route = "POST batch"
            dispatcher.stats.count(outer.route, total=False)
            items = self._items(outer.params)
        except SimulatedGraphError as err:
            return json_response(err.body(outer.trace_id), err.http_status, dispatcher.headers(outer, error=err))
        include_headers = outer.params.get("include_headers", "true") != "false"
        results = [self._item(item, outer, include_headers) for item in items]
        return json_response(results, 200, dispatcher.headers(outer))

    @staticmethod
    def _items(params: dict[str, str]) -> list:
        try:
            items = json.loads(params["batch"])
        except ValueError:
            raise invalid_param("(#100) The parameter batch must be a JSON array") from None
        if not isinstance(items, list):
            raise invalid_param("(#100) The parameter batch must be a JSON array")
        if len(items) > MAX_ITEMS:
            raise invalid_param(f"(#100) Too many requests in batch message. Maximum batch size is {MAX_ITEMS}")
        if not params.get("access_token") and not all(
            isinstance(i, dict) and "access_token" in str(i.get("relative_url", "")) for i in items
        ):
            raise SimulatedGraphError(104, "An access token is required to request this resource.")
        return items

    def _item(self, item: Any, outer: Call, include_headers: bool) -> dict | None:
        if self.dispatcher.faults.take_null_batch_item():
            return None
        if not isinstance(item, dict) or not item.get("relative_url"):
            err = invalid_param("(#100) Each batch item needs a relative_url")
            return {"code": 400, "headers": [], "body": dumps(err.body(self.dispatcher.traces.next()))}
        status, body, headers = self.dispatcher.dispatch(self._item_call(item, outer))
        hdrs = [{"name": "Content-Type", "value": "text/javascript; charset=UTF-8"}]
        if include_headers:
            hdrs += [{"name": k, "value": v} for k, v in headers]
        return {"code": status, "headers": hdrs, "body": dumps(body)}

    @staticmethod
    def _item_call(item: dict, outer: Call) -> Call:
        """An item's relative_url gets the batch's version unless it names one."""
        parts = urlsplit("/" + str(item["relative_url"]).lstrip("/"))
        path = parts.path
        first = [s for s in path.split("/") if s][:1]
        if outer.version and not (first and is_version(first[0])):
            path = f"/{outer.version}{path}"
        query_pairs = parse_qsl(parts.query, keep_blank_values=True)
        params = first_values(query_pairs)
        if item.get("body"):
            first_values(parse_qsl(str(item["body"]), keep_blank_values=True), params)
        for k in INHERITED:
            if k in outer.params and k not in params:
                params[k] = outer.params[k]
        method = str(item.get("method", "GET")).upper()
        return Call(method, path, params, query_pairs, outer.base_url)
