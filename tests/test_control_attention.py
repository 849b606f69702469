"""Changes needing attention and paused accounts, each kept to the tenant asking."""

from __future__ import annotations

import pytest

from metasync.connections.registry import upsert_connection
from metasync.control.attention import changes_needing_attention, paused_accounts, status_counts
from metasync.graph.ratelimit import RateLimiter
from metasync.store.changes import Change
from tests.helpers import TOKEN

pytestmark = pytest.mark.services


def test_only_the_tenant_s_paused_accounts_are_listed(shared_db, redis_client):
    mine, _ = upsert_connection("t", "act_1", TOKEN)
    limiter = RateLimiter(100, client=redis_client)
    limiter.pause_account("act_1", 60, "usage 95%")
    limiter.pause_account("act_9", 60, "another tenant's")
    paused = paused_accounts([mine], limiter)
    assert list(paused) == ["act_1"] and 0 < paused["act_1"] <= 60


def test_changes_are_grouped_by_set_and_final_successes_left_out(shared_db):
    connection, _ = upsert_connection("t", "act_1", TOKEN)
    for set_id, status in (("cs-1", "REQUESTED"), ("cs-1", "FAILED"), ("cs-2", "APPLIED"), ("cs-3", "CONFLICT")):
        Change(tenant_id="t", connection=connection.id, change_set_id=set_id, status=status).save()
    Change(tenant_id="other", connection=connection.id, change_set_id="cs-x", status="REQUESTED").save()

    views = changes_needing_attention("t")
    assert sorted(v.change_set_id for v in views) == ["cs-1", "cs-3"]
    assert {v.change_set_id: v.can_apply for v in views} == {"cs-1": True, "cs-3": False}
    counts = status_counts(views)
    assert (counts["REQUESTED"], counts["FAILED"], counts["CONFLICT"], counts["DEFERRED"]) == (1, 1, 1, 0)
