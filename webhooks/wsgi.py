"""WSGI entry point for gunicorn (`webhooks.wsgi:app`, see the Procfile)."""

from metasync.infra.logs import configure_logging
from metasync.settings import settings_or_exit
from webhooks import create_app

# The web app starts here: a bad setting stops it with one line before it serves anything.
configure_logging(settings_or_exit())
app = create_app()
