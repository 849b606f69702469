"""Typed Graph API errors and the one function that turns a response into them.

Every exception passes its positional args to `super().__init__` so Celery can pickle it; extra context lives in
keyword attributes with defaults.
"""

from __future__ import annotations

from typing import Any

import requests

RATE_LIMIT_CODES = {4, 17, 32, 341, 368, 613} | set(range(80000, 80015))
PERMISSION_CODES = {10} | set(range(200, 300))
TOKEN_CODES = {102, 190}
TRANSIENT_CODES = {1, 2}
TOO_MUCH_DATA_SUBCODE = 1487534
VERSION_EXPIRED_CODE = 2635
REDUCE_DATA_MARKERS = ("reduce the amount of data", "an unknown error occurred")


class GraphError(Exception):
    """Base class: any failure talking to the Graph API."""

    retryable = False

    def __init__(
        self,
        message: str = "",
        code: int | None = None,
        subcode: int | None = None,
        http_status: int | None = None,
        fbtrace_id: str | None = None,
    ):
        super().__init__(message, code, subcode, http_status, fbtrace_id)
        self.message = message
        self.code = code
        self.subcode = subcode
        self.http_status = http_status
        self.fbtrace_id = fbtrace_id

    def __str__(self) -> str:
        parts = [self.message or self.__class__.__name__]
        if self.code is not None:
            parts.append(f"code={self.code}")
        if self.subcode:
            parts.append(f"subcode={self.subcode}")
        if self.http_status:
            parts.append(f"http={self.http_status}")
        return " ".join(parts)


class TransientError(GraphError):
    """Meta or the network failed in a way that may pass: retry with backoff."""

    retryable = True


class ReduceDataError(TransientError):
    """Meta asks for less data per call: retry with a smaller page or range."""


class RateLimitedError(GraphError):
    """Throttled by Meta or by our own limiter; `retry_after` seconds is the suggested wait."""

    retryable = True

    def __init__(
        self,
        message: str = "",
        code: int | None = None,
        subcode: int | None = None,
        http_status: int | None = None,
        fbtrace_id: str | None = None,
        retry_after: float = 60.0,
    ):
        super().__init__(message, code, subcode, http_status, fbtrace_id)
        self.args = (*self.args, retry_after)
        self.retry_after = retry_after


class TokenError(GraphError):
    """The access token is expired, invalid or the session was invalidated (190, 102): re-authenticate."""


class GraphPermissionError(GraphError):
    """The token lacks a permission for this object (10, 200-299): do not retry."""


class InvalidRequestError(GraphError):
    """Bad parameter or unknown field/object (100 and the rest): do not retry."""


# "Object with ID ... does not exist, cannot be loaded due to missing permissions, or does not support this
# operation": what Meta answers for a deleted object.
OBJECT_GONE_SUBCODE = 33


def is_object_gone(exc: Exception) -> bool:
    """Meta's answer for an object that no longer exists (100 / 33)."""
    return isinstance(exc, InvalidRequestError) and exc.code == 100 and exc.subcode == OBJECT_GONE_SUBCODE


class TooMuchDataError(InvalidRequestError):
    """100 / 1487534: the query covers too much data; narrow it or run it asynchronously."""


class ApiVersionError(GraphError):
    """2635: the configured API version is no longer served; a configuration error."""


class UnexpectedResponseError(GraphError):
    """The body was not the JSON Meta promises (HTML error page, truncated body, wrong shape)."""

    retryable = True


def _usage_regain_seconds(response: requests.Response | None) -> float | None:
    """Largest `estimated_time_to_regain_access` (minutes) in the BUC header, as seconds."""
    from metasync.graph.usage import parse_usage_headers

    if response is None:
        return None
    usage = parse_usage_headers(response.headers)
    return usage.regain_seconds or None


def classify_error(
    payload: dict[str, Any] | None, http_status: int | None = None, response: requests.Response | None = None
) -> GraphError:
    """Map Meta's error envelope (or a bare HTTP failure) to one typed exception."""
    error = (payload or {}).get("error") if isinstance(payload, dict) else None
    if not isinstance(error, dict):
        if http_status is not None and http_status >= 500:
            return TransientError(f"HTTP {http_status} from Graph API", http_status=http_status)
        return UnexpectedResponseError(f"unexpected error body (HTTP {http_status})", http_status=http_status)

    message = str(error.get("message") or "")
    try:
        code = int(error.get("code")) if error.get("code") is not None else None
    except (TypeError, ValueError):
        code = None
    try:
        subcode = int(error.get("error_subcode")) if error.get("error_subcode") is not None else None
    except (TypeError, ValueError):
        subcode = None
    trace = error.get("fbtrace_id")
    common = dict(code=code, subcode=subcode, http_status=http_status, fbtrace_id=trace)
    lowered = message.lower()

    if code in TOKEN_CODES:
        return TokenError(message, **common)
    if code == VERSION_EXPIRED_CODE:
        return ApiVersionError(message, **common)
    if code in RATE_LIMIT_CODES:
        regain = _usage_regain_seconds(response)
        default_wait = 300.0 if code in {17, 613} or (code or 0) >= 80000 else 60.0
        return RateLimitedError(message, **common, retry_after=max(regain or 0.0, default_wait))
    if code in PERMISSION_CODES:
        return GraphPermissionError(message, **common)
    if code == 100 and subcode == TOO_MUCH_DATA_SUBCODE:
        return TooMuchDataError(message, **common)
    if any(marker in lowered for marker in REDUCE_DATA_MARKERS):
        return ReduceDataError(message, **common)
    if code in TRANSIENT_CODES or error.get("is_transient") is True or (http_status or 0) >= 500:
        return TransientError(message, **common)
    return InvalidRequestError(message, **common)


def is_retryable(exc: BaseException) -> bool:
    """Worth retrying later (Celery level): transient failures and rate limits."""
    if isinstance(exc, GraphError):
        return exc.retryable
    return isinstance(exc, (requests.ConnectionError, requests.Timeout))


def is_retryable_now(exc: BaseException) -> bool:
    """Worth retrying within seconds (HTTP level): transient failures, not rate limits (those wait minutes)."""
    return is_retryable(exc) and not isinstance(exc, RateLimitedError)
