"""The OpenAPI 3.1 document, generated from the route table and its pydantic models (nothing written by hand)."""

from __future__ import annotations

from typing import Any

from pydantic.json_schema import models_json_schema

from webhooks.api.routing import ROUTES, Route
from webhooks.api.schemas import ErrorBody

REF = "#/components/schemas/{model}"
ERROR_TEXT = {
    400: "The body is not JSON",
    401: "No valid API key",
    403: "The key may only read",
    404: "No such thing for this key (absent, or another tenant's)",
    409: "The request conflicts with the current state",
    422: "The request breaks a rule (one-line message); nothing was written",
    429: "Too many requests for this key; see Retry-After",
    502: "Meta could not be read",
    503: "A dependency (database, Redis, broker) is unavailable; nothing was enqueued",
}


def _query_parameters(route: Route) -> list[dict[str, Any]]:
    if route.query is None:
        return []
    schema = route.query.model_json_schema(ref_template=REF)
    required = set(schema.get("required", ()))
    return [
        {"name": name, "in": "query", "required": name in required, "schema": _not_null(prop)}
        for name, prop in schema.get("properties", {}).items()
    ]


def _not_null(prop: dict[str, Any]) -> dict[str, Any]:
    """A query value is text or absent, never JSON null: `anyOf [X, null]` becomes X."""
    variants = [v for v in prop.get("anyOf", ()) if v.get("type") != "null"]
    if "anyOf" not in prop or len(variants) != 1:
        return prop
    rest = {k: v for k, v in prop.items() if k != "anyOf" and not (k == "default" and v is None)}
    return {**variants[0], **rest}


def _operation(route: Route, refs: dict[Any, Any]) -> dict[str, Any]:
    def ref(model) -> dict[str, str]:
        return refs[(model, "validation" if model is route.body else "serialization")]

    parameters = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string", "minLength": 1, "maxLength": 200}}
        for name in route.path_params
    ] + _query_parameters(route)
    responses: dict[str, Any] = {
        str(status): {
            "description": {201: "Created", 202: "Accepted: enqueued"}.get(status, "Success"),
            "content": {"application/json": {"schema": ref(route.response)}},
        }
        for status in (route.status, *route.also)
    }
    error_ref = refs[(ErrorBody, "serialization")]
    for status in route.error_statuses():
        responses[str(status)] = {
            "description": ERROR_TEXT.get(status, "Error"),
            "content": {"application/json": {"schema": error_ref}},
        }
        if status == 429:
            responses[str(status)]["headers"] = {"Retry-After": {"schema": {"type": "integer"}}}
    operation: dict[str, Any] = {
        "operationId": route.endpoint,
        "summary": route.summary,
        "tags": [route.tag] if route.tag else [],
        "parameters": parameters,
        "responses": responses,
        "security": [] if route.public else [{"bearer": []}],
    }
    if route.description:
        operation["description"] = route.description
    if route.body is not None:
        operation["requestBody"] = {"required": False, "content": {"application/json": {"schema": ref(route.body)}}}
    return operation


def document(title: str = "metasync API", version: str = "1") -> dict[str, Any]:
    models = {(ErrorBody, "serialization")}
    for route in ROUTES:
        models.add((route.response, "serialization"))
        if route.body is not None:
            models.add((route.body, "validation"))
    refs, components = models_json_schema(sorted(models, key=lambda m: (m[0].__name__, m[1])), ref_template=REF)
    schemas = components.get("$defs", {})
    paths: dict[str, dict[str, Any]] = {}
    for route in ROUTES:
        paths.setdefault(route.path, {})[route.method.lower()] = _operation(route, refs)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": title,
            "version": version,
            "description": "Connections, runs, freshness, rate budget, reports and changes of metasync, per API key.",
        },
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "description": "An API key (msk_...)"}},
        },
    }
