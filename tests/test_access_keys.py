"""API keys: stored hashed, checked by one read, tenant-scoped, revocable."""

from __future__ import annotations

import hashlib

import pytest

from metasync.access.keys import ApiKeyError, authenticate, create_key, list_keys, revoke_key
from metasync.store.apikeys import ApiKey

pytestmark = pytest.mark.services


def test_a_created_key_authenticates_as_its_tenant_and_scope(mongo):
    raw, doc = create_key("tenant-a", scope="write", label="optimiser")

    principal = authenticate(raw)
    assert (principal.tenant_id, principal.scope, principal.key_id) == ("tenant-a", "write", raw[:12])
    assert principal.sees("tenant-a") and not principal.sees("tenant-b") and principal.can_write


def test_only_the_hash_is_stored(mongo):
    raw, _ = create_key("tenant-a")

    [stored] = list(mongo.api_keys.find())
    assert stored["_id"] == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in str(stored)


def test_an_admin_key_sees_every_tenant_and_a_read_key_cannot_write(mongo):
    raw, _ = create_key(None, admin=True)
    admin = authenticate(raw)
    assert admin.is_admin and admin.sees("tenant-a") and admin.sees("tenant-b") and not admin.can_write


@pytest.mark.parametrize("raw", [None, "", "msk_short", "Bearer msk_x", "msk_" + "a" * 43, "x" * 47])
def test_malformed_or_unknown_keys_do_not_authenticate(mongo, raw):
    create_key("tenant-a")
    assert authenticate(raw) is None


def test_a_revoked_key_stops_working_at_once(mongo):
    raw, doc = create_key("tenant-a")
    revoke_key(doc.key_id)
    revoke_key(doc.key_id)  # again: harmless

    assert authenticate(raw) is None
    assert ApiKey.objects.get(id=doc.id).revoked_at is not None


@pytest.mark.parametrize(
    "tenant, admin, scope, message",
    [
        (None, False, "read", "either a tenant's"),
        ("tenant-a", True, "read", "either a tenant's"),
        ("tenant-a", False, "admin", "scope must be one of"),
        ("  ", False, "read", "must not be empty"),
    ],
)
def test_bad_key_requests_are_refused_and_write_nothing(mongo, tenant, admin, scope, message):
    with pytest.raises(ApiKeyError, match=message):
        create_key(tenant, scope=scope, admin=admin)
    assert ApiKey.objects.count() == 0


def test_listing_one_tenant_shows_only_its_keys(mongo):
    create_key("tenant-a")
    create_key("tenant-b")
    create_key(None, admin=True)

    assert [k.tenant_id for k in list_keys("tenant-a")] == ["tenant-a"]
    assert len(list_keys()) == 3
    with pytest.raises(ApiKeyError, match="no API key"):
        revoke_key("msk_nothere")
