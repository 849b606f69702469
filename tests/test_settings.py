"""Configuration: defaults, parsing, and one clear message naming a bad variable."""

from __future__ import annotations

import pytest

from metasync.settings import ConfigError, load_settings


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


@pytest.mark.parametrize("name,value", [
    ("META_RATE_LIMIT_PER_HOUR", "lots"),
    ("META_RATE_LIMIT_PER_HOUR", "0"),
    ("META_SYNC_INTERVAL_MINUTES", "1.5"),
    ("META_API_VERSION", "25"),
    ("MONGODB_URI", "localhost:27017"),
    ("REDIS_URL", "http://localhost"),
    ("META_GRAPH_URL", "graph.facebook.com"),
    ("LOG_FORMAT", "xml"),
])
def test_malformed_setting_names_the_variable(name, value):
    with pytest.raises(ConfigError) as info:
        load_settings({name: value})
    assert name in str(info.value)


def test_describe_never_shows_secrets():
    settings = load_settings({"META_APP_SECRET": "s3cr3t-value", "TOKEN_ENCRYPTION_KEY": "k3y-value",
                              "META_APP_VERIFY_TOKEN": "v3rify"})
    shown = str(settings.describe())
    assert "s3cr3t-value" not in shown and "k3y-value" not in shown and "v3rify" not in shown
    assert settings.describe()["META_APP_SECRET"] == "(set)"
    assert "s3cr3t-value" not in repr(settings) and "k3y-value" not in repr(settings)


def test_trailing_slash_on_graph_url_is_ignored():
    assert load_settings({"META_GRAPH_URL": "http://127.0.0.1:8765/"}).graph_base() == "http://127.0.0.1:8765/v25.0"


def test_describe_masks_passwords_inside_urls():
    settings = load_settings({"MONGODB_URI": "mongodb://app:hunter2@db.internal:27017/metasync",
                              "REDIS_URL": "redis://:r3dispass@cache:6379/0"})
    shown = settings.describe()
    assert shown["MONGODB_URI"] == "mongodb://app:***@db.internal:27017/metasync"
    assert "r3dispass" not in str(shown)
