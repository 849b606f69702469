"""Receives Meta's ad-account webhooks and turns each changed object into a targeted re-sync (see `views`)."""

from webhooks.app import create_app

__all__ = ["create_app"]
