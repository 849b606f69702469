"""`metasync change`, `metasync apply` and `metasync changes list` against the simulator."""

from __future__ import annotations

import json

import pytest

from metasync.store.changes import Change
from tests.changes_helpers import active, budget_adset, simulator_fixture, synced_connection_fixture, writes
from tests.helpers import TOKEN

pytestmark = pytest.mark.services

sim = simulator_fixture()
conn = synced_connection_fixture()


def test_dry_run_prints_before_and_after_and_sends_nothing(cli, sim, conn):
    campaign = active(sim, "campaign")
    result = cli("change", "campaign", campaign["id"], "--status", "PAUSED", "--name", "New name", "--dry-run")
    assert result.exit_code == 0, result.output
    assert f"campaign {campaign['id']} status: ACTIVE -> PAUSED  [would apply]" in result.output
    assert f"name: {campaign['name']!r} -> 'New name'  [would apply]" in result.output
    assert "dry run: nothing was sent" in result.output
    assert writes(sim) == 0 and Change.objects.count() == 0


def test_change_applies_and_records_who_asked(cli, sim, conn):
    adset = budget_adset(sim)
    result = cli("change", "adset", adset["id"], "--daily-budget", "50.00", "--status", "PAUSED", "--by", "ana")
    assert result.exit_code == 0, result.output
    assert "-> 50.00 USD  [APPLIED]" in result.output and "-> PAUSED  [APPLIED]" in result.output
    assert sim.world.objects[adset["id"]]["daily_budget"] == "5000"
    assert {(c.field, c.source, c.requested_by, c.status) for c in Change.objects} == {
        ("daily_budget", "cli", "ana", "APPLIED"),
        ("status", "cli", "ana", "APPLIED"),
    }


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("adset", "{adset}", "--daily-budget", "fifty"), "daily_budget must be a decimal amount like 50.00"),
        (("ad", "{ad}", "--daily-budget", "5.00"), "daily_budget cannot be changed on ads"),
        (("campaign", "{campaign}"), "nothing to change"),
        (("page", "{campaign}", "--name", "x"), "level must be campaign, adset or ad"),
        (("campaign", "{campaign}", "--expect", "status"), "--expect takes FIELD=VALUE"),
        (("campaign", "999", "--name", "x"), "no connection hold(s) 999"),
    ],
)
def test_bad_input_is_one_line_and_writes_nothing(cli, sim, conn, args, message):
    ids = {"adset": budget_adset(sim)["id"], "ad": active(sim, "ad")["id"], "campaign": active(sim, "campaign")["id"]}
    result = cli("change", *[a.format(**ids) for a in args])
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [f"error: {result.output.strip()[7:]}"]
    assert message in result.output
    assert Change.objects.count() == 0 and writes(sim) == 0


def test_a_refused_change_exits_1_with_its_reason_on_record(cli, sim, conn):
    adset = budget_adset(sim)
    result = cli("change", "adset", adset["id"], "--daily-budget", "0.50")
    assert result.exit_code == 1
    assert "[REJECTED] daily budget 0.50 USD is below the account's minimum 1.00 USD" in result.output
    assert Change.objects.get().status == "REJECTED" and writes(sim) == 0


def test_deleting_needs_explicit_confirmation(cli, sim, conn):
    ad = active(sim, "ad")
    refused = cli("change", "ad", ad["id"], "--status", "DELETED")
    assert refused.exit_code == 1 and "deleting needs explicit confirmation" in refused.output
    done = cli("change", "ad", ad["id"], "--status", "DELETED", "--confirm-delete")
    assert done.exit_code == 0 and sim.world.objects[ad["id"]]["configured_status"] == "DELETED"


def test_apply_shows_the_plan_and_needs_yes(cli, sim, conn, tmp_path):
    campaign, adset = active(sim, "campaign"), budget_adset(sim)
    path = tmp_path / "changes.csv"
    path.write_text(
        f"level,id,status,daily_budget,name\ncampaign,{campaign['id']},PAUSED,,\nadset,{adset['id']},,42.00,Cheaper\n"
    )
    plan = cli("apply", str(path))
    assert plan.exit_code == 0, plan.output
    assert plan.output.count("[would apply]") == 3 and "run again with --yes" in plan.output
    assert writes(sim) == 0 and Change.objects.count() == 0
    done = cli("apply", str(path), "--yes")
    assert done.exit_code == 0, done.output
    assert done.output.count("[APPLIED]") == 3
    assert sim.world.objects[adset["id"]]["daily_budget"] == "4200"
    assert sim.world.objects[campaign["id"]]["configured_status"] == "PAUSED"


def test_apply_reads_json_with_expected_values(cli, sim, conn, tmp_path):
    campaign = active(sim, "campaign")
    path = tmp_path / "changes.json"
    path.write_text(
        json.dumps({"changes": [{"level": "campaign", "id": campaign["id"], "name": "X", "expected": {"name": "Y"}}]})
    )
    result = cli("apply", str(path), "--yes")
    assert result.exit_code == 1 and "[CONFLICT] expected 'Y'" in result.output
    assert sim.world.objects[campaign["id"]]["name"] == campaign["name"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("level,id,colour\ncampaign,1,red\n", "changes.csv line 2: unknown column(s) colour"),
        ("level,id,status\ncampaign,{campaign},ACTIVE\nad,{campaign},RUNNING\n", "changes.csv line 3: status must"),
        ("id,status\n1,PAUSED\n", "needs a header line with at least level,id"),
        ("level,id,status\n", "no changes in it"),
    ],
)
def test_a_bad_file_names_the_line_and_writes_nothing(cli, sim, conn, tmp_path, text, message):
    path = tmp_path / "changes.csv"
    path.write_text(text.format(campaign=active(sim, "campaign")["id"]))
    result = cli("apply", str(path), "--yes")
    assert result.exit_code == 2 and message in result.output
    assert Change.objects.count() == 0 and writes(sim) == 0


def test_changes_list_shows_the_audit_trail(cli, sim, conn):
    adset = budget_adset(sim)
    before = int(adset["daily_budget"]) / 100
    cli("change", "adset", adset["id"], "--daily-budget", "51.00", "--by", "ana")
    table = cli("changes", "list")
    assert table.exit_code == 0
    assert f"{before:.2f} USD -> 51.00 USD" in table.output and "APPLIED" in table.output and "cli:ana" in table.output
    [line] = cli("changes", "list", "--json", "--status", "APPLIED").output.splitlines()
    doc = json.loads(line)
    assert (doc["field"], doc["requested"], doc["after"], doc["tenant_id"]) == ("daily_budget", 5100, 5100, "tenant-a")
    assert cli("changes", "list", "--status", "CONFLICT").output.strip() == "no changes"


def test_an_object_of_two_tenants_needs_the_connection_named(cli, sim, conn):
    from metasync.connections.registry import upsert_connection
    from metasync.ops.connection_sync import sync_connection_data

    other, _ = upsert_connection("tenant-b", sim.config.account_id, TOKEN)
    sync_connection_data(other, trigger="cli")
    campaign = active(sim, "campaign")
    ambiguous = cli("change", "campaign", campaign["id"], "--name", "x")
    assert ambiguous.exit_code == 2 and "several connections" in ambiguous.output
    chosen = cli("change", "campaign", campaign["id"], "--name", "x", "--tenant", "tenant-b")
    assert chosen.exit_code == 0, chosen.output
    assert Change.objects.get().tenant_id == "tenant-b"
