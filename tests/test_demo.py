"""`metasync demo`, run as a user runs it (a child process against the test MongoDB and Redis), judged by what it
prints and by what it leaves in MongoDB."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from decimal import Decimal

import pytest

from metasync.demo import DEMO_TENANT, DEMO_TOKEN
from metasync.settings import mask_url_password

pytestmark = pytest.mark.services


SMALL_WORLD = ["--campaigns", "3", "--ad-sets-per-campaign", "2", "--ads-per-ad-set", "2", "--days", "3"]


def run_demo(*args: str, env: dict[str, str] | None = None, timeout: float = 90) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [sys.executable, "-m", "metasync.cli", "demo", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
        env={**os.environ, **(env or {})},
    )
    assert DEMO_TOKEN not in result.stdout + result.stderr
    return result


def window(output: str) -> tuple[str, str]:
    since, until = re.search(r"Campaigns, (\S+) to (\S+) \(read back from MongoDB\)", output).groups()
    return since, until


def total_row(output: str) -> list[str]:
    line = next(line for line in output.splitlines() if re.match(r"\W*total\b", line))
    return [cell.strip() for cell in line.strip("│ ").split("│")]


def test_demo_syncs_entities_and_performance_and_shows_what_mongodb_holds(mongo, redis_client):
    result = run_demo(*SMALL_WORLD)

    assert result.returncode == 0, result.stderr + result.stdout
    out = result.stdout
    assert "3 campaigns, 6 ad sets, 12 ads" in out
    assert mongo.campaigns.count_documents({"tenant_id": DEMO_TENANT}) == 3
    assert mongo.ad_sets.count_documents({"tenant_id": DEMO_TENANT}) == 6
    assert mongo.ads.count_documents({"tenant_id": DEMO_TENANT}) == 12
    assert mongo.meta_connections.count_documents({"tenant_id": DEMO_TENANT}) == 1
    # the ad account's status line and the creative library, as stored
    account = mongo.ad_accounts.find_one({"tenant_id": DEMO_TENANT})
    assert account["status"] == "ACTIVE" and f"{account['ad_account_id']}: ACTIVE, USD" in out
    creatives = mongo.ad_creatives.count_documents({"tenant_id": DEMO_TENANT})
    images = mongo.ad_images.count_documents({"tenant_id": DEMO_TENANT})
    videos = mongo.ad_videos.count_documents({"tenant_id": DEMO_TENANT})
    assert creatives == 12 and images + videos >= 12
    assert f"Creative library: {creatives} creatives, {images} images, {videos} videos" in out
    # Graph calls as counted by metasync and by the simulator agree, for both syncs
    made_answered = re.findall(r"metasync made (\d+), the simulator answered (\d+)", out)
    assert len(made_answered) == 2 and all(made == answered for made, answered in made_answered)
    assert "(incremental)" in out

    # the campaigns table is summed from the stored snapshots
    since, until = window(out)
    snapshots = list(
        mongo.performance_snapshots.find(
            {"tenant_id": DEMO_TENANT, "entity_type": "CAMPAIGN", "date": {"$gte": since, "$lte": until}}
        )
    )
    assert snapshots
    spend = Decimal(sum(s["spend"] for s in snapshots)).scaleb(-2)
    purchases = sum(s["purchases"] for s in snapshots)
    cells = total_row(out)
    assert cells[0] == "total"
    assert Decimal(cells[2].replace(",", "")) == spend
    assert int(cells[3].replace(",", "")) == purchases

    # write-back: the worst-ROAS campaign paused through the real path, on record and in the stored document
    [paused] = list(mongo.changes.find({"tenant_id": DEMO_TENANT, "field": "status"}))
    assert (paused["status"], paused["before"], paused["after"]) == ("APPLIED", "ACTIVE", "PAUSED")
    assert mongo.campaigns.find_one({"tenant_id": DEMO_TENANT, "meta_id": paused["object_id"]})[
        "configured_status"
    ] == ("PAUSED")
    assert f"campaign {paused['object_id']}" in out and "Re-synced documents in MongoDB" in out
    # the breakdown table is read back from the stored report rows
    assert "Report age_gender" in out and "7d_click" in out and "1d_view" in out
    rows = list(mongo.insights_breakdowns.find({"tenant_id": DEMO_TENANT, "report": "age_gender"}))
    assert rows and all({"age", "gender"} == set(r["breakdowns"]) for r in rows)

    # where the data lives: the URI without credentials, and the counts that are really there
    assert mask_url_password(os.environ["MONGODB_URI"]) in out
    stored = mongo.performance_snapshots.count_documents({"tenant_id": DEMO_TENANT})
    assert re.search(rf"performance_snapshots\s*│\s*{stored:,}\s", out)


def test_running_the_demo_again_replaces_the_demo_tenant(mongo, redis_client):
    tiny = ["--campaigns", "1", "--ad-sets-per-campaign", "1", "--ads-per-ad-set", "1", "--days", "2"]
    first = run_demo(*tiny)
    assert first.returncode == 0, first.stderr + first.stdout
    connection_before = mongo.meta_connections.find_one({"tenant_id": DEMO_TENANT})["_id"]

    second = run_demo(*tiny)

    assert second.returncode == 0, second.stderr + second.stdout
    connections = list(mongo.meta_connections.find({"tenant_id": DEMO_TENANT}))
    assert len(connections) == 1 and connections[0]["_id"] != connection_before
    assert mongo.sync_runs.count_documents({"connection": connection_before}) == 0
    assert mongo.performance_snapshots.count_documents({"connection": connection_before}) == 0
    assert mongo.campaigns.count_documents({"tenant_id": DEMO_TENANT}) == 1


def test_demo_with_webhooks_shows_the_targeted_resync_arriving(mongo, redis_client):
    result = run_demo(*SMALL_WORLD, "--webhooks", "--wait", "40")

    assert result.returncode == 0, result.stderr + result.stdout
    out = " ".join(result.stdout.split())  # rich wraps long lines at spaces
    renamed = re.search(r"to '(.+? \(renamed \d\d:\d\d:\d\d\))'", out).group(1)
    assert mongo.campaigns.count_documents({"tenant_id": DEMO_TENANT, "name": renamed}) == 1
    assert mongo.ads.count_documents({"tenant_id": DEMO_TENANT, "effective_status": "PAUSED"}) >= 1
    assert re.search(r"Arrived in MongoDB [\d.]+ s after the change", out)
    targeted = re.search(r"read 2 objects with (\d+) Graph calls \(simulator: (\d+)\)", out)
    assert targeted and targeted.group(1) == targeted.group(2) == "2"
    runs = list(mongo.sync_runs.find({"tenant_id": DEMO_TENANT, "kind": "ENTITY", "trigger": "webhook"}))
    assert len(runs) == 2 and all(run["status"] == "SUCCESS" for run in runs)


def test_demo_without_redis_exits_1_with_one_line_reason(mongo):
    result = run_demo(*SMALL_WORLD, env={"REDIS_URL": "redis://127.0.0.1:1/0", "CELERY_BROKER_URL": ""})

    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "error: Redis is not reachable at REDIS_URL (ConnectionError); `make demo` starts a local one"
    ]
