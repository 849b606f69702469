"""Access tokens encrypted at rest: a round trip with the session's key, and one clear line when the key is wrong."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from metasync.infra.crypto import decrypt_token, encrypt_token, generate_key
from metasync.settings import ConfigError
from tests.helpers import TOKEN


def test_a_token_is_stored_encrypted_and_read_back_unchanged():
    stored = encrypt_token(TOKEN)
    assert TOKEN not in stored and decrypt_token(stored) == TOKEN
    assert encrypt_token(TOKEN) != stored  # a fresh nonce each time


def test_a_token_encrypted_with_another_key_says_the_key_changed(settings_env):
    stored = encrypt_token(TOKEN)
    settings_env(TOKEN_ENCRYPTION_KEY=generate_key())
    with pytest.raises(ConfigError, match="was the key changed"):
        decrypt_token(stored)


@pytest.mark.parametrize("key, message", [("", "is not set"), ("not-a-fernet-key", "must be a Fernet key")])
def test_a_missing_or_malformed_key_is_a_configuration_error(settings_env, key, message):
    settings_env(TOKEN_ENCRYPTION_KEY=key)
    with pytest.raises(ConfigError, match=message):
        encrypt_token(TOKEN)


def test_generated_keys_are_usable_and_new_each_time():
    first, second = generate_key(), generate_key()
    assert first != second and Fernet(first.encode()).decrypt(Fernet(first.encode()).encrypt(b"x")) == b"x"
