"""Logging: one JSON object per line with the fields a team alerts on (or readable text), and no secret in any
line, whoever logs it (our code, requests/urllib3, Celery)."""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import logging
import os
from datetime import timedelta

import pytest
import requests
import responses

from metasync.connections.registry import upsert_connection
from metasync.connections.tokens import refresh_expiring_tokens
from metasync.entities.sync import sync_meta_connection
from metasync.infra.clock import utcnow
from metasync.infra.logs import configure_logging
from metasync.ops.credentials import check_credentials
from metasync.settings import get_settings
from metasync.simulator import SimConfig, SimulatorServer
from tests.graph_fakes import FakeAccount, ad, ad_set, campaign
from tests.helpers import APP_SECRET, TOKEN


@pytest.fixture
def captured(settings_env):
    """configure_logging(...) into a buffer, for the given LOG_FORMAT / LOG_LEVEL; root logging restored after."""
    root = logging.getLogger()
    saved = (list(root.handlers), root.level, logging.getLogger("urllib3").level)
    buffer = io.StringIO()

    def configure(**env) -> io.StringIO:
        settings_env(**env)
        configure_logging(get_settings(), stream=buffer)
        return buffer

    yield configure
    root.handlers[:] = saved[0]
    root.setLevel(saved[1])
    logging.getLogger("urllib3").setLevel(saved[2])


def json_lines(buffer: io.StringIO) -> list[dict]:
    lines = [line for line in buffer.getvalue().splitlines() if line.strip()]
    return [json.loads(line) for line in lines]  # every line must be one JSON object


def secrets_of(token: str) -> list[str]:
    return [
        token,
        APP_SECRET,
        os.environ["TOKEN_ENCRYPTION_KEY"],
        os.environ["META_APP_VERIFY_TOKEN"],
        hmac.new(APP_SECRET.encode(), token.encode(), hashlib.sha256).hexdigest(),
    ]


def assert_no_secret(text: str, secrets: list[str]) -> None:
    for secret in secrets:
        assert secret not in text, f"a secret ({secret[:6]}...) was logged"


def test_json_format_is_one_object_per_line_with_the_event_fields(captured):
    buffer = captured(LOG_FORMAT="json", LOG_LEVEL="INFO")
    logging.getLogger("metasync.entities.sync").info(
        "sync finished",
        extra={
            "event": "sync_finished",
            "tenant_id": "t1",
            "ad_account_id": "act_1",
            "campaigns_synced": 3,
            "ad_sets_synced": 4,
            "ads_synced": 5,
            "duration_ms": 120,
            "api_calls": 7,
        },
    )
    logging.getLogger("metasync.entities.sync").info("multi\nline message")

    first, second = json_lines(buffer)
    assert (first["message"], first["level"], first["logger"]) == ("sync finished", "INFO", "metasync.entities.sync")
    assert {
        k: first[k]
        for k in ("event", "tenant_id", "ad_account_id", "campaigns_synced", "ads_synced", "duration_ms", "api_calls")
    } == {
        "event": "sync_finished",
        "tenant_id": "t1",
        "ad_account_id": "act_1",
        "campaigns_synced": 3,
        "ads_synced": 5,
        "duration_ms": 120,
        "api_calls": 7,
    }
    assert second["message"] == "multi\nline message"


def test_text_format_is_readable_with_fields_appended(captured):
    buffer = captured(LOG_FORMAT="text", LOG_LEVEL="INFO")
    logging.getLogger("metasync.entities.sync").warning(
        "token expired", extra={"event": "token_expired", "tenant_id": "t1"}
    )

    line = buffer.getvalue().strip()
    assert "WARNING metasync.entities.sync: token expired" in line
    assert "event=token_expired" in line and "tenant_id=t1" in line
    with pytest.raises(ValueError):
        json.loads(line)


def test_credentials_in_messages_and_fields_are_redacted(captured):
    buffer = captured(LOG_FORMAT="json", LOG_LEVEL="DEBUG")
    log = logging.getLogger("anything")
    log.debug("GET /v25.0/act_1?access_token=%s&appsecret_proof=%s", TOKEN, "ab" * 32)
    log.debug("exchange", extra={"url": f"/oauth/access_token?client_secret={APP_SECRET}&fb_exchange_token={TOKEN}"})
    log.debug("header sha256=%s", "cd" * 32)

    text = buffer.getvalue()
    assert_no_secret(text, secrets_of(TOKEN) + ["ab" * 32, "cd" * 32])
    assert text.count("[redacted]") >= 4


@pytest.mark.services
def test_a_whole_sync_at_debug_logs_its_events_and_no_secret(captured, mongo, redis_client):
    buffer = captured(LOG_FORMAT="json", LOG_LEVEL="DEBUG")
    connection, _ = upsert_connection("tenant-log", "act_123", TOKEN)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as graph:
        account = FakeAccount(graph)
        account.edges["campaigns"] = [campaign("1")]
        account.edges["adsets"] = [ad_set("11", "1")]
        account.edges["ads"] = [ad("111", "11", "1")]
        sync_meta_connection(connection, trigger="test")

    lines = json_lines(buffer)
    assert_no_secret(buffer.getvalue(), secrets_of(TOKEN) + ["EAAsecret-in-next-url"])
    events = {line.get("event"): line for line in lines}
    assert events["sync_started"]["tenant_id"] == "tenant-log" and events["sync_started"]["ad_account_id"] == "act_123"
    finished = events["sync_finished"]
    assert finished["campaigns_synced"] == finished["ad_sets_synced"] == finished["ads_synced"] == 1
    assert finished["duration_ms"] >= 0 and finished["api_calls"] >= 4


def test_urllib3_is_kept_quiet_by_default(captured):
    captured(LOG_FORMAT="json", LOG_LEVEL="DEBUG")
    assert logging.getLogger("urllib3").getEffectiveLevel() >= logging.WARNING


@pytest.mark.services
def test_even_urllib3_request_lines_over_real_http_carry_no_secret(captured, mongo, redis_client):
    """Sync, token exchange and credential checks against the simulator over real HTTP, with urllib3 forced to
    DEBUG (it logs every URL with its query string): the redacting filter still scrubs every line."""
    config = SimConfig(
        accounts=1, campaigns=1, ad_sets_per_campaign=1, ads_per_ad_set=1, app_id="111", app_secret=APP_SECRET
    )
    with SimulatorServer(config) as sim:
        buffer = captured(LOG_FORMAT="json", LOG_LEVEL="DEBUG", META_GRAPH_URL=sim.base_url)
        logging.getLogger("urllib3").setLevel(logging.DEBUG)
        app_token = requests.get(
            f"{sim.graph_url}/oauth/access_token",
            timeout=10,
            params={"client_id": "111", "client_secret": APP_SECRET, "grant_type": "client_credentials"},
        ).json()["access_token"]
        connection, _ = upsert_connection(
            "tenant-log", "act_1000000001", TOKEN, expires_at=utcnow() + timedelta(days=1)
        )

        sync_meta_connection(connection, trigger="test")  # exchanges the token first: it expires within the window
        refresh_expiring_tokens(window_days=90)
        checks = check_credentials([connection])

    assert [c.status for c in checks] == ["pass", "pass"]
    text = buffer.getvalue()
    json_lines(buffer)
    request_lines = [line for line in text.splitlines() if '"logger": "urllib3' in line]
    assert any("access_token=[redacted]" in line for line in request_lines)  # the lines were there, scrubbed
    assert any("client_secret=[redacted]" in line for line in request_lines)
    assert any("input_token=[redacted]" in line for line in request_lines)
    connection.reload()
    assert_no_secret(text, secrets_of(TOKEN) + secrets_of(connection.access_token) + [app_token])


def test_a_logged_exception_carries_no_secret(captured):
    buffer = captured(LOG_FORMAT="json", LOG_LEVEL="INFO")
    try:
        raise RuntimeError(f"GET /v25.0/me?access_token={TOKEN}")
    except RuntimeError:
        logging.getLogger("celery.app.trace").exception("Task sync_connection raised unexpected")

    text = buffer.getvalue()
    assert_no_secret(text, [TOKEN])
    assert "RuntimeError" in text and "access_token=[redacted]" in text
