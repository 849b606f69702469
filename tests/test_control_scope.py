"""What a key may see: its own tenant's data, an admin's every tenant's; a tenant key never names another tenant."""

from __future__ import annotations

import pytest

from metasync.access.keys import Principal
from metasync.control.scope import NotFound, Refused, list_query, own, tenant_for_write, tenant_query

TENANT_KEY = Principal("msk_tenantaa", "tenant-a", "write")
ADMIN_KEY = Principal("msk_adminkey", None, "read")


@pytest.mark.parametrize(
    "who, asked, query",
    [
        (TENANT_KEY, None, {"tenant_id": "tenant-a"}),
        (TENANT_KEY, "tenant-a", {"tenant_id": "tenant-a"}),
        (TENANT_KEY, "tenant-b", None),
        (ADMIN_KEY, None, {}),
        (ADMIN_KEY, "tenant-b", {"tenant_id": "tenant-b"}),
    ],
)
def test_a_list_is_filtered_to_the_tenants_the_key_sees(who, asked, query):
    assert tenant_query(who, asked) == query


def test_a_malformed_connection_filter_matches_nothing_and_empty_filters_are_left_out():
    assert list_query(TENANT_KEY, connection_id="not-an-id") is None
    assert list_query(TENANT_KEY, status="", kind="ENTITIES") == {"tenant_id": "tenant-a", "kind": "ENTITIES"}


def test_another_tenants_thing_is_not_found():
    own(TENANT_KEY, "tenant-a", "run")
    own(ADMIN_KEY, "tenant-b", "run")
    with pytest.raises(NotFound, match="no run"):
        own(TENANT_KEY, "tenant-b", "run")


@pytest.mark.parametrize(
    "who, named, tenant",
    [(TENANT_KEY, None, "tenant-a"), (TENANT_KEY, "tenant-a", "tenant-a"), (ADMIN_KEY, " tenant-b ", "tenant-b")],
)
def test_new_things_belong_to_the_keys_tenant_or_the_one_an_admin_names(who, named, tenant):
    assert tenant_for_write(who, named) == tenant


@pytest.mark.parametrize("who, named", [(TENANT_KEY, "tenant-b"), (ADMIN_KEY, None), (ADMIN_KEY, "  ")])
def test_a_tenant_key_naming_another_tenant_or_an_admin_naming_none_is_refused(who, named):
    with pytest.raises(Refused):
        tenant_for_write(who, named)
