"""How Meta signs a webhook delivery: HMAC of the raw body with the app secret (the receiver verifies it, the
doctor's self-test and tools sign with it)."""

from __future__ import annotations

import hashlib
import hmac

# Prefix -> (digest constructor, hex length). sha1 only for the legacy `X-Hub-Signature` header.
ALGORITHMS = {"sha256": (hashlib.sha256, 64), "sha1": (hashlib.sha1, 40)}


def compute_signature(raw_body: bytes, app_secret: str, algorithm: str = "sha256") -> str:
    """The header value Meta would send for this body: `sha256=<hex>` (or `sha1=<hex>`)."""
    digest, _ = ALGORITHMS[algorithm]
    return f"{algorithm}={hmac.new(app_secret.encode(), raw_body, digest).hexdigest()}"
