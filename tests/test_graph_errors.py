"""Classifying Graph error envelopes into typed errors, and those errors surviving Celery's pickling."""

from __future__ import annotations

from metasync.graph.errors import (
    InvalidRequestError,
    RateLimitedError,
    TokenError,
    TransientError,
    UnexpectedResponseError,
    classify_error,
)


def test_classify_error_handles_garbage_envelopes():
    assert isinstance(classify_error({"error": "text"}, 400), UnexpectedResponseError)
    assert isinstance(classify_error({"error": {"code": "x"}}, 400), InvalidRequestError)
    assert isinstance(classify_error(None, 502), TransientError)


def test_errors_survive_pickling_for_celery():
    import pickle

    for exc in (
        RateLimitedError("slow down", 17, None, 400, "t", retry_after=12.5),
        TokenError("expired", code=190, subcode=463),
        TransientError("x"),
    ):
        clone = pickle.loads(pickle.dumps(exc))
        assert type(clone) is type(exc) and str(clone) == str(exc)
    assert pickle.loads(pickle.dumps(RateLimitedError("s", retry_after=9))).retry_after == 9
