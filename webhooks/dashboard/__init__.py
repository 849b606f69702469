"""The browser dashboard at /dashboard: per-tenant sync health, runs, budgets, spend, and buttons that start runs.

Logged in with an API key (the same keys as the HTTP API); see `webhooks.dashboard.auth` for the session rules.
"""

from __future__ import annotations

from datetime import timedelta

from flask import Flask, request
from flask.sessions import SecureCookieSessionInterface

from metasync.settings import Settings, get_settings
from webhooks.dashboard.views import bp


class _SessionInterface(SecureCookieSessionInterface):
    """Session cookies are Secure whenever the request came over HTTPS (or WEB_COOKIE_SECURE says it did)."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"] or request.is_secure)


def init_dashboard(app: Flask, settings: Settings | None = None) -> None:
    settings = settings or get_settings()
    secret = app.config.get("WEB_SESSION_SECRET", settings.web_session_secret)
    hours = app.config.get("WEB_SESSION_HOURS", settings.web_session_hours)
    app.config.update(
        WEB_SESSION_SECRET=secret,
        SECRET_KEY=secret,  # None: the dashboard answers 503 and says which setting is missing
        SESSION_COOKIE_NAME="metasync_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=app.config.get("WEB_COOKIE_SECURE", settings.web_cookie_secure),
        PERMANENT_SESSION_LIFETIME=timedelta(hours=hours),
        WTF_CSRF_TIME_LIMIT=hours * 3600,
    )
    app.session_interface = _SessionInterface()
    app.register_blueprint(bp)
