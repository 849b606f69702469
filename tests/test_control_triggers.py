"""Runs started on request: recorded QUEUED with their ids, adopted by the task, refused when they cannot run."""

from __future__ import annotations

import pytest
import responses

from metasync.control.triggers import TriggerRefused, enqueue_run
from metasync.infra.locks import connection_lock
from metasync.store.documents import SyncRun
from tasks.sync import sync_connection
from tests.graph_fakes import FakeAccount, campaign

pytestmark = pytest.mark.services


@pytest.fixture
def sent():
    messages: list[tuple[str, list, dict, str]] = []
    return messages


def sender(messages):
    return lambda name, args, kwargs, task_id: messages.append((name, args, kwargs, task_id))


def test_an_entity_sync_is_queued_then_adopted_by_its_task(connection, sent):
    queued = enqueue_run(connection, "entities", "apikey:msk_abc", send=sender(sent))

    [(name, args, kwargs, task_id)] = sent
    assert (name, args, task_id) == ("sync_connection", [str(connection.id)], queued.task_id)
    assert kwargs == {"full": False, "run_id": queued.run_id}
    run = SyncRun.objects.get(id=queued.run_id)
    assert (run.status, run.kind, run.trigger, run.requested_by) == ("QUEUED", "ENTITIES", "api", "apikey:msk_abc")

    with responses.RequestsMock(assert_all_requests_are_fired=False) as graph:
        FakeAccount(graph).edges["campaigns"] = [campaign("1")]
        sync_connection.apply(args=args, kwargs=kwargs, task_id=task_id).get()

    [run] = SyncRun.objects(connection=connection.id, kind="ENTITIES")
    assert str(run.id) == queued.run_id
    assert (run.status, run.trigger, run.requested_by) == ("SUCCESS", "api", "apikey:msk_abc")
    assert run.counts["campaigns_synced"] == 1


def test_a_queued_run_whose_task_is_skipped_is_closed_with_the_reason(connection, sent):
    queued = enqueue_run(connection, "entities", "apikey:msk_abc", send=sender(sent))
    _, args, kwargs, _ = sent[0]

    with connection_lock(str(connection.id)):
        assert sync_connection.apply(args=args, kwargs=kwargs).get()["skipped"] == "locked"

    run = SyncRun.objects.get(id=queued.run_id)
    assert run.status == "SKIPPED" and run.errors == ["skipped: locked"]


def test_a_retried_task_records_a_new_run_not_over_the_failed_one(connection, sent):
    queued = enqueue_run(connection, "entities", "apikey:msk_abc", send=sender(sent))
    SyncRun.objects(id=queued.run_id).update_one(set__status="FAILED")
    _, args, kwargs, _ = sent[0]

    with responses.RequestsMock(assert_all_requests_are_fired=False) as graph:
        FakeAccount(graph)
        sync_connection.apply(args=args, kwargs=kwargs).get()

    assert SyncRun.objects.get(id=queued.run_id).status == "FAILED"
    assert SyncRun.objects(connection=connection.id, status="SUCCESS").count() == 1


@pytest.mark.parametrize(
    "kind, options, message",
    [
        ("everything", {}, "kind must be one of"),
        ("performance", {"date_preset": "last_century"}, "preset"),
        ("performance", {"since": "2026-02-10", "until": "2026-02-01"}, "since"),
        ("report", {"report": "no_such_report"}, "no report named"),
        ("changes", {"change_set_id": "cs-nothere"}, "no change set"),
        ("entities", {"report": "age_gender"}, "entities runs take full"),
    ],
)
def test_bad_requests_are_refused_and_nothing_is_queued(connection, sent, kind, options, message):
    with pytest.raises(TriggerRefused, match=message):
        enqueue_run(connection, kind, "apikey:msk_abc", send=sender(sent), **options)
    assert not sent and SyncRun.objects.count() == 0


def test_a_connection_that_may_not_sync_is_refused(connection, sent):
    connection.mark("EXPIRED", "token expired")
    with pytest.raises(TriggerRefused, match="is EXPIRED"):
        enqueue_run(connection, "entities", "apikey:msk_abc", send=sender(sent))
    assert not sent and SyncRun.objects.count() == 0


def test_a_report_pull_and_a_performance_sync_carry_their_dates(connection, sent):
    enqueue_run(connection, "report", "k", send=sender(sent), report="age_gender", date_preset="yesterday")
    enqueue_run(connection, "performance", "k", send=sender(sent), since="2026-02-01", until="2026-02-03")

    (r_name, r_args, r_kwargs, _), (p_name, p_args, p_kwargs, _) = sent
    assert (r_name, r_args[1], r_kwargs["date_preset"]) == ("pull_report", "age_gender", "yesterday")
    assert (p_name, p_kwargs["since"], p_kwargs["until"]) == ("sync_performance", "2026-02-01", "2026-02-03")
    assert {run.kind for run in SyncRun.objects} == {"REPORT", "PERFORMANCE"}


def test_a_broker_failure_leaves_no_run_waiting(connection):
    def broken(*_args):
        raise ConnectionError("broker down")

    with pytest.raises(ConnectionError):
        enqueue_run(connection, "entities", "k", send=broken)
    [run] = SyncRun.objects
    assert run.status == "SKIPPED" and "not enqueued" in run.errors[0]
