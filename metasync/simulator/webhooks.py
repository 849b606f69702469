"""Webhooks as Meta sends them: ad account change payloads, signed with the app secret (X-Hub-Signature-256 and
X-Hub-Signature), POSTed to the configured URL; and the subscription verification handshake."""

from __future__ import annotations

import hashlib
import hmac
import random
import threading
import time
import urllib.error
import urllib.request
from urllib.parse import urlencode

from .config import SimConfig
from .responses import dumps
from .schema import ACCOUNT, WEBHOOK_LEVEL
from .store import ObjectStore

DEFAULT_ISSUE = {
    "error_code": 1815869,
    "error_summary": "Ad post is not available",
    "error_message": "Ad post is not available.",
}
KEPT_DELIVERIES = 200


class Webhooks:
    def __init__(self, config: SimConfig, store: ObjectStore) -> None:
        self.config = config
        self.store = store
        self.lock = threading.Lock()
        self.deliveries: list[dict] = []  # the last deliveries, without their payloads

    def payload(self, ids: list[str], field: str = "in_process_ad_objects") -> dict:
        """One entry per ad account, one change per object."""
        entries: dict[str, dict] = {}
        now = int(time.time())
        for oid in ids:
            obj = self.store.get(oid)
            if obj is None or obj["_kind"] == ACCOUNT:
                raise ValueError(f"unknown object id {oid!r}")
            digits = self.store.account_of(obj)["account_id"]
            entry = entries.setdefault(digits, {"id": digits, "time": now, "changes": []})
            entry["changes"].append({"field": field, "value": self._change_value(obj, oid, field)})
        return {"object": "ad_account", "entry": list(entries.values())}

    @staticmethod
    def _change_value(obj: dict, oid: str, field: str) -> dict:
        level = WEBHOOK_LEVEL[obj["_kind"]]
        if field == "with_issues_ad_objects":
            issue = (obj.get("issues_info") or [DEFAULT_ISSUE])[0]
            return {
                "id": oid,
                "level": level,
                "error_code": issue["error_code"],
                "error_summary": issue["error_summary"],
                "error_message": issue["error_message"],
            }
        if field == "in_process_ad_objects":
            return {
                "id": oid,
                "level": level,
                "status_name": obj.get("effective_status") or obj.get("status", "ACTIVE"),
            }
        raise ValueError("field must be in_process_ad_objects or with_issues_ad_objects")

    def sign(self, body: bytes) -> tuple[str, str]:
        key = (self.config.app_secret or "").encode()
        return (
            "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest(),
            "sha1=" + hmac.new(key, body, hashlib.sha1).hexdigest(),
        )

    def send(self, request: dict) -> dict:
        """POST a signed payload for `id` / `ids` (and `field`) to `url` or the configured webhook_url."""
        url = request.get("url") or self.config.webhook_url
        if not url:
            raise ValueError('no webhook_url configured (POST /__sim/config {"webhook_url": ...})')
        ids = request.get("ids") or [request["id"]]
        body_obj = self.payload([str(i) for i in ids], request.get("field", "in_process_ad_objects"))
        body = dumps(body_obj).encode()
        sig256, sig1 = self.sign(body)
        req = urllib.request.Request(
            url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "User-Agent": "facebookexternalua",
                "X-Hub-Signature-256": sig256,
                "X-Hub-Signature": sig1,
            },
        )
        result: dict = {"url": url, "payload": body_obj, "signature_256": sig256}
        try:
            with urllib.request.urlopen(req, timeout=float(request.get("timeout", 10))) as resp:
                result["status_code"] = resp.status
                result["response"] = resp.read(2000).decode("utf-8", "replace")
        except urllib.error.HTTPError as exc:
            result["status_code"] = exc.code
            result["response"] = exc.read(2000).decode("utf-8", "replace")
            exc.close()
        except (urllib.error.URLError, OSError) as exc:
            result["status_code"] = None
            result["error"] = str(exc)
        with self.lock:
            self.deliveries.append({k: v for k, v in result.items() if k != "payload"})
            del self.deliveries[:-KEPT_DELIVERIES]
        return result

    def verify(self, request: dict) -> dict:
        """Meta's subscription handshake: GET ?hub.mode=subscribe&hub.challenge=N&hub.verify_token=T."""
        url = request.get("url") or self.config.webhook_url
        if not url:
            raise ValueError("no webhook_url configured")
        challenge = str(request.get("challenge", random.Random(self.config.seed).randint(10**8, 10**9)))
        token = request.get("verify_token", self.config.webhook_verify_token)
        sep = "&" if "?" in url else "?"
        full = url + sep + urlencode({"hub.mode": "subscribe", "hub.challenge": challenge, "hub.verify_token": token})
        try:
            with urllib.request.urlopen(full, timeout=10) as resp:
                text = resp.read(2000).decode("utf-8", "replace")
                return {"status_code": resp.status, "body": text, "verified": resp.status == 200 and text == challenge}
        except urllib.error.HTTPError as exc:
            exc.close()
            return {"status_code": exc.code, "verified": False}
        except (urllib.error.URLError, OSError) as exc:
            return {"status_code": None, "verified": False, "error": str(exc)}
