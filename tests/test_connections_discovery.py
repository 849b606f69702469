"""`metasync connections discover`: every ad account a token reaches (paged, a business's too), and the chosen ones
added as connections sharing the token's user rate budget; the token is never shown."""

from __future__ import annotations

import json

import pytest

from metasync.connections.discovery import add_discovered, discover_ad_accounts
from metasync.graph.client import default_client
from metasync.graph.ratelimit import user_key_for
from metasync.simulator import SimulatorServer
from metasync.store.documents import AccountRoute, MetaConnection
from tests.helpers import TOKEN
from tests.simulator_helpers import calls_by_route, metasync_world

pytestmark = pytest.mark.services

WORLD = metasync_world(campaigns=1, ad_sets_per_campaign=1, ads_per_ad_set=1, days=1, accounts=5)
ACCOUNTS = [f"act_{1000000001 + i}" for i in range(5)]
BUSINESS = str(4_000_000_000_000 + 1000000001)


@pytest.fixture
def sim(mongo, redis_client, settings_env):
    with SimulatorServer(WORLD.replace()) as server:
        settings_env(META_GRAPH_URL=server.base_url, META_PAGE_SIZE="2")  # 5 accounts: three pages
        yield server


def sim_user(sim) -> str:
    return default_client().fetch_node(TOKEN, "me", {"fields": "id"})["id"]


def discovered(cli, *args) -> list[dict]:
    result = cli("connections", "discover", "--tenant", "t1", "--token", TOKEN, "--json", *args)
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]


def test_discovery_pages_through_every_account_the_token_reaches(sim):
    found = discover_ad_accounts(TOKEN)

    assert [a.ad_account_id for a in found.accounts] == ACCOUNTS
    assert all(a.status == "ACTIVE" and a.currency == "USD" and a.source == "me" for a in found.accounts)
    assert calls_by_route(sim)["GET me/adaccounts"] == 3
    assert found.user_id == sim_user(sim)


def test_a_business_adds_its_owned_and_client_accounts_each_listed_once(sim):
    found = discover_ad_accounts(TOKEN, business_id=BUSINESS)

    assert [a.ad_account_id for a in found.accounts] == ACCOUNTS  # also reachable directly: listed once
    routes = calls_by_route(sim)
    assert routes["GET node/owned_ad_accounts"] == 2 and routes["GET node/client_ad_accounts"] == 1
    assert {a.business for a in found.accounts} == {"Simulated Business"}


def test_listing_adds_nothing_and_shows_status_and_currency(sim, cli):
    rows = discovered(cli)

    assert [(r["ad_account_id"], r["status"], r["currency"]) for r in rows] == [(a, "ACTIVE", "USD") for a in ACCOUNTS]
    assert MetaConnection.objects.count() == 0
    table = cli("connections", "discover", "--tenant", "t1", "--token", TOKEN).output
    assert ACCOUNTS[0] in table and "ACTIVE" in table and "USD" in table


def test_all_adds_every_account_sharing_one_user_rate_budget(sim, cli):
    result = cli("connections", "discover", "--tenant", "t1", "--token", TOKEN, "--all")

    assert result.exit_code == 0, result.output
    assert result.output.count("added connection") == 5
    connections = list(MetaConnection.objects(tenant_id="t1"))
    assert sorted(c.ad_account_id for c in connections) == ACCOUNTS
    assert {c.meta_user_id for c in connections} == {sim_user(sim)}
    assert {user_key_for(c.meta_user_id, c.access_token) for c in connections} == {f"user:{sim_user(sim)}"}
    assert all(c.access_token == TOKEN and c.access_token_encrypted != TOKEN for c in connections)
    assert all(AccountRoute.objects.get(id=c.ad_account_id).connections == [c.id] for c in connections)


def test_chosen_ids_are_added_and_an_unreachable_one_refuses_them_all(sim, cli):
    refused = cli("connections", "discover", "--tenant", "t1", "--token", TOKEN, ACCOUNTS[1], "act_999")
    assert refused.exit_code != 0 and "act_999" in refused.output
    assert MetaConnection.objects.count() == 0

    added = cli(
        "connections", "discover", "--tenant", "t1", "--token", TOKEN, ACCOUNTS[1], ACCOUNTS[3].removeprefix("act_")
    )
    assert added.exit_code == 0, added.output
    assert sorted(c.ad_account_id for c in MetaConnection.objects(tenant_id="t1")) == [ACCOUNTS[1], ACCOUNTS[3]]


def test_all_and_ids_together_or_a_bad_business_id_are_refused_in_one_line(sim, cli):
    both = cli("connections", "discover", "--tenant", "t1", "--token", TOKEN, "--all", ACCOUNTS[0])
    bad = cli("connections", "discover", "--tenant", "t1", "--token", TOKEN, "--business", "biz-1")
    assert both.exit_code != 0 and "--all" in both.output
    assert bad.exit_code != 0 and "business id" in bad.output
    assert MetaConnection.objects.count() == 0


def test_a_rejected_token_is_one_line_without_the_token(sim, cli):
    sim.config.expired_tokens = (TOKEN,)
    result = cli("connections", "discover", "--tenant", "t1", "--token", TOKEN)
    assert result.exit_code != 0 and "Meta refused" in result.output and len(result.output.strip().splitlines()) == 1


def test_adding_again_renews_the_token_of_the_existing_connection(sim):
    found = discover_ad_accounts(TOKEN)
    first = add_discovered("t1", TOKEN, found, [ACCOUNTS[0]])
    again = add_discovered("t1", "EAAnew-token", found, [ACCOUNTS[0]])
    assert first[0][1] is True and again[0][1] is False
    assert MetaConnection.objects.get(tenant_id="t1").access_token == "EAAnew-token"
