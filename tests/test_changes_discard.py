"""Discarding a change set: waiting and failed changes become REJECTED with who did it; in-flight ones stay."""

from __future__ import annotations

import pytest

from metasync.changes.discard import discard_change_set
from metasync.connections.registry import upsert_connection
from metasync.store.changes import Change
from tests.helpers import TOKEN

pytestmark = pytest.mark.services


def test_discard_rejects_what_is_not_being_sent_and_records_who(shared_db):
    connection, _ = upsert_connection("t", "act_1", TOKEN)
    statuses = ("REQUESTED", "DEFERRED", "FAILED", "APPLYING", "APPLIED")
    for status in statuses:
        Change(tenant_id="t", connection=connection.id, change_set_id="cs-1", status=status).save()
    Change(tenant_id="other", connection=connection.id, change_set_id="cs-1", status="REQUESTED").save()

    assert discard_change_set("cs-1", "t", "apikey:msk_abcdefgh") == 3

    after = {c.history[-1]["reason"] if c.history else c.status: c.status for c in Change.objects(tenant_id="t")}
    assert after == {
        "discarded by apikey:msk_abcdefgh (was REQUESTED)": "REJECTED",
        "discarded by apikey:msk_abcdefgh (was DEFERRED)": "REJECTED",
        "discarded by apikey:msk_abcdefgh (was FAILED)": "REJECTED",
        "APPLYING": "APPLYING",
        "APPLIED": "APPLIED",
    }
    assert Change.objects(tenant_id="other").first().status == "REQUESTED"
