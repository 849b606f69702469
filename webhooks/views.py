"""HTTP routes: Meta's handshake (GET), deliveries (POST) and the health probe.

A delivery is checked in order: size (413), signature over the raw bytes (401, or 503 when no secret is
configured), JSON envelope (400), then enqueued (200 with counts, or 503 when the broker cannot take it).
Logs name the reason, never the secret, the verify token or a signature.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Response, current_app, jsonify, request
from werkzeug.exceptions import RequestEntityTooLarge

from metasync.infra.counters import count
from webhooks.challenge import resolve_meta_webhook_challenge
from webhooks.handler import DispatchUnavailable, handle_meta_webhook
from webhooks.health import check_dependencies
from webhooks.payload import WebhookPayloadError, parse_webhook_body
from webhooks.signature import (
    WebhookSecretMissing,
    WebhookSignatureError,
    pick_signature_header,
    verify_meta_webhook_signature,
)

log = logging.getLogger(__name__)

bp = Blueprint("webhooks", __name__)

EXTENSION = "metasync_webhooks"


def _count(name: str, n: float = 1, **labels: str) -> None:
    """Count into the shared Redis counters (`/metrics`), with the dispatcher's short-timeout client."""
    count(name, n, current_app.extensions[EXTENSION].deduper.client, **labels)


def _error(status: int, message: str, reason: str, level: int = logging.WARNING) -> tuple[Response, int]:
    _count("webhook_deliveries", result="rejected", reason=reason)
    log.log(
        level,
        "webhook rejected (%d %s): %s",
        status,
        reason,
        message,
        extra={"event": "webhook_rejected", "status": status, "reason": reason, "remote_addr": request.remote_addr},
    )
    return jsonify(error=message, reason=reason), status


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(_exc: RequestEntityTooLarge):
    return _error(413, "body is larger than the webhook size limit", "too_large")


@bp.get("/webhooks/meta")
def meta_challenge():
    answer = resolve_meta_webhook_challenge(request.args, current_app.config["META_APP_VERIFY_TOKEN"] or "")
    if answer.status != 200:
        level = logging.ERROR if answer.status == 503 else logging.WARNING
        log.log(
            level,
            "webhook verification refused (%d): %s",
            answer.status,
            answer.body,
            extra={"event": "webhook_challenge_rejected", "status": answer.status, "remote_addr": request.remote_addr},
        )
    response = Response(answer.body, status=answer.status, mimetype="text/plain")
    # The body echoes caller input: make sure no browser ever renders it as anything but text.
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.post("/webhooks/meta")
def meta_delivery():
    config = current_app.config
    limit = config["WEBHOOK_MAX_BODY_BYTES"]
    if (request.content_length or 0) > limit:
        raise RequestEntityTooLarge()
    raw = request.get_data(cache=True)  # the exact bytes Meta signed, at most limit + 1 of them (see create_app)
    if len(raw) > limit:
        raise RequestEntityTooLarge()

    signature, legacy = pick_signature_header(request.headers)
    try:
        verify_meta_webhook_signature(signature, raw, config["META_APP_SECRET"] or "", legacy=legacy)
    except WebhookSecretMissing as exc:
        # Our deployment is broken, not the request: 503 makes Meta keep the delivery and retry.
        return _error(503, str(exc), "secret_not_configured", logging.ERROR)
    except WebhookSignatureError as exc:
        return _error(401, exc.message, exc.reason)

    try:
        payload = parse_webhook_body(raw)
    except WebhookPayloadError as exc:
        return _error(400, str(exc), "bad_payload")

    try:
        summary = handle_meta_webhook(payload, current_app.extensions[EXTENSION])
    except DispatchUnavailable as exc:
        return _error(503, f"could not enqueue the delivery, retry later ({exc})", "enqueue_failed", logging.ERROR)
    _count("webhook_deliveries", result=_delivery_result(summary))
    for outcome in ("enqueued", "duplicates", "ignored", "invalid"):
        if summary[outcome]:
            _count("webhook_changes", summary[outcome], outcome=outcome.removesuffix("s"))
    return jsonify(summary), 200


def _delivery_result(summary: dict[str, int]) -> str:
    """`duplicate` when every change of the delivery was already enqueued (a redelivery), else `accepted`."""
    return "duplicate" if summary["duplicates"] and not summary["enqueued"] else "accepted"


@bp.get("/healthz")
def healthz():
    config = current_app.config
    report, healthy = check_dependencies(
        config["REDIS_URL"], config["MONGODB_URI"], config["WEBHOOK_HEALTH_TIMEOUT_SECONDS"]
    )
    return jsonify(report), 200 if healthy else 503
