"""The dashboard in a real browser: Debian's Chromium, headless, driven by Playwright, against the web app served by
gunicorn and a real Celery worker, both on the test database, syncing from the Graph API simulator.

Skipped, with the reason, only when no Chromium is installed (`bash scripts/chromium.sh` installs it; `make test`
runs that first, so CI always has it).
"""

from __future__ import annotations

import os
import shutil
import time
from contextlib import ExitStack

import pytest

from metasync.access.keys import create_key
from metasync.demo import CeleryWorker, WebhookServer
from metasync.simulator import SimConfig, SimulatorServer
from metasync.store.changes import Change
from metasync.store.documents import MetaConnection, PerformanceSnapshot, SyncRun
from tests.dashboard_helpers import SECRET, seed_tenant

pytestmark = pytest.mark.services

ACCOUNT = "act_1000000001"  # the simulator's first ad account
WAIT_SECONDS = 60


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture
def browser():
    path = chromium_path()
    if path is None:
        pytest.skip("Debian's chromium is not installed here and could not be (bash scripts/chromium.sh)")
    os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, headless=True, args=["--no-sandbox"])
        yield browser
        browser.close()


@pytest.fixture
def stack(mongo, redis_client, settings_env):
    """The simulator, the web app (gunicorn) and a worker, all with the test settings and a session secret."""
    config = SimConfig(campaigns=2, ad_sets_per_campaign=1, ads_per_ad_set=1)
    config = config.replace(app_id=os.environ["META_APP_ID"], app_secret=os.environ["META_APP_SECRET"])
    with ExitStack() as stack:
        sim = stack.enter_context(SimulatorServer(config))
        settings_env(META_GRAPH_URL=sim.base_url, WEB_SESSION_SECRET=SECRET)
        stack.enter_context(CeleryWorker())
        yield stack.enter_context(WebhookServer()).base_url


def log_in(page, base_url: str, raw: str) -> None:
    page.goto(f"{base_url}/dashboard/login")
    page.fill("#api_key", raw)
    page.click("button[type=submit]")


def number(page, element_id: str) -> int:
    return int(page.text_content(f"#{element_id}"))


def test_the_page_shows_the_database_s_numbers_and_a_re_sync_click_shows_its_run(stack, browser):
    [connection] = seed_tenant("tenant-a", (ACCOUNT,))
    seed_tenant("tenant-b", ("act_201",))
    raw = create_key("tenant-a", "write")[0]
    page = browser.new_page()
    log_in(page, stack, raw)

    assert page.url.endswith("/dashboard/t/tenant-a")
    assert page.text_content("#tenant-name") == "tenant-a"
    assert number(page, "connection-count") == MetaConnection.objects(tenant_id="tenant-a").count() == 1
    assert number(page, "runs-24h") == SyncRun.objects(tenant_id="tenant-a").count() == 2
    pending = Change.objects(tenant_id="tenant-a", status__in=("REQUESTED", "VALIDATED", "DEFERRED")).count()
    assert number(page, "changes-pending") == pending == 1
    for row in PerformanceSnapshot.objects(tenant_id="tenant-a", entity_type="ACCOUNT"):
        shown = page.text_content(f'table.spend[data-currency="USD"] tr[data-day="{row.date}"] .spend-amount')
        assert shown == str(row.spend_amount)
    assert "act_201" not in page.content()

    page.click(f'tr[data-connection="{connection.id}"] button.resync')
    assert "Queued re-sync of act_1000000001" in page.text_content(".flash")
    [run] = SyncRun.objects(tenant_id="tenant-a", trigger="dashboard")
    row = f'tr[data-run="{run.id}"]'
    deadline = time.monotonic() + WAIT_SECONDS
    while page.get_attribute(row, "data-status") != "SUCCESS":  # the worker syncs from the simulator
        assert time.monotonic() < deadline, f"run {run.id} did not show as SUCCESS (now {run.reload().status})"
        time.sleep(0.5)
        page.reload()
    assert "dashboard" in page.text_content(row)
    assert number(page, "runs-24h") == 3


def test_in_the_browser_another_tenant_is_not_found_and_a_forged_post_is_refused(stack, browser):
    [connection] = seed_tenant("tenant-a", (ACCOUNT,))
    [other] = seed_tenant("tenant-b", ("act_201",))
    page = browser.new_page()
    log_in(page, stack, create_key("tenant-a", "write")[0])

    response = page.goto(f"{stack}/dashboard/t/tenant-b")
    assert response.status == 404 and "act_201" not in page.content()
    forged = page.request.post(f"{stack}/dashboard/t/tenant-a/connections/{connection.id}/resync", form={})
    assert forged.status == 400 and "Form refused" in forged.text()
    page.goto(f"{stack}/dashboard/t/tenant-a")
    token = page.get_attribute("input[name=csrf_token]", "value")
    across = page.request.post(
        f"{stack}/dashboard/t/tenant-b/connections/{other.id}/resync", form={"csrf_token": token}
    )
    assert across.status == 404
    assert SyncRun.objects(trigger="dashboard").count() == 0
