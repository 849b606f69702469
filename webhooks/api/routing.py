"""The API's route table: each route states its method, path, body, query and response models once; the same
table registers the Flask views, checks requests, shapes responses and generates the OpenAPI document."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, jsonify, request
from pydantic import BaseModel, ValidationError

PREFIX = "/api/v1"
bp = Blueprint("api", __name__, url_prefix=PREFIX)


class ApiError(Exception):
    """An answer other than success: HTTP status, a stable code and a one-line message (the error envelope)."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None):
        super().__init__(status, code, message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}


def envelope(status: int, code: str, message: str, headers: dict[str, str] | None = None):
    response = jsonify({"error": {"code": code, "message": message}})
    response.status_code = status
    response.headers.update(headers or {})
    return response


@dataclass(frozen=True)
class Route:
    method: str
    rule: str  # Flask's, below PREFIX: /connections/<connection_id>
    endpoint: str
    summary: str
    response: type[BaseModel]
    status: int = 200
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    write: bool = False
    public: bool = False
    errors: tuple[int, ...] = ()  # statuses beyond the ones every route of its kind has (409, 502, 503 ...)
    tag: str = ""
    description: str = field(default="", compare=False)
    also: tuple[int, ...] = ()  # other success statuses with the same body (200 for an update of a 201 route)

    @property
    def path(self) -> str:
        """The OpenAPI path: /api/v1/connections/{connection_id}."""
        return PREFIX + re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", self.rule)

    @property
    def path_params(self) -> list[str]:
        return re.findall(r"<(?:[a-z]+:)?([a-z_]+)>", self.rule)

    def error_statuses(self) -> list[int]:
        if self.public:
            return sorted(set(self.errors))
        statuses = {401, 429, 503, *self.errors}
        if self.write:
            statuses.add(403)
        if self.path_params:
            statuses.add(404)
        if self.body is not None:
            statuses.update({400, 422})
        if self.query is not None:
            statuses.add(422)
        return sorted(statuses)


ROUTES: list[Route] = []


def one_line(exc: ValidationError, where: str) -> str:
    """`body.changes.0.level: Input should be 'campaign', ... (and 2 more problems)`."""
    errors = exc.errors()
    first = errors[0]
    loc = ".".join(str(part) for part in (where, *first["loc"]))
    more = f" (and {len(errors) - 1} more problems)" if len(errors) > 1 else ""
    return f"{loc}: {first['msg']}{more}"[:500]


def _parse(model: type[BaseModel], data: Any, where: str) -> BaseModel:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ApiError(422, "invalid_request", one_line(exc, where)) from None


def _body(model: type[BaseModel]) -> BaseModel:
    raw = request.get_data(cache=True)
    if not raw.strip():
        data: Any = {}
    else:
        if not (request.mimetype or "").endswith("json"):
            raise ApiError(400, "invalid_json", "send the body as JSON (Content-Type: application/json)")
        try:
            data = request.get_json(force=True, silent=False)
        except Exception:
            raise ApiError(400, "invalid_json", "the body is not valid JSON") from None
    return _parse(model, data, "body")


def route(
    method: str,
    rule: str,
    *,
    summary: str,
    response: type[BaseModel],
    status: int = 200,
    body: type[BaseModel] | None = None,
    query: type[BaseModel] | None = None,
    write: bool = False,
    public: bool = False,
    errors: tuple[int, ...] = (),
    tag: str = "",
    also: tuple[int, ...] = (),
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a view: it gets the path's values, `body` and `query` (checked models) and returns a dict (or
    (dict, status)), which is checked against `response` on the way out."""

    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        spec = Route(
            method,
            rule,
            fn.__name__,
            summary,
            response,
            status,
            body,
            query,
            write,
            public,
            errors,
            tag,
            (fn.__doc__ or "").strip(),
            also,
        )
        ROUTES.append(spec)

        def view(**path: str):
            kwargs: dict[str, Any] = dict(path)
            if query is not None:
                kwargs["query"] = _parse(query, request.args.to_dict(flat=True), "query")
            if body is not None:
                kwargs["body"] = _body(body)
            result = fn(**kwargs)
            data, code = result if isinstance(result, tuple) else (result, status)
            return jsonify(response.model_validate(data).model_dump(mode="json")), code

        view.__name__ = fn.__name__
        bp.add_url_rule(rule, endpoint=fn.__name__, view_func=view, methods=[method])
        return fn

    return decorate


def current_route() -> Route | None:
    endpoint = (request.endpoint or "").removeprefix(f"{bp.name}.")
    return next((r for r in ROUTES if r.endpoint == endpoint), None)
