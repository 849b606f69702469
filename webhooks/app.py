"""The Flask application factory for Meta webhooks."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask

from metasync.settings import settings_or_exit
from webhooks.api import init_api
from webhooks.config import default_config
from webhooks.dashboard import init_dashboard
from webhooks.handler import build_dispatcher
from webhooks.metrics import bp as metrics_bp
from webhooks.views import EXTENSION, bp


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """The webhook app; `config` overrides `webhooks.config.default_config()` key by key.

    Flask calls this for `flask --app webhooks.app`: a bad setting stops the program with one line and exit 2."""
    app = Flask(__name__, static_folder=None)
    app.config.from_mapping(default_config(settings_or_exit()))
    if config:
        app.config.from_mapping(config)
    # Werkzeug never reads more than this into memory. One byte over the limit: a chunked body (no length) is cut
    # at MAX_CONTENT_LENGTH without an error, so the view needs that extra byte to see it was too long.
    app.config["MAX_CONTENT_LENGTH"] = app.config["WEBHOOK_MAX_BODY_BYTES"] + 1
    app.extensions[EXTENSION] = build_dispatcher(app.config)
    app.register_blueprint(bp)
    app.register_blueprint(metrics_bp)
    init_api(app)  # /api/v1 (webhooks/api)
    init_dashboard(app)  # /dashboard (webhooks/dashboard)
    return app
