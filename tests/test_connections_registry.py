"""Webhook routing reads the connections of an ad account from its route document, kept as connections change."""

from __future__ import annotations

import pytest

from metasync.connections.registry import remove_connection, routable_connection_ids, upsert_connection
from metasync.store.documents import AccountRoute, MetaConnection

pytestmark = pytest.mark.services


def test_every_syncable_connection_of_the_account_is_routed_in_tenant_order(mongo):
    b, _ = upsert_connection("tenant-b", "act_123", "EAAb")
    a, _ = upsert_connection("tenant-a", "act_123", "EAAa")
    expired, _ = upsert_connection("tenant-c", "act_123", "EAAc")
    expired.mark("EXPIRED", "token expired")
    upsert_connection("tenant-d", "act_456", "EAAd")

    assert routable_connection_ids("act_123") == [str(a.id), str(b.id)]
    assert routable_connection_ids("act_999") == []


def test_a_removed_connection_is_no_longer_routed(mongo):
    a, _ = upsert_connection("tenant-a", "act_123", "EAAa")
    b, _ = upsert_connection("tenant-b", "act_123", "EAAb")
    remove_connection(a)

    assert routable_connection_ids("act_123") == [str(b.id)]
    assert AccountRoute.objects.get(id="act_123").connections == [b.id]


def test_connections_saved_before_routes_existed_are_routed_and_their_route_is_written(mongo):
    legacy, _ = upsert_connection("tenant-a", "act_123", "EAAa")
    AccountRoute.objects.delete()  # as a database from before routes were kept

    assert routable_connection_ids("act_123") == [str(legacy.id)]
    assert AccountRoute.objects.get(id="act_123").connections == [legacy.id]
    # the next connection of that account keeps the legacy one in the route
    AccountRoute.objects.delete()
    newer, _ = upsert_connection("tenant-b", "act_123", "EAAb")
    assert sorted(AccountRoute.objects.get(id="act_123").connections) == sorted([legacy.id, newer.id])
    assert MetaConnection.objects.count() == 2
