"""The Celery app, configured from the `celeryconfig` module; `celery -A metasync ...` finds it here."""

from celery import Celery

app = Celery("metasync")
app.config_from_object("celeryconfig")
