"""Who may call the API and how its answers are sent: a Bearer key (401 without a valid one), the key's scope (403
for a read key on a write route), a token bucket per key (429 with Retry-After), an audit document per write call,
and secure headers on every /api/v1 answer; CORS headers only for the origins `API_CORS_ORIGINS` lists."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Any

import redis
from flask import Flask, g, request
from pymongo.errors import PyMongoError
from werkzeug.exceptions import HTTPException

from metasync.access.keys import Principal, authenticate
from metasync.infra.token_bucket import take
from metasync.store.audit import ApiAudit
from webhooks.api.routing import PREFIX, ApiError, bp, current_route, envelope

log = logging.getLogger(__name__)

SECURE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
}
BUCKET_PREFIX = "metasync:api-bucket:"
CORS_METHODS = "GET, POST, OPTIONS"


@dataclass
class KeyLimiter:
    """`per_minute` requests per key, the whole minute's worth as a burst (the shared Lua token bucket)."""

    client: redis.Redis
    per_minute: int

    def check(self, key_id: str) -> None:
        try:
            granted, _, wait = take(self.client, BUCKET_PREFIX + key_id, self.per_minute, self.per_minute / 60.0)
        except redis.RedisError as exc:
            raise ApiError(503, "unavailable", f"rate limit store unavailable: {exc.__class__.__name__}") from None
        if not granted:
            retry = max(1, math.ceil(wait))
            raise ApiError(
                429, "rate_limited", f"too many requests for this key; retry in {retry} s", {"Retry-After": str(retry)}
            )


@bp.errorhandler(ApiError)
def _api_error(exc: ApiError):
    return envelope(exc.status, exc.code, exc.message, exc.headers)


@bp.errorhandler(PyMongoError)
def _database_down(exc: PyMongoError):
    return envelope(503, "unavailable", f"database unavailable: {exc.__class__.__name__}")


@bp.errorhandler(Exception)
def _unexpected(exc: Exception):
    if isinstance(exc, HTTPException):
        return envelope(exc.code or 500, "http_error", exc.name)
    log.exception("API request failed", extra={"event": "api_error", "route": request.path[:200]})
    return envelope(500, "internal", "internal error")


def principal() -> Principal:
    return g.api_principal


def _bearer() -> str | None:
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" else None


@bp.before_request
def _authenticate() -> None:
    spec = current_route()
    if request.method == "OPTIONS" or (spec is not None and spec.public):
        return
    found = authenticate(_bearer())
    if found is None:
        challenge = {"WWW-Authenticate": 'Bearer realm="metasync"'}
        raise ApiError(401, "unauthorized", "send a valid API key as `Authorization: Bearer <key>`", challenge)
    g.api_principal = found
    bp_state().limiter.check(found.key_id)
    if spec is not None and spec.write and not found.can_write:
        raise ApiError(403, "forbidden", "this key may only read; use a key with the write scope")


def audit_tenant(tenant_id: str | None) -> None:
    """Name the tenant whose data a write call touches (its audit entry records it)."""
    g.api_audit_tenant = tenant_id


def _audit(response) -> None:
    spec = current_route()
    who: Principal | None = g.get("api_principal")
    if spec is None or not spec.write or who is None:
        return
    body = response.get_json(silent=True) if response.status_code >= 400 else None
    outcome = (body or {}).get("error", {}).get("code", "error") if body else "ok"
    try:
        ApiAudit(
            key_id=who.key_id,
            tenant_id=g.get("api_audit_tenant", who.tenant_id),
            method=request.method,
            route=PREFIX + spec.rule,
            path=request.path[:500],
            target={k: str(v)[:200] for k, v in (request.view_args or {}).items()},
            status=response.status_code,
            outcome=outcome,
        ).save()
    except PyMongoError as exc:  # the answer stands; the gap is logged
        log.error("API audit entry not written: %s", exc.__class__.__name__, extra={"event": "api_audit_failed"})


def _headers(response, origins: tuple[str, ...]) -> None:
    response.headers.update(SECURE_HEADERS)
    origin = request.headers.get("Origin")
    if origin and origin in origins:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Allow-Headers"] = "Authorization, Content-Type"
        response.headers["Access-Control-Allow-Methods"] = CORS_METHODS
        response.headers["Vary"] = "Origin"


@dataclass
class ApiState:
    limiter: KeyLimiter
    send: Any  # metasync.control.triggers.Sender
    cors_origins: tuple[str, ...]


EXTENSION = "metasync-api"


def bp_state() -> ApiState:
    from flask import current_app

    return current_app.extensions[EXTENSION]


def install(app: Flask, state: ApiState) -> None:
    """Answer every /api/v1 request the API's way (envelope errors, headers, audit), whether or not a route matched."""
    app.extensions[EXTENSION] = state

    def is_api() -> bool:
        return request.path == PREFIX or request.path.startswith(PREFIX + "/")

    @app.after_request
    def _finish(response):
        if is_api():
            _audit(response)
            _headers(response, state.cors_origins)
        return response

    def _http_error(exc: HTTPException):
        if not is_api():
            return exc
        code = {404: "not_found", 405: "method_not_allowed", 413: "too_large"}.get(exc.code or 0, "http_error")
        message = {404: "no such route", 405: "method not allowed on this route"}.get(exc.code or 0, exc.name)
        return envelope(exc.code or 500, code, message)

    app.register_error_handler(HTTPException, _http_error)
