"""Graph API errors as the simulator raises and renders them (Meta's error envelope)."""

from __future__ import annotations


class SimulatedGraphError(Exception):
    """An error answered in Meta's envelope:

    ``{"error": {"message", "type", "code", "error_subcode", "error_user_title", "error_user_msg",
    "fbtrace_id", "is_transient"}}`` with ``http_status`` as the HTTP status code.
    """

    def __init__(
        self,
        code: int,
        message: str,
        *,
        subcode: int | None = None,
        http_status: int = 400,
        type: str = "OAuthException",
        is_transient: bool = False,
        user_title: str | None = None,
        user_msg: str | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.subcode = subcode
        self.http_status = http_status
        self.type = type
        self.is_transient = is_transient
        self.user_title = user_title
        self.user_msg = user_msg

    def body(self, fbtrace_id: str) -> dict:
        err: dict = {"message": self.message, "type": self.type, "code": self.code}
        if self.subcode is not None:
            err["error_subcode"] = self.subcode
        err["is_transient"] = self.is_transient
        if self.user_title is not None:
            err["error_user_title"] = self.user_title
        if self.user_msg is not None:
            err["error_user_msg"] = self.user_msg
        err["fbtrace_id"] = fbtrace_id
        return {"error": err}


def invalid_param(message: str, subcode: int | None = None) -> SimulatedGraphError:
    """Code 100 ("Invalid parameter"), HTTP 400."""
    if not message.startswith("(#100)"):
        message = "(#100) " + message
    return SimulatedGraphError(100, message, subcode=subcode)


def nonexisting_field(field: str, node_type: str) -> SimulatedGraphError:
    return SimulatedGraphError(100, f"(#100) Tried accessing nonexisting field ({field}) on node type ({node_type})")


def unsupported_request(method: str, object_id: str) -> SimulatedGraphError:
    verb = "get" if method == "GET" else "post" if method == "POST" else method.lower()
    return SimulatedGraphError(
        100,
        f"Unsupported {verb} request. Object with ID '{object_id}' does not exist, cannot be loaded due to "
        "missing permissions, or does not support this operation. Please read the Graph API documentation "
        "at https://developers.facebook.com/docs/graph-api",
        subcode=33,
        type="GraphMethodException",
    )


def too_much_data_sync() -> SimulatedGraphError:
    return SimulatedGraphError(
        100,
        "Please reduce the amount of data you're asking for, then retry your request",
        subcode=1487534,
        user_title="Too much data",
        user_msg="Please reduce the amount of data you're asking for, then retry your request",
    )


def reduce_data_500() -> SimulatedGraphError:
    return SimulatedGraphError(
        1,
        "Please reduce the amount of data you're asking for, then retry your request",
        http_status=500,
        is_transient=False,
    )


def unknown_error() -> SimulatedGraphError:
    return SimulatedGraphError(1, "An unknown error occurred", http_status=500, is_transient=True)


def service_unavailable() -> SimulatedGraphError:
    return SimulatedGraphError(
        2, "An unexpected error has occurred. Please retry your request later.", http_status=500, is_transient=True
    )


RATE_LIMIT_ERRORS: dict[int, tuple[str, int | None]] = {
    4: ("(#4) Application request limit reached", None),
    17: ("(#17) User request limit reached", 2446079),
    32: ("(#32) Page request limit reached", None),
    341: ("(#341) Application limit reached", None),
    613: ("(#613) Calls to this api have exceeded the rate limit.", 1487742),
    80000: (
        "(#80000) There have been too many calls from this ad-account. Wait a bit and try again. For more "
        "info, please refer to https://developers.facebook.com/docs/graph-api/overview/rate-limiting.",
        2446079,
    ),
    80003: (
        "(#80003) There have been too many calls to this ad-account. Wait a bit and try again. For more "
        "info, please refer to https://developers.facebook.com/docs/graph-api/overview/rate-limiting.",
        2446079,
    ),
    80004: (
        "(#80004) There have been too many calls to this ad-account. Wait a bit and try again. For more "
        "info, please refer to https://developers.facebook.com/docs/graph-api/overview/rate-limiting#ads-management.",
        2446079,
    ),
}


def rate_limit_error(code: int, subcode: int | None = None) -> SimulatedGraphError:
    message, default_sub = RATE_LIMIT_ERRORS.get(
        code, (f"(#{code}) There have been too many calls. Wait a bit and try again.", None)
    )
    title = "Ad Account Has Too Many API Calls" if code in (17, 80000, 80003, 80004) else None
    user_msg = (
        "There have been too many calls from this ad-account. Please wait a bit and try again." if title else None
    )
    return SimulatedGraphError(
        code,
        message,
        subcode=subcode if subcode is not None else default_sub,
        is_transient=True,
        user_title=title,
        user_msg=user_msg,
    )
