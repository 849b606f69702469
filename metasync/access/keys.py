"""Creating, checking, listing and revoking API keys.

A key is `msk_` and 43 random URL-safe characters (256 bits). Only its SHA-256 is stored, as the document's `_id`, so
checking a key is one read by `_id`; a plain hash is enough for keys this long (no dictionary to guess from). The
first 12 characters (`key_id`) name a key in lists, logs and audit entries without revealing it.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from metasync.infra.clock import as_utc, utcnow
from metasync.store.apikeys import SCOPES, ApiKey

PREFIX = "msk_"
KEY_ID_LENGTH = 12
_KEY_SHAPE = re.compile(r"^msk_[A-Za-z0-9_-]{43}$")
# `last_used_at` is written at most this often per key, so a busy client does not turn every read into a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class ApiKeyError(ValueError):
    """A key request that cannot be done, with a one-line reason."""


@dataclass(frozen=True)
class Principal:
    """Who a valid key speaks for."""

    key_id: str
    tenant_id: str | None  # None: admin, every tenant
    scope: str

    @property
    def is_admin(self) -> bool:
        return self.tenant_id is None

    @property
    def can_write(self) -> bool:
        return self.scope == "write"

    def sees(self, tenant_id: str | None) -> bool:
        """Whether this key may read (or, with `can_write`, change) the data of `tenant_id`."""
        return self.is_admin or (tenant_id is not None and tenant_id == self.tenant_id)

    @property
    def who(self) -> str:
        """How audit entries name the key's holder."""
        return f"apikey:{self.key_id}"


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def create_key(tenant_id: str | None, scope: str = "read", label: str = "", admin: bool = False) -> tuple[str, ApiKey]:
    """A new key: returns the key itself (to show once) and its stored document."""
    if scope not in SCOPES:
        raise ApiKeyError(f"scope must be one of {', '.join(SCOPES)}, got {scope!r}")
    if admin == bool(tenant_id):
        raise ApiKeyError("a key is either a tenant's (--tenant T) or an admin key (--admin), not both or neither")
    if tenant_id is not None and not tenant_id.strip():
        raise ApiKeyError("the tenant must not be empty")
    raw = PREFIX + secrets.token_urlsafe(32)
    doc = ApiKey(
        id=_digest(raw),
        key_id=raw[:KEY_ID_LENGTH],
        tenant_id=tenant_id.strip() if tenant_id else None,
        scope=scope,
        label=label[:200],
        created_at=utcnow(),
    )
    doc.save(force_insert=True)
    return raw, doc


def authenticate(raw: str | None) -> Principal | None:
    """The principal of a valid, unrevoked key; None for anything else (malformed, unknown, revoked)."""
    if not raw or not _KEY_SHAPE.match(raw):
        return None
    digest = _digest(raw)
    doc = ApiKey.objects(id=digest).first()
    if doc is None or doc.revoked_at is not None or not hmac.compare_digest(doc.id, digest):
        return None
    now = utcnow()
    if doc.last_used_at is None or now - as_utc(doc.last_used_at) >= LAST_USED_RESOLUTION:
        ApiKey.objects(id=digest).update_one(set__last_used_at=now)
    return _principal_of(doc)


def _principal_of(doc: ApiKey) -> Principal:
    return Principal(key_id=doc.key_id, tenant_id=doc.tenant_id, scope=doc.scope)


def key_digest(raw: str) -> str:
    """The stored `_id` of a key: what a session keeps instead of the key itself."""
    return _digest(raw)


def principal_by_digest(digest: str) -> Principal | None:
    """The principal of the unrevoked key with this digest (a session re-checking its key); None otherwise."""
    doc = ApiKey.objects(id=digest).first() if digest else None
    if doc is None or doc.revoked_at is not None:
        return None
    return _principal_of(doc)


def list_keys(tenant_id: str | None = None) -> list[ApiKey]:
    """Every key (of one tenant when given), oldest first; admin keys only when no tenant is given."""
    query = ApiKey.objects(tenant_id=tenant_id) if tenant_id else ApiKey.objects()
    return sorted(query, key=lambda k: k.created_at)


def revoke_key(key_id: str) -> ApiKey:
    """Revoke the key named by its `key_id` (its first 12 characters); revoking twice is harmless."""
    matches = list(ApiKey.objects(key_id=key_id))
    if not matches:
        raise ApiKeyError(f"no API key {key_id!r} (give the key id `metasync apikeys list` shows)")
    if len(matches) > 1:
        raise ApiKeyError(f"several keys start with {key_id!r}; revoke them from the database by `_id`")
    doc = matches[0]
    if doc.revoked_at is None:
        doc.revoked_at = utcnow()
        doc.save()
    return doc
