"""Each /api/v1 route's happy path against the real database and Redis, through the web app."""

from __future__ import annotations

import pytest
import responses

from metasync.store.changes import Change, ChangeSet
from metasync.store.documents import MetaConnection, SyncRun
from tasks.sync import sync_connection
from tests.api_helpers import api_fixture
from tests.changes_helpers import budget_adset, objects, simulator_fixture, synced_connection_fixture
from tests.graph_fakes import GRAPH, FakeAccount, campaign
from tests.helpers import TOKEN

pytestmark = pytest.mark.services

api = api_fixture()

NEW_TOKEN = "EAAtest-brand-new-token-three"
sim = simulator_fixture()
conn = synced_connection_fixture()


def test_connections_are_listed_without_any_token(api):
    answer = api.get("/api/v1/connections")

    assert answer.status_code == 200
    [row] = answer.get_json()["items"]
    assert (row["tenant_id"], row["ad_account_id"], row["status"]) == ("tenant-a", "act_123", "ACTIVE")
    assert TOKEN not in answer.get_data(as_text=True) and "token_encrypted" not in answer.get_data(as_text=True)


def test_an_admin_key_lists_every_tenant_or_one(api):
    everyone = api.get("/api/v1/connections", key="admin").get_json()["items"]
    only_b = api.get("/api/v1/connections?tenant=tenant-b", key="admin").get_json()["items"]

    assert [r["tenant_id"] for r in everyone] == ["tenant-a", "tenant-b"]
    assert [r["tenant_id"] for r in only_b] == ["tenant-b"]


def test_adding_a_connection_stores_the_token_encrypted_and_never_echoes_it(api):
    answer = api.post("/api/v1/connections", {"ad_account_id": "789", "token": NEW_TOKEN, "user_id": "42"})

    assert answer.status_code == 201
    body = answer.get_json()
    assert (body["tenant_id"], body["ad_account_id"], body["created"]) == ("tenant-a", "act_789", True)
    assert NEW_TOKEN not in answer.get_data(as_text=True)
    stored = MetaConnection.objects.get(id=body["id"])
    assert stored.access_token == NEW_TOKEN and NEW_TOKEN not in stored.access_token_encrypted


def test_adding_the_same_account_again_replaces_its_token(api):
    answer = api.post("/api/v1/connections", {"ad_account_id": "act_123", "token": NEW_TOKEN})

    assert answer.status_code == 200 and answer.get_json()["created"] is False
    assert MetaConnection.objects.get(id=api.seeded["a"].connection_id).access_token == NEW_TOKEN


def test_one_connection_is_read_by_id(api):
    answer = api.get(f"/api/v1/connections/{api.seeded['a'].connection_id}", key="a-read")

    assert answer.status_code == 200 and answer.get_json()["ad_account_id"] == "act_123"


def test_disabling_stops_syncs_and_reauthenticating_turns_the_connection_on_again(api):
    cid = api.seeded["a"].connection_id

    disabled = api.post(f"/api/v1/connections/{cid}/disable")
    refused = api.post(f"/api/v1/connections/{cid}/entity-sync")
    renewed = api.post(f"/api/v1/connections/{cid}/token", {"token": NEW_TOKEN})

    assert disabled.status_code == 200 and disabled.get_json()["status"] == "DISABLED"
    assert refused.status_code == 422 and "DISABLED" in refused.get_json()["error"]["message"]
    assert renewed.status_code == 200 and renewed.get_json()["status"] == "ACTIVE"
    assert MetaConnection.objects.get(id=cid).access_token == NEW_TOKEN
    assert NEW_TOKEN not in renewed.get_data(as_text=True)


def test_discovery_lists_the_reachable_accounts_and_adds_the_chosen_one(api):
    with responses.RequestsMock() as graph:
        graph.get(f"{GRAPH}/me", json={"id": "77"})
        graph.get(
            f"{GRAPH}/me/adaccounts",
            json={
                "data": [{"id": "act_555", "account_id": "555", "name": "Shop", "currency": "EUR", "account_status": 1}]
            },
        )
        answer = api.post("/api/v1/connections/discover", {"token": NEW_TOKEN, "add": ["act_555"]})

    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    assert [a["ad_account_id"] for a in body["accounts"]] == ["act_555"] and body["meta_user_id"] == "77"
    [added] = body["added"]
    assert (added["tenant_id"], added["ad_account_id"], added["meta_user_id"]) == ("tenant-a", "act_555", "77")
    assert NEW_TOKEN not in answer.get_data(as_text=True)


def test_an_entity_sync_is_accepted_with_ids_and_its_run_then_appears(api):
    cid = api.seeded["a"].connection_id

    answer = api.post(f"/api/v1/connections/{cid}/entity-sync", {"full": True})

    assert answer.status_code == 202
    queued = answer.get_json()
    [(name, args, kwargs, task_id)] = api.sent
    assert (name, task_id, kwargs["run_id"]) == ("sync_connection", queued["task_id"], queued["run_id"])
    live = api.get(f"/api/v1/runs/{queued['run_id']}").get_json()
    assert (
        live["status"] == "QUEUED" and live["live"]["for_seconds"] >= 0 and live["requested_by"].startswith("apikey:")
    )

    with responses.RequestsMock(assert_all_requests_are_fired=False) as graph:
        FakeAccount(graph).edges["campaigns"] = [campaign("1")]
        sync_connection.apply(args=args, kwargs=kwargs, task_id=task_id).get()

    run = api.get(f"/api/v1/runs/{queued['run_id']}").get_json()
    assert (run["status"], run["trigger"], run["full"], run["live"]) == ("SUCCESS", "api", True, None)
    assert run["counts"]["campaigns_synced"] == 1


@pytest.mark.parametrize(
    "path, body, task, kwargs",
    [
        ("performance-sync", {"date_preset": "last_7d"}, "sync_performance", {"date_preset": "last_7d"}),
        ("report-pull", {"report": "age_gender"}, "pull_report", {"date_preset": "last_7d"}),
    ],
)
def test_performance_and_report_runs_are_enqueued_by_task_name(api, path, body, task, kwargs):
    answer = api.post(f"/api/v1/connections/{api.seeded['a'].connection_id}/{path}", body)

    assert answer.status_code == 202
    [(name, _, sent_kwargs, task_id)] = api.sent
    assert name == task and task_id == answer.get_json()["task_id"]
    assert {k: sent_kwargs[k] for k in kwargs} == kwargs
    assert SyncRun.objects.get(id=answer.get_json()["run_id"]).status == "QUEUED"


def test_applying_a_change_set_is_enqueued_for_its_connection(api):
    seeded = api.seeded["a"]

    answer = api.post(f"/api/v1/change-sets/{seeded.change_set_id}/apply")

    assert answer.status_code == 202 and answer.get_json()["connection_id"] == seeded.connection_id
    [(name, args, _, _)] = api.sent
    assert (name, args) == ("apply_change_set", [seeded.change_set_id])


def test_a_dead_broker_answers_503_and_the_run_is_closed_unstarted(api):
    from webhooks.api.security import EXTENSION
    from webhooks.publisher import BrokerUnavailable

    def down(*_):
        raise BrokerUnavailable("broker unavailable: OperationalError")

    api.client.application.extensions[EXTENSION].send = down
    answer = api.post(f"/api/v1/connections/{api.seeded['a'].connection_id}/entity-sync")

    assert answer.status_code == 503 and "nothing was enqueued" in answer.get_json()["error"]["message"]
    assert SyncRun.objects(status="SKIPPED").count() == 1


def test_runs_are_listed_newest_first_with_filters_and_pages(api):
    cid = api.seeded["a"].connection_id
    for _ in range(3):
        api.post(f"/api/v1/connections/{cid}/entity-sync")

    first = api.get("/api/v1/runs?status=QUEUED&limit=2").get_json()
    second = api.get(f"/api/v1/runs?status=QUEUED&limit=2&offset={first['next_offset']}").get_json()
    succeeded = api.get(f"/api/v1/runs?connection_id={cid}&status=SUCCESS").get_json()

    assert len(first["items"]) == 2 and first["next_offset"] == 2
    assert len(second["items"]) == 1 and second["next_offset"] is None
    assert [r["id"] for r in succeeded["items"]] == [api.seeded["a"].run_id]


def test_freshness_gives_the_last_successful_syncs_and_their_age(api):
    from metasync.infra.clock import utcnow

    MetaConnection.objects(id=api.seeded["a"].connection_id).update_one(set__last_synced_at=utcnow())

    [row] = api.get("/api/v1/freshness").get_json()["items"]

    assert row["ad_account_id"] == "act_123" and row["entities_age_seconds"] < 60
    assert row["performance_synced_at"] is None and row["performance_age_seconds"] is None


def test_the_rate_budget_shows_the_tenants_users_and_only_its_paused_accounts(api, redis_client):
    from metasync.graph.ratelimit import RateLimiter

    limiter = RateLimiter(1000)
    limiter.acquire("user:42", cost=100)
    limiter.pause_account("act_123", 300, "test")
    limiter.pause_account("act_456", 300, "test")

    body = api.get("/api/v1/rate-budget").get_json()

    [user] = body["users"]
    assert user["meta_user_id"] == "42" and user["connections"] == [api.seeded["a"].connection_id]
    assert 0 < user["tokens_left"] < user["capacity_per_hour"]
    assert [p["ad_account_id"] for p in body["paused_accounts"]] == ["act_123"]


def test_reports_are_listed_defined_with_the_clis_rules_and_their_rows_read(api):
    defined = api.post("/api/v1/reports", {"name": "by_country", "level": "ad", "breakdowns": ["country"]})
    hourly = "hourly_stats_aggregated_by_advertiser_time_zone"
    refused = api.post("/api/v1/reports", {"name": "bad", "level": "ad", "breakdowns": [hourly, "age"]})
    names = [r["name"] for r in api.get("/api/v1/reports").get_json()["items"]]
    rows = api.get("/api/v1/reports/age_gender/rows?since=2026-01-01").get_json()["items"]

    assert defined.status_code == 201 and defined.get_json()["tenants"] == ["tenant-a"]
    assert refused.status_code == 422 and refused.get_json()["error"]["code"] == "refused"
    assert "age_gender" in names and "by_country" in names and "bad" not in names
    assert [(r["tenant_id"], r["spend"], r["breakdowns"]) for r in rows] == [("tenant-a", 1234, {"age": "25-34"})]


def test_a_change_set_is_created_from_a_json_list_through_the_submit_path(api):
    cid = api.seeded["a"].connection_id
    body = {"changes": [{"level": "campaign", "id": "9001", "values": {"name": "Summer"}}]}

    answer = api.post(f"/api/v1/connections/{cid}/changes", body)

    assert answer.status_code == 201
    created = answer.get_json()
    change_set = ChangeSet.objects.get(id=created["change_set_id"])
    [change] = Change.objects(change_set_id=change_set.id)
    assert (change_set.source, change.source, change.field, change.expected) == ("api", "api", "name", "Spring")
    assert change.requested_by.startswith("apikey:") and change.status == "REQUESTED"
    assert api.get(f"/api/v1/changes/{change.id}").get_json()["status"] == "REQUESTED"
    listed = api.get(f"/api/v1/changes?change_set_id={change_set.id}").get_json()["items"]
    assert [c["id"] for c in listed] == [str(change.id)]


def test_a_bad_change_is_a_one_line_422_and_nothing_is_written(api):
    before = Change.objects.count()
    body = {"changes": [{"level": "campaign", "id": "not-digits", "values": {"name": "x"}}]}

    answer = api.post(f"/api/v1/connections/{api.seeded['a'].connection_id}/changes", body)

    assert answer.status_code == 422 and "\n" not in answer.get_json()["error"]["message"]
    assert "object id must be digits" in answer.get_json()["error"]["message"]
    assert Change.objects.count() == before


def test_a_dry_run_shows_the_exact_before_and_after_and_saves_nothing(api, sim, conn):
    adset = budget_adset(sim)
    budget = adset["daily_budget"]
    before = (Change.objects.count(), ChangeSet.objects.count())
    body = {"dry_run": True, "changes": [{"level": "adset", "id": adset["id"], "values": {"daily_budget": 7500}}]}

    answer = api.post(f"/api/v1/connections/{conn.id}/changes", body)

    assert answer.status_code == 200, answer.get_json()
    [change] = answer.get_json()["changes"]
    assert (change["field"], change["before"], change["after"]) == ("daily_budget", int(budget), 7500)
    assert change["status"] == "VALIDATED" and answer.get_json()["dry_run"] is True
    assert answer.get_json()["change_set_id"] is None
    assert (Change.objects.count(), ChangeSet.objects.count()) == before
    assert next(o for o in objects(sim, "adset") if o["id"] == adset["id"])["daily_budget"] == budget
