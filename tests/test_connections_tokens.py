"""Token renewal: tokens nearing expiry are exchanged before a sync and by the daily round; a token Meta refuses
or that has expired marks its connection EXPIRED with the tenant named."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone

import pytest
import responses

from metasync.connections.registry import upsert_connection
from metasync.connections.tokens import token_needs_refresh
from metasync.entities.sync import sync_meta_connection
from metasync.infra.clock import as_utc, utcnow
from metasync.runs.lifecycle import SyncFailed
from metasync.store.documents import MetaConnection
from tasks.maintenance import refresh_tokens
from tests.graph_fakes import GRAPH, FakeAccount, error_body, query_of


@pytest.mark.parametrize(
    "expires_in_days, window_days, due",
    [
        (2, 7, True),
        (6.9, 7, True),
        (7.1, 7, False),
        (-1, 7, True),
        (None, 7, False),
        (30, 0, False),
    ],
)
def test_a_token_is_due_for_renewal_within_the_window(expires_in_days, window_days, due):
    expires = None if expires_in_days is None else utcnow() + timedelta(days=expires_in_days)
    assert token_needs_refresh(MetaConnection(token_expires_at=expires), window_days) is due


def _connection(tenant: str, account: str, token: str, expires_in_days: float | None):
    expires = utcnow() + timedelta(days=expires_in_days) if expires_in_days is not None else None
    connection, _ = upsert_connection(tenant, account, token, expires_at=expires)
    return connection


def _exchange(graph, answers: dict[str, tuple[int, dict]]):
    """oauth/access_token answering per `fb_exchange_token`; returns the tokens asked about."""
    asked: list[str] = []

    def callback(request):
        import json

        query = query_of(request)
        assert query["grant_type"] == "fb_exchange_token"
        asked.append(query["fb_exchange_token"])
        status, body = answers[query["fb_exchange_token"]]
        return status, {}, json.dumps(body)

    graph.add_callback("GET", f"{GRAPH}/oauth/access_token", callback=callback)
    return asked


@pytest.mark.services
def test_tokens_nearing_expiry_are_exchanged_and_others_left_alone(mongo, redis_client):
    soon = _connection("t-soon", "act_1", "EAAsoon", 2)
    later = _connection("t-later", "act_2", "EAAlater", 30)
    forever = _connection("t-forever", "act_3", "EAAforever", None)
    with responses.RequestsMock() as graph:
        asked = _exchange(
            graph, {"EAAsoon": (200, {"access_token": "EAAfresh", "token_type": "bearer", "expires_in": 5183944})}
        )
        summary = refresh_tokens.apply().get()

    assert asked == ["EAAsoon"]
    assert summary == {"due": 1, "refreshed": 1, "expired": 0, "failed": 0, "reauthenticate": []}
    renewed = MetaConnection.objects.get(id=soon.id)
    assert renewed.access_token == "EAAfresh" and renewed.status == "ACTIVE"
    assert as_utc(renewed.token_expires_at) > utcnow() + timedelta(days=59)
    assert MetaConnection.objects.get(id=later.id).access_token == "EAAlater"
    assert MetaConnection.objects.get(id=forever.id).access_token == "EAAforever"


@pytest.mark.services
def test_refused_token_marks_connection_expired_and_names_the_tenant(mongo, redis_client, caplog):
    refused = _connection("t-refused", "act_1", "EAArefused", 1)
    with responses.RequestsMock() as graph:
        _exchange(graph, {"EAArefused": (400, error_body(190, "Error validating access token", 460))})
        with caplog.at_level(logging.INFO):
            summary = refresh_tokens.apply().get()

    assert summary["expired"] == 1 and summary["reauthenticate"] == ["t-refused"]
    assert MetaConnection.objects.get(id=refused.id).status == "EXPIRED"
    expired_events = [r for r in caplog.records if getattr(r, "event", "") == "token_expired"]
    assert [(r.tenant_id, r.ad_account_id) for r in expired_events] == [("t-refused", "act_1")]
    assert any(
        getattr(r, "event", "") == "reauthentication_needed" and r.tenants == ["t-refused"] for r in caplog.records
    )
    assert all("EAArefused" not in r.getMessage() for r in caplog.records)


@pytest.mark.services
def test_token_already_expired_is_marked_without_calling_meta(mongo, redis_client):
    gone = _connection("t-gone", "act_1", "EAAgone", -1)
    with responses.RequestsMock() as graph:
        summary = refresh_tokens.apply().get()
        assert len(graph.calls) == 0

    assert summary["expired"] == 1 and summary["reauthenticate"] == ["t-gone"]
    assert MetaConnection.objects.get(id=gone.id).status == "EXPIRED"


@pytest.mark.services
def test_meta_outage_leaves_the_connection_for_the_next_run(mongo, redis_client):
    flaky = _connection("t-flaky", "act_1", "EAAflaky", 3)
    with responses.RequestsMock() as graph:
        _exchange(graph, {"EAAflaky": (503, error_body(2, "Service unavailable"))})
        summary = refresh_tokens.apply().get()

    assert summary["failed"] == 1 and summary["expired"] == 0 and summary["reauthenticate"] == []
    reloaded = MetaConnection.objects.get(id=flaky.id)
    assert reloaded.status == "ACTIVE" and reloaded.access_token == "EAAflaky"


@pytest.mark.services
def test_expired_and_disabled_connections_are_not_exchanged(mongo, redis_client):
    _connection("t-expired", "act_1", "EAAexpired", 2).mark("EXPIRED", "token expired")
    _connection("t-disabled", "act_2", "EAAdisabled", 2).mark("DISABLED")
    with responses.RequestsMock() as graph:
        summary = refresh_tokens.apply().get()
        assert len(graph.calls) == 0

    assert summary["due"] == 0 and summary["reauthenticate"] == ["t-expired"]


@pytest.mark.services
def test_token_near_expiry_is_exchanged_before_sync(mongo, redis_client, graph):
    soon = datetime.now(timezone.utc) + timedelta(days=2)
    conn, _ = upsert_connection("tenant-a", "act_123", "EAAold", expires_at=soon)
    graph.add(
        "GET",
        f"{GRAPH}/oauth/access_token",
        json={"access_token": "EAAnew", "token_type": "bearer", "expires_in": 5183944},
    )
    fake = FakeAccount(graph)

    sync_meta_connection(conn)

    reloaded = MetaConnection.objects.get(id=conn.id)
    assert reloaded.access_token == "EAAnew"
    assert reloaded.token_expires_at > datetime.now() + timedelta(days=50)
    assert "EAAnew" not in reloaded.access_token_encrypted
    edge_call = next(c for c in graph.calls if "/act_123/campaigns" in c.request.url)
    assert "access_token=EAAnew" in edge_call.request.url
    assert fake.calls["campaigns"] == 1


@pytest.mark.services
def test_expired_token_is_not_exchanged_and_marks_connection(mongo, redis_client, graph):
    past = datetime.now(timezone.utc) - timedelta(hours=1)
    conn, _ = upsert_connection("tenant-a", "act_123", "EAAold", expires_at=past)

    with pytest.raises(SyncFailed):
        sync_meta_connection(conn)

    assert MetaConnection.objects.get(id=conn.id).status == "EXPIRED"
    assert len(graph.calls) == 0
