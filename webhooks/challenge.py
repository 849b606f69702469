"""Meta's subscription handshake: echo `hub.challenge` when `hub.verify_token` is ours."""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from dataclasses import dataclass

# Meta sends a number; anything much longer is not Meta and is not worth echoing back.
MAX_CHALLENGE_LENGTH = 256


@dataclass(frozen=True)
class ChallengeAnswer:
    status: int
    body: str


def resolve_meta_webhook_challenge(query: Mapping[str, str], verify_token: str | None = None) -> ChallengeAnswer:
    """200 with the challenge for the right token, 403 for a wrong one, 400 for a malformed request.

    503 when no verify token is configured: the deployment is incomplete and Meta should try again later.
    """
    if verify_token is None:
        from metasync.settings import get_settings

        verify_token = get_settings().meta_app_verify_token
    mode, token, challenge = (query.get(k) for k in ("hub.mode", "hub.verify_token", "hub.challenge"))
    if not mode or token is None or not challenge:
        return ChallengeAnswer(400, "hub.mode, hub.verify_token and hub.challenge are required")
    if mode != "subscribe":
        return ChallengeAnswer(400, "hub.mode must be subscribe")
    if len(challenge) > MAX_CHALLENGE_LENGTH:
        return ChallengeAnswer(400, "hub.challenge is too long")
    if not verify_token:
        return ChallengeAnswer(503, "webhook verify token is not configured")
    # Bytes, not str: compare_digest refuses non-ASCII strings, and a query can carry any text.
    if not hmac.compare_digest(token.encode(), verify_token.encode()):
        return ChallengeAnswer(403, "verify token does not match")
    return ChallengeAnswer(200, challenge)
