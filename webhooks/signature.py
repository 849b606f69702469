"""Meta's webhook signature: HMAC of the raw body with the app secret, compared in constant time.

Modelled on stripe-python's `WebhookSignature`: one exception type, a distinct message per cause, and nothing
secret (not the header, not the expected digest) in any message.
"""

from __future__ import annotations

import hmac
import string
from collections.abc import Mapping

from metasync.webhook_events.signature import ALGORITHMS, compute_signature

SIGNATURE_HEADER = "X-Hub-Signature-256"
LEGACY_SIGNATURE_HEADER = "X-Hub-Signature"

_HEX = frozenset(string.hexdigits)


class WebhookSignatureError(Exception):
    """The request is not signed by Meta with our app secret; `reason` is a short code for logs and metrics."""

    def __init__(self, message: str = "", reason: str = ""):
        super().__init__(message, reason)
        self.message = message
        self.reason = reason

    def __str__(self) -> str:
        return self.message


class WebhookSecretMissing(Exception):
    """META_APP_SECRET is not configured: no request can be verified (a deployment error, not the sender's)."""


def pick_signature_header(headers: Mapping[str, str]) -> tuple[str | None, bool]:
    """The signature to check and whether it is the legacy one.

    The SHA-256 header wins whenever it is present, even if malformed: falling back to SHA-1 then would let a
    forger choose the weaker check.
    """
    value = headers.get(SIGNATURE_HEADER)
    if value is not None:
        return value, False
    legacy = headers.get(LEGACY_SIGNATURE_HEADER)
    return (legacy, True) if legacy is not None else (None, False)


def verify_meta_webhook_signature(
    signature_header: str | None, raw_body: bytes, app_secret: str | None = None, *, legacy: bool = False
) -> str:
    """Check `signature_header` against `raw_body` (the bytes as received); returns the algorithm used.

    `legacy=True` means the value came from `X-Hub-Signature` and must be `sha1=`; otherwise it must be `sha256=`.
    Raises WebhookSignatureError (401) for any bad signature, WebhookSecretMissing when there is no secret.
    """
    if app_secret is None:
        from metasync.settings import get_settings

        app_secret = get_settings().meta_app_secret
    if not app_secret:
        raise WebhookSecretMissing("META_APP_SECRET is not set; webhook signatures cannot be verified")
    if not signature_header:
        raise WebhookSignatureError(
            f"No signature: send {SIGNATURE_HEADER}: sha256=<hex HMAC of the body>", reason="missing"
        )
    algorithm = "sha1" if legacy else "sha256"
    prefix, sep, received = signature_header.strip().partition("=")
    if not sep or prefix.lower() != algorithm:
        header = LEGACY_SIGNATURE_HEADER if legacy else SIGNATURE_HEADER
        raise WebhookSignatureError(f"{header} must have the form {algorithm}=<hex>", reason="bad_prefix")
    _, hex_length = ALGORITHMS[algorithm]
    if len(received) != hex_length or not _HEX.issuperset(received):
        raise WebhookSignatureError(f"Signature is not a {hex_length}-character hex digest", reason="malformed")
    expected = compute_signature(raw_body, app_secret, algorithm).partition("=")[2]
    if not hmac.compare_digest(expected.encode(), received.lower().encode()):
        raise WebhookSignatureError("Signature does not match the body", reason="mismatch")
    return algorithm
