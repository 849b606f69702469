"""Access tokens are encrypted at rest with Fernet (`TOKEN_ENCRYPTION_KEY`)."""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken

from metasync.settings import ConfigError, get_settings


class TokenUnreadable(ConfigError):
    """A stored token cannot be decrypted with the configured key: that connection cannot sync, the others can."""


def _fernet() -> Fernet:
    key = get_settings().token_encryption_key
    if not key:
        raise ConfigError("TOKEN_ENCRYPTION_KEY is not set (generate one with `metasync keygen`)")
    try:
        return Fernet(key.encode())
    except (ValueError, TypeError):
        raise ConfigError("TOKEN_ENCRYPTION_KEY must be a Fernet key: 32 url-safe base64-encoded bytes") from None


def encrypt_token(token: str) -> str:
    return _fernet().encrypt(token.encode()).decode()


def decrypt_token(ciphertext: str) -> str:
    try:
        return _fernet().decrypt(ciphertext.encode()).decode()
    except InvalidToken:
        raise TokenUnreadable(
            "the stored access token cannot be decrypted with TOKEN_ENCRYPTION_KEY (was the key changed?)"
        ) from None


def generate_key() -> str:
    return Fernet.generate_key().decode()
