"""Access tokens: which ones the simulator issued, when one expires, and what each authenticated call
must carry (a valid token; with an app secret configured, an appsecret_proof for user tokens)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import threading
import time
from datetime import datetime

from .call import Call
from .clock import WorldClock
from .config import SimConfig
from .errors import SimulatedGraphError
from .faults import Faults

LONG_LIVED_SECONDS = 5_183_944


def expected_proof(secret: str, token: str) -> str:
    return hmac.new(secret.encode(), token.encode(), hashlib.sha256).hexdigest()


class Tokens:
    """Issued tokens (token -> {"issued_at", "expires_at", "type"}) and the validity of any token."""

    def __init__(self, config: SimConfig, faults: Faults, clock: WorldClock) -> None:
        self.config = config
        self.faults = faults
        self.clock = clock
        self.started_at = int(time.time())
        self.lock = threading.Lock()
        self._issued: dict[str, dict] = {}

    def issue_user_token(self, seed_text: str) -> str:
        digest = hashlib.sha256(f"{self.config.seed}:{seed_text}:{time.time_ns()}".encode()).hexdigest()
        token = "EAA" + self.config.app_id + "ZD" + base64.b32encode(bytes.fromhex(digest)).decode().rstrip("=")
        now = int(time.time())
        with self.lock:
            self._issued[token] = {"issued_at": now, "expires_at": now + LONG_LIVED_SECONDS, "type": "USER"}
        return token

    def issue_app_token(self) -> str:
        digest = hmac.new(
            (self.config.app_secret or "sim").encode(), self.config.app_id.encode(), hashlib.sha256
        ).hexdigest()[:27]
        token = f"{self.config.app_id}|{digest}"
        with self.lock:
            self._issued[token] = {"issued_at": int(time.time()), "expires_at": 0, "type": "APP"}
        return token

    def was_issued(self, token: str) -> bool:
        return token in self._issued

    def info(self, token: str) -> dict:
        """What debug_token reports; tokens not issued here read as long-lived user tokens from before start."""
        info = self._issued.get(token)
        if info is not None:
            return info
        issued = self.started_at - 3600
        return {"issued_at": issued, "expires_at": issued + LONG_LIVED_SECONDS, "type": "USER"}

    def is_expired(self, token: str) -> bool:
        if self.faults.is_expired(token):
            return True
        info = self._issued.get(token)
        return bool(info and info["expires_at"] and info["expires_at"] < time.time())

    def is_invalid(self, token: str) -> bool:
        return self.faults.is_invalid(token)

    def check_usable(self, token: str) -> None:
        """Raises Graph's code 190 for an invalidated or an expired token."""
        if self.is_invalid(token):
            raise self.invalid_error()
        if self.is_expired(token):
            raise self.expired_error(token)

    def expired_error(self, token: str) -> SimulatedGraphError:
        info = self.info(token)
        when = datetime.fromtimestamp(min(info["expires_at"], time.time() - 3600), self.clock.tz)
        now = datetime.now(self.clock.tz)
        fmt = "%A, %d-%b-%y %H:%M:%S %Z"
        return SimulatedGraphError(
            190,
            f"Error validating access token: Session has expired on {when.strftime(fmt)}. "
            f"The current time is {now.strftime(fmt)}.",
            subcode=463,
        )

    @staticmethod
    def invalid_error() -> SimulatedGraphError:
        return SimulatedGraphError(
            190, "Error validating access token: The session is invalid because the user logged out.", subcode=467
        )


class Authenticator:
    """Checks the access token (and appsecret_proof) of every call but the token exchange.

    Any non-empty user token is valid unless expired or invalidated (by config or a fault); app tokens
    (``<app_id>|<secret>``) must match the app.
    """

    def __init__(self, config: SimConfig, tokens: Tokens) -> None:
        self.config = config
        self.tokens = tokens

    def authenticate(self, call: Call) -> None:
        token = call.params.get("access_token", "")
        if not token:
            raise SimulatedGraphError(104, "An access token is required to request this resource.")
        self.tokens.check_usable(token)
        if "|" in token:
            app_id, _, rest = token.partition("|")
            ok = app_id == self.config.app_id and (
                rest == (self.config.app_secret or rest) or self.tokens.was_issued(token)
            )
            if not ok:
                raise SimulatedGraphError(190, "Invalid OAuth access token signature.")
            return  # app tokens carry the secret: no appsecret_proof needed
        secret = self.config.app_secret
        if secret:
            proof = call.params.get("appsecret_proof")
            if not proof:
                raise SimulatedGraphError(
                    100, "API calls from the server require an appsecret_proof argument", type="GraphMethodException"
                )
            if not hmac.compare_digest(proof.lower(), expected_proof(secret, token)):
                raise SimulatedGraphError(
                    100, "Invalid appsecret_proof provided in the API argument", type="GraphMethodException"
                )
