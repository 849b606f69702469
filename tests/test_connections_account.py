"""The ad account itself: stored with every entity sync (status with its meaning, money in minor units), and an
account Meta reports disabled or unsettled stops its syncs politely until Meta reports it active again."""

from __future__ import annotations

import json

import pytest
import requests

from metasync.connections.account import stored_account
from metasync.connections.registry import select_connections, upsert_connection
from metasync.entities.sync import sync_meta_connection
from metasync.ops.accounts import recheck_inactive_accounts
from metasync.ops.doctor import WARN, check_connections
from metasync.ops.fanout import fan_out
from metasync.runs.guard import ConnectionInactive, guarded_job
from metasync.runs.lifecycle import SyncFailed
from metasync.settings import get_settings
from metasync.store.accounts import AdAccountInactive, account_status_name, disable_reason_name
from metasync.store.documents import Campaign, MetaConnection, SyncRun
from tests.helpers import TOKEN
from tests.simulator_helpers import ACT, graph_server_fixture, metasync_world, sim_mutate

pytestmark = pytest.mark.services

WORLD = metasync_world(campaigns=2, ad_sets_per_campaign=1, ads_per_ad_set=2, days=3)
sim = graph_server_fixture(WORLD)


@pytest.fixture
def sim_connection(sim):
    connection, _ = upsert_connection("t1", ACT, TOKEN, user_id="42")
    return connection


def set_account_status(sim, status: int, reason: int = 0) -> None:
    sim_mutate(sim, action="set_account_status", id=ACT, account_status=status, disable_reason=reason)


def graph_calls(sim) -> int:
    return requests.get(sim.url("/__sim/calls"), timeout=5).json()["total"]


@pytest.mark.parametrize(
    ("code", "name"),
    [
        (1, "ACTIVE"),
        (2, "DISABLED"),
        (3, "UNSETTLED"),
        (7, "PENDING_RISK_REVIEW"),
        (9, "IN_GRACE_PERIOD"),
        (101, "CLOSED"),
    ],
)
def test_account_status_codes_have_their_meta_names(code, name):
    assert account_status_name(code) == name


def test_unknown_codes_are_named_as_unknown_not_guessed():
    assert account_status_name(55) == "UNKNOWN_55" and account_status_name(None) == "UNKNOWN"
    assert disable_reason_name(3) == "RISK_PAYMENT" and disable_reason_name(99) == "UNKNOWN_99"


def test_every_entity_sync_stores_the_account_with_exact_money(sim, sim_connection):
    sync_meta_connection(sim_connection, full=True)

    account = stored_account(sim_connection)
    assert account.id == f"t1:{ACT}" and account.connection == sim_connection.id
    assert (account.account_status, account.status, account.disable_reason) == (1, "ACTIVE", 0)
    assert (account.amount_spent, account.balance, account.spend_cap, account.min_daily_budget) == (
        2500000,
        4217,
        0,
        100,
    )
    assert (account.currency, account.timezone_name) == ("USD", "America/Los_Angeles")
    assert account.business_name == "Simulated Business" and account.business_id
    assert isinstance(account.timezone_offset_hours_utc, float) and account.created_time is not None

    set_account_status(sim, 9)  # grace period: still delivering, still synced
    sync_meta_connection(MetaConnection.objects.get(id=sim_connection.id))
    assert stored_account(sim_connection).status == "IN_GRACE_PERIOD"


@pytest.mark.parametrize(("code", "reason", "shown"), [(2, 3, "DISABLED"), (3, 0, "UNSETTLED")])
def test_a_stopped_account_stops_its_sync_before_any_edge_and_marks_the_connection(
    sim, sim_connection, code, reason, shown
):
    set_account_status(sim, code, reason)
    before = graph_calls(sim)

    with pytest.raises(SyncFailed) as failure:
        sync_meta_connection(sim_connection, full=True)

    assert graph_calls(sim) - before == 1  # the account node only: no edge read, no retry
    assert isinstance(failure.value.__cause__, AdAccountInactive) and shown in str(failure.value)
    connection = MetaConnection.objects.get(id=sim_connection.id)
    assert connection.status == "ACCOUNT_INACTIVE" and shown in connection.last_error
    assert not connection.may_sync and Campaign.objects(tenant_id="t1").count() == 0
    assert SyncRun.objects(connection=connection.id).first().status == "FAILED"
    assert stored_account(connection).status == shown
    if reason:
        assert "RISK_PAYMENT" in connection.last_error


class FakeTask:
    name = "sync_connection"

    def __init__(self):
        self.sent: list[str] = []

    def apply_async(self, args, kwargs, countdown, expires):
        self.sent.append(args[0])


class NoLimits:
    def paused_for(self, account_id):
        return 0.0


def test_fan_out_and_the_guard_skip_a_stopped_account_until_a_recheck_finds_it_active(sim, sim_connection):
    set_account_status(sim, 2, 1)
    with pytest.raises(SyncFailed):
        sync_meta_connection(sim_connection)
    stopped = MetaConnection.objects.get(id=sim_connection.id)

    task = FakeTask()
    summary = fan_out(task, 3600, limiter=NoLimits(), max_spread_seconds=0)
    assert task.sent == [] and summary["skipped"]["account_inactive"] == 1
    with pytest.raises(ConnectionInactive):
        with guarded_job(stopped):
            pass

    assert recheck_inactive_accounts() == {"reactivated": [], "still_inactive": 1, "locked": 0, "failed": 0}
    assert MetaConnection.objects.get(id=sim_connection.id).status == "ACCOUNT_INACTIVE"

    set_account_status(sim, 1)
    assert recheck_inactive_accounts()["reactivated"] == [str(sim_connection.id)]
    resumed = MetaConnection.objects.get(id=sim_connection.id)
    assert resumed.status == "ACTIVE" and resumed.last_error is None
    fan_out(task, 3600, limiter=NoLimits(), max_spread_seconds=0)
    assert task.sent == [str(sim_connection.id)]
    assert sync_meta_connection(resumed)["campaigns_synced"] == 2
    kinds = [run.kind for run in SyncRun.objects(connection=resumed.id).order_by("started_at")]
    assert kinds == ["ENTITIES", "ACCOUNT", "ACCOUNT", "ENTITIES"]


def test_status_and_doctor_show_the_stopped_account_and_why(sim, sim_connection, cli):
    set_account_status(sim, 3)
    cli("sync", "--connection", str(sim_connection.id))

    rows = [json.loads(line) for line in cli("status", "--json").output.splitlines() if line.startswith("{")]
    assert rows[0]["connection_status"] == "ACCOUNT_INACTIVE" and rows[0]["account_status"] == "UNSETTLED"
    table = cli("status").output
    assert "account_inactive" in table and "UNSETTLED" in table

    check = check_connections(get_settings(), select_connections(include_inactive=True))
    assert check.status == WARN and ACT in check.detail and "UNSETTLED" in check.detail
    assert check.data["accounts_inactive"] == [str(sim_connection.id)]


def test_the_sync_task_does_not_retry_a_stopped_account(sim, sim_connection):
    from tasks.sync import sync_connection

    set_account_status(sim, 2)
    result = sync_connection.apply(args=[str(sim_connection.id)]).get()
    assert "DISABLED" in result["failed"]
    again = sync_connection.apply(args=[str(sim_connection.id)]).get()
    assert again["skipped"] == "account_inactive"
