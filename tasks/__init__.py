"""Celery tasks: thin wrappers that take ids, re-fetch documents, call plain functions in `metasync`."""
