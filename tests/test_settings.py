"""Configuration: defaults, parsing, and one clear message naming a bad variable."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from dotenv import dotenv_values
from pydantic import ValidationError

import metasync.settings as settings_module
from metasync.cli import main
from metasync.settings import SECRET_SETTINGS, ConfigError, get_settings, load_settings, mask_url_password

REPO = Path(__file__).resolve().parent.parent


def test_defaults_when_environment_is_empty():
    settings = load_settings({})
    assert settings.meta_api_version == "v25.0"
    assert settings.meta_graph_url == "https://graph.facebook.com"
    assert settings.mongodb_uri == "mongodb://localhost:27017/metasync"
    assert settings.redis_url == "redis://localhost:6379/0"
    assert settings.broker_url == settings.redis_url
    assert settings.meta_rate_limit_per_hour == 180
    assert (settings.meta_sync_interval_minutes, settings.performance_sync_interval_minutes) == (60, 60)


def test_broker_defaults_to_redis_url_and_can_differ():
    assert load_settings({"REDIS_URL": "redis://r:1/2"}).broker_url == "redis://r:1/2"
    assert load_settings({"CELERY_BROKER_URL": "redis://b:1/0"}).broker_url == "redis://b:1/0"


@pytest.mark.parametrize(
    "name,value",
    [
        ("META_RATE_LIMIT_PER_HOUR", "lots"),
        ("META_RATE_LIMIT_PER_HOUR", "0"),
        ("META_SYNC_INTERVAL_MINUTES", "1.5"),
        ("META_API_VERSION", "25"),
        ("MONGODB_URI", "localhost:27017"),
        ("REDIS_URL", "http://localhost"),
        ("META_GRAPH_URL", "graph.facebook.com"),
        ("LOG_FORMAT", "xml"),
    ],
)
def test_malformed_setting_names_the_variable(name, value):
    with pytest.raises(ConfigError) as info:
        load_settings({name: value})
    assert name in str(info.value)


def test_describe_never_shows_secrets():
    settings = load_settings(
        {"META_APP_SECRET": "s3cr3t-value", "TOKEN_ENCRYPTION_KEY": "k3y-value", "META_APP_VERIFY_TOKEN": "v3rify"}
    )
    shown = str(settings.describe())
    assert "s3cr3t-value" not in shown and "k3y-value" not in shown and "v3rify" not in shown
    assert settings.describe()["META_APP_SECRET"] == "(set)"
    assert "s3cr3t-value" not in repr(settings) and "k3y-value" not in repr(settings)


def test_trailing_slash_on_graph_url_is_ignored():
    assert load_settings({"META_GRAPH_URL": "http://127.0.0.1:8765/"}).graph_base() == "http://127.0.0.1:8765/v25.0"


def test_describe_masks_passwords_inside_urls():
    settings = load_settings(
        {
            "MONGODB_URI": "mongodb://app:hunter2@db.internal:27017/metasync",
            "REDIS_URL": "redis://:r3dispass@cache:6379/0",
        }
    )
    shown = settings.describe()
    assert shown["MONGODB_URI"] == "mongodb://app:***@db.internal:27017/metasync"
    assert "r3dispass" not in str(shown)


@pytest.mark.parametrize(
    "uri,shown",
    [
        (
            "mongodb://user:s3cret@db.example:27017/metasync?authSource=admin",
            "mongodb://user:***@db.example:27017/metasync?authSource=admin",
        ),
        ("mongodb://127.0.0.1:27027/metasync", "mongodb://127.0.0.1:27027/metasync"),
        ("mongodb+srv://u:p@cluster0.example.net/app", "mongodb+srv://u:***@cluster0.example.net/app"),
    ],
)
def test_database_urls_are_shown_without_their_password(uri, shown):
    assert mask_url_password(uri) == shown


# --- every rule, with the exact message ------------------------------------------------------------------------
@pytest.mark.parametrize(
    "name,value,message",
    [
        ("META_APP_ID", "my-app", "must be the app's numeric id, got 'my-app'"),
        ("META_API_VERSION", "25", "must look like v25.0, got '25'"),
        ("META_API_VERSION", "v25", "must look like v25.0, got 'v25'"),
        ("META_API_VERSION", "v.25", "must look like v25.0, got 'v.25'"),
        (
            "META_GRAPH_URL",
            "graph.facebook.com",
            "must be a URL starting with http:// or https://, got 'graph.facebook.com'",
        ),
        ("META_GRAPH_URL", "https://", "must name a host after https://, got 'https://'"),
        (
            "MONGODB_URI",
            "postgres://db/metasync",
            "must be a URL starting with mongodb:// or mongodb+srv://, got 'postgres://db/metasync'",
        ),
        ("MONGODB_URI", "mongodb:///metasync", "must name a host after mongodb://, got 'mongodb:///metasync'"),
        (
            "REDIS_URL",
            "http://localhost",
            "must be a URL starting with redis:// or rediss:// or unix://, got 'http://localhost'",
        ),
        ("REDIS_URL", "unix://", "must name a socket path after unix://, got 'unix://'"),
        (
            "CELERY_BROKER_URL",
            "sqs://queue",
            "must be a URL starting with redis:// or rediss:// or unix:// or amqp:// or memory://, got 'sqs://queue'",
        ),
        ("META_SYNC_INTERVAL_MINUTES", "1.5", "must be a whole number from 1 to 10080, got '1.5'"),
        (
            "META_SYNC_INTERVAL_MINUTES",
            "99999999999999",
            "must be a whole number from 1 to 10080, got '99999999999999'",
        ),
        ("PERFORMANCE_SYNC_INTERVAL_MINUTES", "0", "must be a whole number from 1 to 10080, got '0'"),
        ("PERFORMANCE_LOOKBACK_DAYS", "2000", "must be a whole number from 1 to 1095, got '2000'"),
        ("META_RATE_LIMIT_PER_HOUR", "lots", "must be a whole number of at least 1, got 'lots'"),
        ("META_RATE_LIMIT_MAX_WAIT_SECONDS", "-1", "must be a finite number of at least 0, got '-1'"),
        ("META_RATE_LIMIT_MAX_WAIT_SECONDS", "nan", "must be a finite number of at least 0, got 'nan'"),
        ("META_USAGE_PAUSE_THRESHOLD", "0", "must be a finite number from 1 to 100, got '0'"),
        ("META_USAGE_PAUSE_THRESHOLD", "101", "must be a finite number from 1 to 100, got '101'"),
        ("META_USAGE_PAUSE_THRESHOLD", "85%", "must be a finite number from 1 to 100, got '85%'"),
        ("META_USAGE_PAUSE_THRESHOLD", "NaN", "must be a finite number from 1 to 100, got 'NaN'"),
        ("META_PAGE_SIZE", "-5", "must be a whole number of at least 1, got '-5'"),
        ("META_CONNECT_TIMEOUT", "0", "must be a finite number greater than 0, got '0'"),
        ("META_CONNECT_TIMEOUT", "-inf", "must be a finite number greater than 0, got '-inf'"),
        ("META_READ_TIMEOUT", "inf", "must be a finite number greater than 0, got 'inf'"),
        ("META_READ_TIMEOUT", "1m", "must be a finite number greater than 0, got '1m'"),
        ("TOKEN_REFRESH_WINDOW_DAYS", "-1", "must be a whole number from 0 to 60, got '-1'"),
        ("TOKEN_REFRESH_WINDOW_DAYS", "90", "must be a whole number from 0 to 60, got '90'"),
        ("WEBHOOK_MAX_BODY_BYTES", "100", "must be a whole number of at least 1024, got '100'"),
        ("WEBHOOK_DEDUPE_SECONDS", "nan", "must be a finite number greater than 0, got 'nan'"),
        ("WEBHOOK_BROKER_TIMEOUT_SECONDS", "0", "must be a finite number greater than 0, got '0'"),
        ("WEBHOOK_HEALTH_TIMEOUT_SECONDS", "inf", "must be a finite number greater than 0, got 'inf'"),
        ("METRICS_PUBLIC", "maybe", "must be true or false, got 'maybe'"),
        ("METRICS_BROKER_TIMEOUT_SECONDS", "0", "must be a finite number greater than 0, got '0'"),
        ("LOG_FORMAT", "xml", "must be text or json, got 'xml'"),
        ("LOG_LEVEL", "LOUD", "must be DEBUG, INFO, WARNING, ERROR or CRITICAL, got 'LOUD'"),
        ("LOG_LEVEL", "WARN", "must be DEBUG, INFO, WARNING, ERROR or CRITICAL, got 'WARN'"),
    ],
)
def test_malformed_setting_gives_one_line_saying_what_is_wrong(name, value, message):
    with pytest.raises(ConfigError) as info:
        load_settings({name: value})
    assert str(info.value) == f"{name} {message}"


@pytest.mark.parametrize(
    "name,value",
    [
        ("META_APP_SECRET", "s3cr3t value"),
        ("META_APP_SECRET", "s3cr3t\x00value"),
        ("TOKEN_ENCRYPTION_KEY", "k3y\tvalue"),
    ],
)
def test_a_bad_secret_is_named_but_never_echoed(name, value):
    with pytest.raises(ConfigError) as info:
        load_settings({name: value})
    assert str(info.value) == f"{name} must not contain spaces or control characters"
    assert value not in str(info.value)


def test_password_in_a_bad_url_is_masked_in_the_message():
    with pytest.raises(ConfigError) as info:
        load_settings({"REDIS_URL": "http://app:hunter2@cache:6379/0"})
    assert "hunter2" not in str(info.value) and "http://app:***@cache:6379/0" in str(info.value)


def test_several_bad_settings_are_all_named_on_one_line_in_field_order():
    with pytest.raises(ConfigError) as info:
        load_settings({"LOG_LEVEL": "LOU\nD", "META_APP_SECRET": "two words", "META_PAGE_SIZE": "0"})
    assert str(info.value) == (
        "META_APP_SECRET must not contain spaces or control characters; "
        "META_PAGE_SIZE must be a whole number of at least 1, got '0'; "
        "LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL, got 'LOU\\nD'"
    )
    assert "\n" not in str(info.value) and "two words" not in str(info.value)


# --- what is accepted -------------------------------------------------------------------------------------------
def test_every_default_as_described():
    assert load_settings({}).describe() == {
        "META_APP_ID": "",
        "META_APP_SECRET": "(not set)",
        "META_APP_VERIFY_TOKEN": "(not set)",
        "META_API_VERSION": "v25.0",
        "META_GRAPH_URL": "https://graph.facebook.com",
        "MONGODB_URI": "mongodb://localhost:27017/metasync",
        "REDIS_URL": "redis://localhost:6379/0",
        "CELERY_BROKER_URL": "",
        "META_SYNC_INTERVAL_MINUTES": "60",
        "PERFORMANCE_SYNC_INTERVAL_MINUTES": "60",
        "ACCOUNT_RECHECK_INTERVAL_MINUTES": "60",
        "PERFORMANCE_LOOKBACK_DAYS": "28",
        "META_RATE_LIMIT_PER_HOUR": "180",
        "META_RATE_LIMIT_MAX_WAIT_SECONDS": "30.0",
        "REPORTS_CHECK_INTERVAL_MINUTES": "60",
        "REPORTS_RATE_RESERVE_SHARE": "0.3",
        "META_USAGE_PAUSE_THRESHOLD": "85.0",
        "META_PAGE_SIZE": "100",
        "META_CONNECT_TIMEOUT": "5.0",
        "META_READ_TIMEOUT": "60.0",
        "TOKEN_REFRESH_WINDOW_DAYS": "7",
        "TOKEN_ENCRYPTION_KEY": "(not set)",
        "WEBHOOK_MAX_BODY_BYTES": "4194304",
        "WEBHOOK_DEDUPE_SECONDS": "60.0",
        "WEBHOOK_BROKER_TIMEOUT_SECONDS": "2.0",
        "WEBHOOK_HEALTH_TIMEOUT_SECONDS": "1.5",
        "METRICS_PUBLIC": "False",
        "METRICS_BROKER_TIMEOUT_SECONDS": "1.0",
        "API_RATE_LIMIT_PER_MINUTE": "120",
        "API_CORS_ORIGINS": "",
        "WEB_SESSION_SECRET": "(not set)",
        "WEB_COOKIE_SECURE": "False",
        "WEB_SESSION_HOURS": "12",
        "LOG_FORMAT": "text",
        "LOG_LEVEL": "INFO",
    }


def test_defaults_have_their_types():
    settings = load_settings({})
    assert settings.meta_app_id is None and settings.celery_broker_url is None
    assert isinstance(settings.meta_page_size, int) and isinstance(settings.meta_read_timeout, float)
    assert settings.webhook_max_body_bytes == 4 * 1024 * 1024 and settings.token_refresh_window_days == 7


@pytest.mark.parametrize("blank", ["", "   "])
def test_a_blank_value_means_the_default(blank):
    settings = load_settings(
        {"META_PAGE_SIZE": blank, "LOG_LEVEL": blank, "CELERY_BROKER_URL": blank, "META_APP_SECRET": blank}
    )
    assert (settings.meta_page_size, settings.log_level) == (100, "INFO")
    assert settings.celery_broker_url is None and settings.meta_app_secret is None


@pytest.mark.parametrize(
    "name,value,attribute,expected",
    [
        ("META_PAGE_SIZE", " 250 ", "meta_page_size", 250),
        ("META_USAGE_PAUSE_THRESHOLD", "1", "meta_usage_pause_threshold", 1.0),
        ("META_USAGE_PAUSE_THRESHOLD", "100", "meta_usage_pause_threshold", 100.0),
        ("META_RATE_LIMIT_MAX_WAIT_SECONDS", "0", "meta_rate_limit_max_wait_seconds", 0.0),
        ("META_READ_TIMEOUT", "0.5", "meta_read_timeout", 0.5),
        ("TOKEN_REFRESH_WINDOW_DAYS", "0", "token_refresh_window_days", 0),
        ("LOG_LEVEL", "debug", "log_level", "DEBUG"),
        ("LOG_FORMAT", "JSON", "log_format", "json"),
        ("META_API_VERSION", "v19.0", "meta_api_version", "v19.0"),
        ("META_APP_ID", "1234567890", "meta_app_id", "1234567890"),
        ("META_APP_SECRET", "  abc123  ", "meta_app_secret", "abc123"),
        (
            "MONGODB_URI",
            "mongodb+srv://app:pw@cluster0.example.net/metasync",
            "mongodb_uri",
            "mongodb+srv://app:pw@cluster0.example.net/metasync",
        ),
        (
            "MONGODB_URI",
            "mongodb://db1:27017,db2:27017/metasync?replicaSet=rs0",
            "mongodb_uri",
            "mongodb://db1:27017,db2:27017/metasync?replicaSet=rs0",
        ),
        ("REDIS_URL", "unix:///run/redis.sock", "redis_url", "unix:///run/redis.sock"),
        ("CELERY_BROKER_URL", "amqp://guest@rabbit//", "celery_broker_url", "amqp://guest@rabbit//"),
        ("CELERY_BROKER_URL", "memory://", "celery_broker_url", "memory://"),
    ],
)
def test_good_values_are_read_and_normalised(name, value, attribute, expected):
    assert getattr(load_settings({name: value}), attribute) == expected


def test_settings_are_frozen():
    settings = load_settings({})
    with pytest.raises(ValidationError):
        settings.meta_page_size = 5


def test_describe_reports_set_secrets_and_url_values():
    shown = load_settings(
        {"META_APP_VERIFY_TOKEN": "v3rify", "CELERY_BROKER_URL": "amqp://u:pw@rabbit:5672//", "META_READ_TIMEOUT": "12"}
    ).describe()
    assert shown["META_APP_VERIFY_TOKEN"] == "(set)" and shown["TOKEN_ENCRYPTION_KEY"] == "(not set)"
    assert shown["CELERY_BROKER_URL"] == "amqp://u:***@rabbit:5672//" and shown["META_READ_TIMEOUT"] == "12.0"
    assert SECRET_SETTINGS == ("META_APP_SECRET", "META_APP_VERIFY_TOKEN", "TOKEN_ENCRYPTION_KEY", "WEB_SESSION_SECRET")


# --- where the values come from -----------------------------------------------------------------------------------
def test_an_explicit_mapping_is_the_whole_environment(monkeypatch):
    monkeypatch.setenv("LOG_LEVEL", "LOUD")
    monkeypatch.setenv("META_PAGE_SIZE", "7")
    monkeypatch.setattr(settings_module, "load_dotenv", lambda **_: pytest.fail(".env read for an explicit mapping"))
    settings = load_settings({"META_RATE_LIMIT_PER_HOUR": "5"})
    assert (settings.log_level, settings.meta_page_size, settings.meta_rate_limit_per_hour) == ("INFO", 100, 5)


def test_the_process_environment_is_read_like_a_mapping(monkeypatch):
    monkeypatch.setenv("META_PAGE_SIZE", " 7 ")
    monkeypatch.setenv("LOG_LEVEL", "")
    monkeypatch.setenv("META_READ_TIMEOUT", "12.5")
    monkeypatch.setenv("log_format", "xml")  # names are case-sensitive: this is not LOG_FORMAT
    from_environ = load_settings(dotenv=False)
    assert (from_environ.meta_page_size, from_environ.log_level, from_environ.log_format) == (7, "INFO", "text")
    assert from_environ == load_settings(dict(os.environ))


def test_the_process_environment_is_validated_too(monkeypatch):
    monkeypatch.setenv("META_CONNECT_TIMEOUT", "-3")
    with pytest.raises(ConfigError, match=r"^META_CONNECT_TIMEOUT must be a finite number greater than 0, got '-3'$"):
        load_settings(dotenv=False)


def test_the_example_env_file_is_valid_and_gives_the_defaults():
    assert load_settings(dotenv_values(REPO / ".env.example")) == load_settings({})


def test_dotenv_never_overrides_the_environment(monkeypatch):
    calls = []
    monkeypatch.setattr(settings_module, "load_dotenv", lambda **kwargs: calls.append(kwargs))
    load_settings()
    load_settings(dotenv=False)
    assert calls == [{"override": False}]


def test_get_settings_is_cached_until_reset_and_a_failure_is_not(settings_env):
    first = get_settings()
    assert get_settings() is first
    settings_env(LOG_LEVEL="LOUD")
    for _ in range(2):
        with pytest.raises(ConfigError, match="LOG_LEVEL"):
            get_settings()
    settings_env(LOG_LEVEL="debug")
    assert get_settings() is not first and get_settings().log_level == "DEBUG"


# --- every program stops with that one line and exit 2 ------------------------------------------------------------
LOUD = "LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL, got 'LOUD'"
CLI_COMMANDS = [
    ["status"],
    ["sync"],
    ["sync", "--loop"],
    ["performance"],
    ["check"],
    ["demo"],
    ["connections", "list"],
    ["connections", "add", "--tenant", "t1", "--ad-account", "act_1", "--token", "EAAtoken"],
    ["connections", "remove", "64b7f0c2a1b2c3d4e5f60718"],
]


@pytest.mark.parametrize("args", CLI_COMMANDS, ids=" ".join)
def test_every_cli_command_that_reads_settings_stops_on_a_bad_one(settings_env, args):
    settings_env(LOG_LEVEL="LOUD")
    result = CliRunner().invoke(main, args)
    assert (result.exit_code, result.output) == (2, f"error: {LOUD}\n")


# Nothing listens there: a program that went past its settings would fail some other way, and touch no test data.
NO_SERVERS = {
    "MONGODB_URI": "mongodb://127.0.0.1:1/metasync",
    "REDIS_URL": "redis://127.0.0.1:1/0",
    "CELERY_BROKER_URL": "redis://127.0.0.1:1/0",
}


def _run(command: list[str], **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *command],
        cwd=REPO,
        env={**os.environ, **NO_SERVERS, **env},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    "command",
    [
        ["-m", "metasync.cli", "status"],
        ["-m", "celery", "-A", "metasync", "worker"],
        ["-m", "celery", "-A", "metasync", "beat"],
        ["-m", "celery", "-A", "metasync", "inspect", "ping"],
        ["-m", "celery", "-A", "metasync", "call", "sync_connection", "--args", '["x"]'],
        ["-c", "import celeryconfig"],
        ["-c", "import webhooks.wsgi"],
        ["-m", "flask", "--app", "webhooks.app", "routes"],
    ],
    ids=" ".join,
)
def test_every_program_stops_with_one_line_and_exit_2(command):
    proc = _run(command, LOG_LEVEL="LOUD")
    assert (proc.returncode, proc.stderr) == (2, f"error: {LOUD}\n")


def test_a_secret_is_not_echoed_by_a_program_either():
    proc = _run(["-c", "import celeryconfig"], META_APP_SECRET="not one word")
    assert proc.returncode == 2
    assert proc.stderr == "error: META_APP_SECRET must not contain spaces or control characters\n"


def test_gunicorn_stops_instead_of_restarting_its_worker():
    # A worker cannot choose gunicorn's exit status: 4 is gunicorn's own "App failed to load", which stops the master.
    proc = _run(["-m", "gunicorn", "--bind", "127.0.0.1:0", "--workers", "1", "webhooks.wsgi:app"], LOG_LEVEL="LOUD")
    assert proc.returncode == 4, proc.stderr
    assert proc.stderr.count(f"error: {LOUD}\n") == 1 and "Traceback" not in proc.stderr
