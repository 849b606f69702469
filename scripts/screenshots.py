"""Screenshots of the dashboard for docs/: the demo's simulator-backed data, served by gunicorn, shot by Chromium.

    make services && eval "$(bash scripts/services.sh env)" && .venv/bin/python scripts/screenshots.py

Runs `metasync demo` into a database of its own (`metasync_screenshots`, dropped afterwards), adds a second tenant
and a day of run history around it, logs in with an admin key and writes docs/dashboard-*.png.
"""

from __future__ import annotations

import io
import os
import random
import shutil
import sys
from datetime import timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from rich.console import Console  # noqa: E402

from metasync.settings import get_settings, reset_settings_cache  # noqa: E402

DATABASE = "metasync_screenshots"
WIDTH = 1280


def _own_database() -> None:
    uri = get_settings().mongodb_uri
    base, _, query = uri.partition("?")
    scheme, _, rest = base.partition("://")
    host = rest.split("/", 1)[0]
    os.environ["MONGODB_URI"] = f"{scheme}://{host}/{DATABASE}" + (f"?{query}" if query else "")
    os.environ.setdefault("WEB_SESSION_SECRET", "screenshots-only-session-secret")
    os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
    if not os.environ.get("TOKEN_ENCRYPTION_KEY", "").strip():
        from metasync.infra.crypto import generate_key

        os.environ["TOKEN_ENCRYPTION_KEY"] = generate_key()
    reset_settings_cache()


def _history() -> None:
    """A day of scheduled runs for the demo tenant, a second tenant in trouble, a change set to decide on."""
    from metasync.connections.registry import upsert_connection
    from metasync.infra import counters
    from metasync.infra.clock import utcnow
    from metasync.store.changes import Change, ChangeSet
    from metasync.store.documents import MetaConnection, SyncRun

    rng = random.Random(7)
    now = utcnow()
    [demo] = MetaConnection.objects(tenant_id="demo")
    for hours_ago in range(1, 24):
        for kind in ("ENTITIES", "PERFORMANCE"):
            started = now - timedelta(hours=hours_ago, minutes=rng.randint(0, 50))
            SyncRun(
                connection=demo.id,
                tenant_id="demo",
                ad_account_id=demo.ad_account_id,
                kind=kind,
                trigger="beat",
                status="SUCCESS",
                started_at=started,
                finished_at=started + timedelta(seconds=4),
                duration_ms=rng.randint(900, 6000),
                api_calls=rng.randint(8, 40),
            ).save()
        for _ in range(rng.randint(0, 5)):
            SyncRun(
                connection=demo.id,
                tenant_id="demo",
                ad_account_id=demo.ad_account_id,
                kind="ENTITY",
                trigger="webhook",
                status="SUCCESS",
                started_at=now - timedelta(hours=hours_ago),
                duration_ms=300,
                api_calls=1,
            ).save()
    for hours_ago in range(24):
        stamp = (now - timedelta(hours=hours_ago)).timestamp()
        counters.count("graph_calls", rng.randint(20, 90), now=stamp, edge="campaigns", outcome="ok")
        counters.count("webhook_deliveries", rng.randint(0, 6), now=stamp, result="enqueued")
    token = "EAAscreenshot-token"
    for account, status, error, synced in (
        ("act_2000000001", "ACTIVE", None, 20),
        ("act_2000000002", "ERROR", "Graph 190: the user's session has expired", 300),
        ("act_2000000003", "ACTIVE", None, 160),
    ):
        connection, _ = upsert_connection("agency-b", account, token, user_id="9002")
        connection.status, connection.last_error = status, error
        connection.last_error_at = now - timedelta(minutes=synced) if error else None
        connection.last_synced_at = now - timedelta(minutes=synced)
        connection.last_performance_synced_at = now - timedelta(minutes=synced + 30)
        connection.save()
    set_id = "cs-demo-budgets"
    changes = [
        Change(
            tenant_id="demo",
            connection=demo.id,
            ad_account_id=demo.ad_account_id,
            change_set_id=set_id,
            level="CAMPAIGN",
            object_id=object_id,
            field=field,
            requested_input=value,
            status=status,
            reason=reason,
        )
        for object_id, field, value, status, reason in (
            ("120200000000000001", "daily_budget", "80.00", "REQUESTED", None),
            ("120200000000000002", "status", "PAUSED", "REQUESTED", None),
            ("120200000000000003", "daily_budget", "5.00", "FAILED", "below the account's minimum daily budget"),
        )
    ]
    for change in changes:
        change.save()
    ChangeSet(id=set_id, tenant_id="demo", connection=demo.id, change_ids=[c.id for c in changes]).save()


def main() -> int:
    _own_database()
    from metasync.access.keys import create_key
    from metasync.demo import DemoOptions, WebhookServer, run_demo
    from metasync.infra import db

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        print("screenshots: chromium is not installed (bash scripts/chromium.sh)", file=sys.stderr)
        return 1
    database = db.connect()
    database.client.drop_database(DATABASE)
    try:
        run_demo(DemoOptions(campaigns=6, days=14), Console(file=io.StringIO()))
        _history()
        raw = create_key(None, "write", label="screenshots", admin=True)[0]
        from playwright.sync_api import sync_playwright

        with WebhookServer() as server, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, headless=True, args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": WIDTH, "height": 800}, device_scale_factor=1)
            base = server.base_url
            page.goto(f"{base}/dashboard/login")
            page.screenshot(path=str(REPO / "docs/dashboard-login.png"))
            page.fill("#api_key", raw)
            page.click("button[type=submit]")
            page.screenshot(path=str(REPO / "docs/dashboard-tenants.png"), full_page=True)
            page.goto(f"{base}/dashboard/t/demo")
            page.screenshot(path=str(REPO / "docs/dashboard-tenant.png"), full_page=True)
            page.goto(f"{base}/dashboard/t/agency-b")
            page.screenshot(path=str(REPO / "docs/dashboard-tenant-errors.png"), full_page=True)
            browser.close()
    finally:
        database.client.drop_database(DATABASE)
    print("screenshots: docs/dashboard-login.png, -tenants.png, -tenant.png, -tenant-errors.png")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
