"""JSON answers: compact JSON text, and werkzeug responses with the content type Graph answers with."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from werkzeug.wrappers import Response

JSON_CT = "application/json; charset=UTF-8"


def dumps(obj: Any) -> str:
    return json.dumps(obj, separators=(",", ":"))


def json_response(body: Any, status: int = 200, headers: Iterable[tuple[str, str]] = ()) -> Response:
    resp = Response(dumps(body), status=status, content_type=JSON_CT)
    for k, v in headers:
        resp.headers[k] = v
    return resp
