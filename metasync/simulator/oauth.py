"""The token endpoints: /oauth/access_token (long-lived user tokens, app tokens) and /debug_token."""

from __future__ import annotations

import hmac
import time

from .auth import LONG_LIVED_SECONDS, Tokens
from .call import Call
from .config import SimConfig
from .errors import SimulatedGraphError

SCOPES = ["ads_read", "ads_management", "business_management"]
APPLICATION = "Metasync Simulator"


class OAuthEndpoints:
    def __init__(self, config: SimConfig, tokens: Tokens, user_id: str) -> None:
        self.config = config
        self.tokens = tokens
        self.user_id = user_id

    def access_token(self, call: Call) -> dict:
        """grant_type=fb_exchange_token (a long-lived user token) or client_credentials (the app token)."""
        p = call.params
        grant = p.get("grant_type", "")
        if p.get("client_id") != self.config.app_id:
            raise SimulatedGraphError(101, "Error validating application. Invalid application ID.")
        secret = p.get("client_secret")
        if not secret:
            raise SimulatedGraphError(1, "Missing client_secret parameter.", http_status=400)
        if self.config.app_secret and not hmac.compare_digest(secret, self.config.app_secret):
            raise SimulatedGraphError(1, "Error validating client secret.", http_status=400)
        if grant == "fb_exchange_token":
            old = p.get("fb_exchange_token", "")
            if not old:
                raise SimulatedGraphError(100, "(#100) Missing fb_exchange_token parameter")
            self.tokens.check_usable(old)
            token = self.tokens.issue_user_token(old)
            return {"access_token": token, "token_type": "bearer", "expires_in": LONG_LIVED_SECONDS}
        if grant == "client_credentials":
            return {"access_token": self.tokens.issue_app_token(), "token_type": "bearer"}
        raise SimulatedGraphError(100, f"(#100) Unsupported grant_type: {grant or '(missing)'}")

    def debug_token(self, call: Call) -> dict:
        token = call.params.get("input_token", "")
        if not token:
            raise SimulatedGraphError(100, "(#100) The parameter input_token is required")
        if "|" in token and token.split("|", 1)[0] == self.config.app_id:
            return {
                "data": {
                    "app_id": self.config.app_id,
                    "type": "APP",
                    "application": APPLICATION,
                    "is_valid": True,
                    "scopes": [],
                }
            }
        tokens = self.tokens
        info = tokens.info(token)
        data: dict = {
            "app_id": self.config.app_id,
            "type": info["type"],
            "application": APPLICATION,
            "data_access_expires_at": info["issued_at"] + 90 * 86400,
            "expires_at": info["expires_at"],
            "is_valid": True,
            "issued_at": info["issued_at"],
            "scopes": list(SCOPES),
            "granular_scopes": [{"scope": s} for s in SCOPES],
            "user_id": self.user_id,
        }
        if tokens.is_invalid(token):
            err = tokens.invalid_error()
            data["is_valid"] = False
            data["error"] = {"code": 190, "message": err.message, "subcode": err.subcode}
        elif tokens.is_expired(token):
            err = tokens.expired_error(token)
            data["is_valid"] = False
            data["expires_at"] = min(info["expires_at"], int(time.time()) - 3600)
            data["error"] = {"code": 190, "message": err.message, "subcode": 463}
        return {"data": data}
