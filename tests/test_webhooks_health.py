"""`/healthz`: both dependencies up, or the one that is down named, quickly."""

from __future__ import annotations

import time

import pytest

from tests.webhook_fakes import dead_port


@pytest.mark.services
def test_healthz_reports_both_dependencies_up(client):
    response = client.get("/healthz")
    assert (response.status_code, response.get_json()) == (200, {"redis": "ok", "mongodb": "ok"})


@pytest.mark.services
@pytest.mark.parametrize(
    "down, config_key, url",
    [
        ("mongodb", "MONGODB_URI", "mongodb://127.0.0.1:{port}/metasync"),
        ("redis", "REDIS_URL", "redis://127.0.0.1:{port}/15"),
    ],
)
def test_healthz_names_the_dependency_that_is_down(make_app, down, config_key, url):
    client = make_app(**{config_key: url.format(port=dead_port()), "WEBHOOK_HEALTH_TIMEOUT_SECONDS": 0.5}).test_client()
    started = time.monotonic()
    response = client.get("/healthz")

    assert time.monotonic() - started < 3
    assert response.status_code == 503
    assert response.get_json()[down] == "down"
    assert set(response.get_json().values()) == {"ok", "down"}
