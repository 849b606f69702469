"""Dashboard sessions: log in by posting an API key; the signed session cookie holds the key's digest and id.

Every request reads the key again by `_id` (one read), so a revoked key loses the dashboard on its next request and
a changed scope applies at once. The raw key is never stored in the cookie. Forms carry a CSRF token
(Flask-WTF), checked on every POST of the dashboard, the login form included.
"""

from __future__ import annotations

from flask import current_app, g, session
from flask_wtf.csrf import CSRFError, validate_csrf
from wtforms.validators import ValidationError

from metasync.access.keys import Principal, authenticate, key_digest, principal_by_digest

SESSION_KEY = "apikey"


def log_in(raw_key: str) -> Principal | None:
    principal = authenticate(raw_key.strip())
    if principal is None:
        return None
    session.clear()
    session.permanent = True
    session[SESSION_KEY] = key_digest(raw_key.strip())
    return principal


def log_out() -> None:
    session.clear()


def current_principal() -> Principal | None:
    """The logged-in key's principal, re-checked now; a revoked or deleted key ends the session."""
    if "principal" in g:
        return g.principal
    digest = session.get(SESSION_KEY)
    principal = principal_by_digest(digest) if isinstance(digest, str) else None
    if principal is None and digest is not None:
        session.clear()
    g.principal = principal
    return principal


def check_csrf(token: str | None) -> None:
    """Raise CSRFError (400) unless `token` is this session's valid CSRF token."""
    try:
        validate_csrf(token, secret_key=current_app.config["SECRET_KEY"])
    except ValidationError as exc:
        raise CSRFError(str(exc)) from None
