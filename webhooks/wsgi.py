"""WSGI entry point for gunicorn (`webhooks.wsgi:app`, see the Procfile)."""

from metasync.infra.logs import configure_logging
from webhooks import create_app

configure_logging()
app = create_app()
