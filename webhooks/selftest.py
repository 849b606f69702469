"""`python -m webhooks.selftest`: the web app checks itself in this process and prints one JSON object:
the status of `/healthz` (and its body when unhealthy), of a delivery signed with META_APP_SECRET and of a forged one.

`metasync doctor` runs it as a child process, so the core never imports the web app.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from metasync.settings import get_settings
from metasync.webhook_events.signature import compute_signature
from webhooks import create_app
from webhooks.signature import SIGNATURE_HEADER

# A delivery for an object kind metasync ignores: acknowledged, enqueues nothing.
SELF_TEST_BODY = b'{"object":"page","entry":[]}'


def run_self_test() -> dict[str, Any]:
    secret = get_settings().meta_app_secret
    if not secret:
        return {"error": "META_APP_SECRET is not set: no delivery can be verified"}
    # The forged request below is refused on purpose: no alert-worthy log line for it.
    logging.getLogger("webhooks").setLevel(logging.ERROR)
    client = create_app().test_client()
    health = client.get("/healthz")
    headers = {"Content-Type": "application/json"}
    signed = client.post(
        "/webhooks/meta",
        data=SELF_TEST_BODY,
        headers={**headers, SIGNATURE_HEADER: compute_signature(SELF_TEST_BODY, secret)},
    )
    forged = client.post(
        "/webhooks/meta", data=SELF_TEST_BODY, headers={**headers, SIGNATURE_HEADER: "sha256=" + "0" * 64}
    )
    result: dict[str, Any] = {"healthz": health.status_code, "signed": signed.status_code, "forged": forged.status_code}
    if health.status_code != 200:
        result["healthz_body"] = health.get_json(silent=True)
    return result


if __name__ == "__main__":
    print(json.dumps(run_self_test(), sort_keys=True, default=str))
