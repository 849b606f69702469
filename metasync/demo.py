"""`metasync demo`: the whole pipeline against the local Graph API simulator, on loopback, with no Meta account.

It starts the simulator in this process, points this process's settings at it, registers the demo connection
(tenant `demo`, replaced on every run), runs a full entity sync with performance through the real code path, prints
what landed in MongoDB, then an incremental sync, then pauses the worst campaign and raises the best ad set's
budget through the write-back path. With webhooks it also starts the webhook app and a Celery worker,
changes the simulated world and shows the targeted re-sync arriving.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import requests
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from metasync.simulator import SimConfig, SimulatorServer

DEMO_TENANT = "demo"
DEMO_TOKEN = "EAAdemo-simulated-user-token"  # the simulator accepts any token; appsecret_proof is still checked
DEMO_APP_ID = "1010101010"
DEMO_APP_SECRET = "metasync-demo-app-secret"
# The simulator's history is longer than any window the demo pulls.
SIMULATED_DAYS = 30
SUMMED = ("spend", "purchases", "leads", "revenue")
COLLECTIONS = (
    "meta_connections",
    "ad_accounts",
    "campaigns",
    "ad_sets",
    "ads",
    "ad_creatives",
    "ad_images",
    "ad_videos",
    "performance_snapshots",
    "insights_breakdowns",
    "sync_runs",
    "changes",
)
# The breakdown report the demo pulls and prints (one day, so `make demo` stays quick).
DEMO_REPORT, DEMO_REPORT_PRESET = "age_gender", "yesterday"


class DemoFailed(Exception):
    """The demo could not finish; the message is the one-line reason shown to the user."""


@dataclass(frozen=True)
class DemoOptions:
    campaigns: int = 8
    ad_sets_per_campaign: int = 2
    ads_per_ad_set: int = 2
    # Days of performance pulled (through PERFORMANCE_LOOKBACK_DAYS). Kept small by default: on the local
    # FerretDB (SQLite) every snapshot costs tens of milliseconds to write.
    days: int = 7
    seed: int = 1
    webhooks: bool = False
    wait_seconds: float = 30.0  # for the webhook re-sync to land

    def world(self) -> SimConfig:
        return SimConfig(
            campaigns=self.campaigns,
            ad_sets_per_campaign=self.ad_sets_per_campaign,
            ads_per_ad_set=self.ads_per_ad_set,
            days=max(SIMULATED_DAYS, self.days),
            seed=self.seed,
            app_id=DEMO_APP_ID,
            app_secret=DEMO_APP_SECRET,
            # asynchronous report runs complete on their first poll: no 5 s waits in a demo
            report_polls=1,
        )


@contextmanager
def demo_environment(overrides: dict[str, str]) -> Iterator[None]:
    """This process's settings with `overrides`, restored afterwards (the demo may run inside another program)."""
    from metasync.settings import reset_settings_cache

    saved = {key: os.environ.get(key) for key in overrides}
    os.environ.update(overrides)
    reset_settings_cache()
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        reset_settings_cache()


def environment_for(sim: SimulatorServer, options: DemoOptions) -> dict[str, str]:
    """Settings that point metasync at the simulator. A TOKEN_ENCRYPTION_KEY already set is kept; otherwise a
    fresh one serves this run only (the demo connection is replaced on every run, so no key needs to persist)."""
    from metasync.infra.crypto import generate_key

    env = {
        "META_GRAPH_URL": sim.base_url,
        "META_API_VERSION": sim.config.latest_version,
        "META_APP_ID": DEMO_APP_ID,
        "META_APP_SECRET": DEMO_APP_SECRET,
        "META_RATE_LIMIT_PER_HOUR": "1000000",
        "PERFORMANCE_LOOKBACK_DAYS": str(max(1, options.days - 1)),
    }
    if not os.environ.get("TOKEN_ENCRYPTION_KEY", "").strip():
        env["TOKEN_ENCRYPTION_KEY"] = generate_key()
    if not os.environ.get("WEB_SESSION_SECRET", "").strip():  # the web app it starts serves the dashboard too
        env["WEB_SESSION_SECRET"] = secrets.token_urlsafe(32)
    return env


# --- what the demo reads back ---------------------------------------------------------------------------------
def server_description(database) -> str:
    info = database.client.server_info()
    if info.get("ferretdbVersion"):
        return f"FerretDB {info['ferretdbVersion']} (MongoDB {info.get('version')} wire protocol)"
    return f"MongoDB {info.get('version')}"


def money(minor: int, exponent: int) -> str:
    return f"{Decimal(int(minor)).scaleb(-exponent):,.{exponent}f}"


def campaign_performance(database, tenant: str, since: str, until: str) -> list[dict[str, Any]]:
    """Per campaign, summed from the stored daily CAMPAIGN snapshots of [since, until]; highest spend first."""
    names = {
        doc["meta_id"]: doc
        for doc in database.campaigns.find(
            {"tenant_id": tenant}, {"meta_id": 1, "name": 1, "effective_status": 1, "status": 1}
        )
    }
    totals: dict[str, dict[str, Any]] = {}
    for snap in database.performance_snapshots.find(
        {"tenant_id": tenant, "entity_type": "CAMPAIGN", "date": {"$gte": since, "$lte": until}},
        {"entity_id": 1, "name": 1, "currency_exponent": 1, **{key: 1 for key in SUMMED}},
    ):
        row = totals.setdefault(snap["entity_id"], _empty_row(snap["entity_id"], snap.get("currency_exponent", 2)))
        row["name"] = snap.get("name")
        for key in SUMMED:
            row[key] += int(snap.get(key) or 0)
        row["days"] += 1
    for campaign_id, campaign in names.items():
        row = totals.setdefault(campaign_id, _empty_row(campaign_id, 2))
        row["name"] = campaign.get("name") or row.get("name")
        row["status"] = campaign.get("effective_status") or campaign.get("status")
    return sorted(totals.values(), key=lambda r: (-r["spend"], r["name"] or ""))


def _empty_row(campaign_id: str, exponent: int) -> dict[str, Any]:
    return {
        "id": campaign_id,
        "name": None,
        "status": None,
        "days": 0,
        "exponent": int(exponent),
        **{key: 0 for key in SUMMED},
    }


def tenant_counts(database, tenant: str) -> dict[str, int]:
    return {name: database[name].count_documents({"tenant_id": tenant}) for name in COLLECTIONS}


# --- the demo -------------------------------------------------------------------------------------------------
class Demo:
    """One run: `run()` prints as it goes and returns the figures it printed."""

    def __init__(self, options: DemoOptions, console: Console | None = None):
        self.options = options
        self.console = console or Console(width=max(110, Console().width))
        self.http = requests.Session()
        self.facts: dict[str, Any] = {}

    def run(self) -> dict[str, Any]:
        started = time.monotonic()
        with ExitStack() as stack:
            stack.callback(self.http.close)
            sim = stack.enter_context(SimulatorServer(self.options.world()))
            self.sim = sim
            stack.enter_context(demo_environment(environment_for(sim, self.options)))
            self._connect()
            worker = stack.enter_context(CeleryWorker()) if self.options.webhooks else None  # starts while we sync
            self._intro()
            connection = self._register()
            first = self._sync(connection, full=True)
            self._show_campaigns(first)
            self._show_breakdown(connection)
            self._sync(connection, full=False, compare_to=first)
            self._write_back(connection, first)
            if worker is not None:
                self._webhooks(connection, worker, first)
            self._where()
        self.facts["total_seconds"] = round(time.monotonic() - started, 1)
        self.console.print(f"\n[bold green]Demo finished in {self.facts['total_seconds']} s.[/]")
        return self.facts

    # ---------------------------------------------------------------------------------------------- setup
    def _connect(self) -> None:
        import redis
        from pymongo.errors import PyMongoError

        from metasync.infra import db
        from metasync.settings import get_settings, mask_url_password
        from metasync.store.documents import ensure_indexes

        settings = get_settings()
        try:
            self.db = db.connect()
            self.db.client.admin.command("ping")
            ensure_indexes()
            self.server = server_description(self.db)
        except PyMongoError as exc:
            raise DemoFailed(
                f"MongoDB is not reachable at {mask_url_password(settings.mongodb_uri)} "
                f"({exc.__class__.__name__}); `make demo` starts a local one"
            ) from None
        client = redis.Redis.from_url(settings.redis_url, socket_connect_timeout=3, socket_timeout=3)
        try:
            client.ping()
        except redis.RedisError as exc:
            raise DemoFailed(
                f"Redis is not reachable at REDIS_URL ({exc.__class__.__name__}); `make demo` starts a local one"
            ) from None
        finally:
            client.close()

    def _intro(self) -> None:
        world = self.sim.world.summary(first=0)
        account = world["accounts"][0]
        counts = account["counts"]
        self.account_id = account["id"]
        self.console.rule("[bold]metasync demo[/]")
        self.console.print(
            f"Simulated Meta Graph API on [cyan]{self.sim.graph_url}[/] (seed {self.options.seed}, "
            f"today {world['today']}): ad account {self.account_id} with {counts['campaigns']} campaigns, "
            f"{counts['adsets']} ad sets, {counts['ads']} ads and {self.sim.config.days} days of delivery.\n"
            f"Every call below goes through metasync's real Graph client (appsecret_proof, rate limiter, retries) "
            f"to that server; data lands in {self.server}."
        )

    def sim_calls(self) -> dict[str, Any]:
        return self.http.get(self.sim.url("/__sim/calls"), timeout=10).json()

    def _register(self):
        from metasync.connections.registry import remove_connection, upsert_connection
        from metasync.store.documents import MetaConnection, PerformanceSnapshot

        for old in MetaConnection.objects(tenant_id=DEMO_TENANT):
            PerformanceSnapshot.objects(connection=old.id).delete()
            remove_connection(old, purge=True)
        connection, _ = upsert_connection(DEMO_TENANT, self.account_id, DEMO_TOKEN, self.sim.app.user_id)
        self.console.print(
            f"Registered connection {connection.id} (tenant [bold]{DEMO_TENANT}[/], "
            f"{connection.ad_account_id}); the token is stored encrypted."
        )
        return connection

    # ---------------------------------------------------------------------------------------------- syncs
    def _sync(self, connection, full: bool, compare_to: dict[str, Any] | None = None) -> dict[str, Any]:
        from metasync.ops.connection_sync import sync_connection_data
        from metasync.runs.lifecycle import SyncFailed

        label = "full" if full else "incremental"
        before = self.sim_calls()["total"]
        try:
            with self.console.status(f"{label} sync: entities, then performance ..."):
                result = sync_connection_data(connection, performance=True, full=full, trigger="demo")
        except SyncFailed as exc:
            raise DemoFailed(f"the {label} sync failed: {exc.message}") from None
        answered = self.sim_calls()["total"] - before
        perf = result["performance"]
        entity_calls = result["api_calls"] - perf["api_calls"]
        entity_ms = result["duration_ms"]
        figures = {
            "mode": result["mode"],
            "campaigns": result["campaigns_synced"],
            "ad_sets": result["ad_sets_synced"],
            "ads": result["ads_synced"],
            "creatives": result["creatives_synced"],
            "images": result["images_synced"],
            "videos": result["videos_synced"],
            "entity_calls": entity_calls,
            "entity_ms": entity_ms,
            "performance_rows": perf["campaigns"] + perf["ad_sets"] + perf["ads"],
            "performance_calls": perf["api_calls"],
            "performance_ms": perf["duration_ms"],
            "since": perf["since"],
            "until": perf["until"],
            "calls": result["api_calls"],
            "simulator_calls": answered,
            "errors": result["errors"] + perf["errors"],
        }
        self.facts[label] = figures
        self.console.print()
        self.console.rule(f"[bold]{'1' if full else '2'}. {label.capitalize()} sync[/]", align="left")
        table = Table("", "objects / rows", "Graph calls", "time")
        table.add_row(
            "entities (" + result["mode"] + ")",
            f"{figures['campaigns']} campaigns, {figures['ad_sets']} ad sets, {figures['ads']} ads",
            str(entity_calls),
            f"{entity_ms / 1000:.1f} s",
        )
        table.add_row(
            f"performance {perf['since']}..{perf['until']}",
            f"{perf['campaigns']} campaign, {perf['ad_sets']} ad set, {perf['ads']} ad days",
            str(perf["api_calls"]),
            f"{perf['duration_ms'] / 1000:.1f} s",
        )
        self.console.print(table)
        if full:
            self._show_account(connection)
            self.console.print(
                f"Creative library: {figures['creatives']} creatives, {figures['images']} images, "
                f"{figures['videos']} videos (ad_creatives, ad_images, ad_videos; linked from ads by creative id)."
            )
        self.console.print(
            f"Graph calls: metasync made [bold]{result['api_calls']}[/], the simulator answered "
            f"[bold]{answered}[/] (its own count, GET /__sim/calls)."
        )
        if compare_to is not None:
            self.console.print(
                f"It asked Meta only for objects whose updated_time moved since the first sync: read "
                f"{objects(figures)} objects instead of {objects(compare_to)} (at this size one page per edge either "
                f"way; bench/bench_sync.py shows the calls saved on a 20,000-ad account). Performance re-read the "
                f"last {perf_days(perf)} days, where attribution still moves: {figures['performance_rows']} rows "
                f"instead of {compare_to['performance_rows']}."
            )
        if figures["errors"]:
            self.console.print(f"[yellow]{figures['errors']} objects or rows could not be stored (see sync_runs).[/]")
        return figures

    def _show_account(self, connection) -> None:
        from metasync.connections.account import stored_account
        from metasync.ops.status import account_line

        line = account_line(stored_account(connection))
        self.facts["account"] = line
        self.console.print(f"Ad account (read back from ad_accounts): {line}")

    def _show_campaigns(self, first: dict[str, Any]) -> None:
        from metasync.store.documents import MetaConnection

        currency = MetaConnection.objects(tenant_id=DEMO_TENANT).first().currency or ""
        rows = campaign_performance(self.db, DEMO_TENANT, first["since"], first["until"])
        table = Table(
            title=f"Campaigns, {first['since']} to {first['until']} (read back from MongoDB)", title_justify="left"
        )
        table.add_column("campaign")
        table.add_column("status")
        for header in (f"spend {currency}", "purchases", "leads", f"revenue {currency}", "ROAS"):
            table.add_column(header, justify="right")
        totals = _empty_row("total", rows[0]["exponent"] if rows else 2)
        totals["name"] = "total"
        for row in rows:
            for key in SUMMED:
                totals[key] += row[key]
            _add_campaign_row(table, row)
        table.add_section()
        _add_campaign_row(table, totals)
        self.console.print(table)
        self.facts["campaign_rows"] = len(rows)
        self.facts["totals"] = {key: totals[key] for key in SUMMED}

    # ---------------------------------------------------------------------------------------------- write-back
    def _write_back(self, connection, first: dict[str, Any]) -> None:
        from metasync.demo_writeback import show_write_back

        connection.reload()
        rows = campaign_performance(self.db, DEMO_TENANT, first["since"], first["until"])
        self.facts["write_back"] = show_write_back(self.console, self.db, connection, rows, first)

    def _show_breakdown(self, connection) -> None:
        from metasync.reports.definitions import find_report
        from metasync.reports.run import pull_report
        from metasync.reports.tables import summarize

        with self.console.status(f"report {DEMO_REPORT} ({DEMO_REPORT_PRESET}) ..."):
            result = pull_report(connection, find_report(DEMO_REPORT), DEMO_REPORT_PRESET, trigger="demo")
        headers, rows = summarize(DEMO_REPORT, DEMO_TENANT, result["since"], result["until"])
        table = Table(
            title=(
                f"Report {DEMO_REPORT}, {result['since']}: spend, purchases and ROAS by age and gender, 7-day click "
                f"vs 1-day view ({result['rows']} rows, {result['api_calls']} calls; read back from MongoDB)"
            ),
            title_justify="left",
        )
        for header in headers:
            table.add_column(header, justify="left" if header in ("age", "gender") else "right")
        for row in rows[:12]:
            table.add_row(*row)
        self.console.print(table)
        self.facts["report_rows"] = result["rows"]
        self.facts["report_calls"] = result["api_calls"]
        self.facts["report_lines"] = len(rows)

    # ---------------------------------------------------------------------------------------------- webhooks
    def _webhooks(self, connection, worker: CeleryWorker, first: dict[str, Any]) -> None:
        self.console.print()
        self.console.rule("[bold]3. Webhooks: a change in Meta, re-synced on its own[/]", align="left")
        with WebhookServer() as hooks:
            self.http.post(self.sim.url("/__sim/config"), json={"webhook_url": hooks.url}, timeout=10)
            campaign = self.db.campaigns.find_one(
                {"tenant_id": DEMO_TENANT, "effective_status": "ACTIVE"}, sort=[("meta_id", 1)]
            )
            ad = self.db.ads.find_one(
                {"tenant_id": DEMO_TENANT, "effective_status": "ACTIVE", "campaign_id": {"$ne": campaign["meta_id"]}},
                sort=[("meta_id", 1)],
            )
            if campaign is None or ad is None:
                raise DemoFailed("the simulated world has no active campaign and ad to change; try another --seed")
            new_name = f"{campaign['name']} (renamed {time.strftime('%H:%M:%S')})"
            before = self.sim_calls()["total"]
            changed_at = time.monotonic()
            answer = self.http.post(
                self.sim.url("/__sim/mutate"),
                timeout=30,
                json={
                    "actions": [
                        {"action": "rename", "id": campaign["meta_id"], "name": new_name, "notify": True},
                        {"action": "pause", "id": ad["meta_id"], "notify": True},
                    ]
                },
            ).json()
            for result in answer.get("results", []):
                delivery = result.get("webhook") or {}
                if delivery.get("status_code") != 200:
                    answer = delivery.get("response") or delivery.get("error")
                    raise DemoFailed(
                        f"the webhook app refused the delivery for {result.get('id')}: "
                        f"{delivery.get('status_code')} {answer}"
                    )
            self.console.print(
                f"In the simulated Meta: renamed campaign {campaign['meta_id']} to [bold]{new_name!r}[/] and paused "
                f"ad {ad['meta_id']}.\nMeta signed and POSTed a webhook for each to {hooks.url}; the app verified "
                f"X-Hub-Signature-256 and answered 200 (enqueued), a Celery worker re-read each object."
            )
            landed = self._wait_for(
                lambda: (
                    (self.db.campaigns.find_one({"_id": campaign["_id"]}) or {}).get("name") == new_name
                    and (self.db.ads.find_one({"_id": ad["_id"]}) or {}).get("effective_status") == "PAUSED"
                ),
                worker,
            )
            runs = self._wait_for_runs(connection, changed_at, worker)
        calls = self.sim_calls()["total"] - before
        run_calls = sum(run.get("api_calls") or 0 for run in runs)
        self.console.print(
            f"Arrived in MongoDB [bold]{landed:.1f} s[/] after the change: campaigns.name is the new name, "
            f"ads.effective_status is PAUSED.\nThe targeted re-sync read {len(runs)} objects with "
            f"[bold]{run_calls}[/] Graph calls (simulator: {calls}); a full entity sync reads all "
            f"{objects(first)} objects with {first['entity_calls']} calls here, "
            f"and that grows with the account (20,000 ads: 200+ calls)."
        )
        self.facts["webhooks"] = {
            "seconds": round(landed, 1),
            "graph_calls": run_calls,
            "simulator_calls": calls,
            "objects": len(runs),
            "full_sync_calls": first["entity_calls"],
        }

    def _wait_for(self, done, worker: CeleryWorker) -> float:
        started = time.monotonic()
        deadline = started + self.options.wait_seconds
        with self.console.status("waiting for the re-sync to land in MongoDB ..."):
            while not done():
                worker.check()
                if time.monotonic() > deadline:
                    raise DemoFailed(
                        f"the webhook re-sync did not reach MongoDB within "
                        f"{self.options.wait_seconds:.0f} s "
                        f"(worker log: {worker.log_path})"
                    )
                time.sleep(0.1)
        return time.monotonic() - started

    def _wait_for_runs(self, connection, since_monotonic: float, worker: CeleryWorker) -> list[dict]:
        """The ENTITY sync runs the webhooks caused, once both have finished (they record their calls)."""
        since = _utc_ago(time.monotonic() - since_monotonic + 1)
        deadline = time.monotonic() + self.options.wait_seconds
        while True:
            runs = list(
                self.db.sync_runs.find({"connection": connection.id, "kind": "ENTITY", "started_at": {"$gte": since}})
            )
            if len(runs) >= 2 and all(run.get("status") != "RUNNING" for run in runs):
                return runs
            worker.check()
            if time.monotonic() > deadline:
                raise DemoFailed(
                    f"the webhook re-syncs did not record their sync runs in time (worker log: {worker.log_path})"
                )
            time.sleep(0.1)

    # ---------------------------------------------------------------------------------------------- where
    def _where(self) -> None:
        from metasync.settings import get_settings, mask_url_password

        counts = tenant_counts(self.db, DEMO_TENANT)
        self.facts["documents"] = counts
        self.console.print()
        self.console.rule("[bold]Where the data lives[/]", align="left")
        self.console.print(
            f"MONGODB_URI {mask_url_password(get_settings().mongodb_uri)}: database {self.db.name!r} on {self.server}."
        )
        table = Table("collection", f"documents of tenant {DEMO_TENANT!r}")
        for name, count in counts.items():
            table.add_row(name, f"{count:,}")
        self.console.print(table)
        self.console.print(
            "Try: [cyan]metasync status --tenant demo[/] or, in mongosh, "
            "[cyan]db.performance_snapshots.find({tenant_id: 'demo', entity_type: 'CAMPAIGN'})[/] or "
            "[cyan]metasync reports show age_gender --tenant demo[/]. "
            "The next `metasync demo` replaces tenant 'demo'."
        )


def _add_campaign_row(table: Table, row: dict[str, Any]) -> None:
    exponent = row["exponent"]
    table.add_row(
        escape(row["name"] or row["id"]),
        row["status"] or "",
        money(row["spend"], exponent),
        f"{row['purchases']:,}",
        f"{row['leads']:,}",
        money(row["revenue"], exponent),
        roas(row["revenue"], row["spend"]),
    )


def large_account_calls() -> int:
    """The fewest calls a full entity sync of the issue's large account needs at the configured page size."""
    from metasync.settings import get_settings

    page = get_settings().meta_page_size
    return 1 + sum(-(-count // page) for count in (500, 5_000, 20_000))


def objects(figures: dict[str, Any]) -> int:
    return figures["campaigns"] + figures["ad_sets"] + figures["ads"]


def roas(revenue: int, spend: int) -> str:
    return f"{revenue / spend:.2f}" if spend else "-"


def perf_days(perf: dict[str, Any]) -> int:
    from datetime import date

    return (date.fromisoformat(perf["until"]) - date.fromisoformat(perf["since"])).days + 1


def _utc_ago(seconds: float):
    from datetime import timedelta

    from metasync.infra.clock import utcnow

    return utcnow() - timedelta(seconds=seconds)


class _ChildProcess:
    """A process of its own that the demo starts with this process's settings and stops; output goes to a log."""

    name = "child process"

    def __init__(self, argv: list[str]) -> None:
        self.argv = argv
        self._log = tempfile.NamedTemporaryFile(prefix="metasync-demo-", suffix=".log", delete=False)
        self.log_path = self._log.name
        self.process: subprocess.Popen | None = None

    def __enter__(self):
        self.process = subprocess.Popen(
            self.argv, env=dict(os.environ), stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT
        )
        return self

    def check(self) -> None:
        if self.process is not None and self.process.poll() is not None:
            raise DemoFailed(f"the {self.name} exited with code {self.process.returncode} (log: {self.log_path})")

    def __exit__(self, exc_type, *exc: Any) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()  # warm shutdown: finishes the request or task at hand
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        self._log.close()
        if exc_type is None:
            os.unlink(self.log_path)


class WebhookServer(_ChildProcess):
    """The webhook app as production runs it (`gunicorn webhooks.wsgi:app`), on a free loopback port."""

    name = "webhook app"
    READY_SECONDS = 30

    def __init__(self) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        super().__init__(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "1",
                "--threads",
                "4",
                "--timeout",
                "30",
                "webhooks.wsgi:app",
            ]
        )
        self.base_url = f"http://127.0.0.1:{port}"
        self.url = f"{self.base_url}/webhooks/meta"

    def __enter__(self) -> WebhookServer:
        super().__enter__()
        deadline = time.monotonic() + self.READY_SECONDS
        while True:
            self.check()
            try:
                requests.get(f"{self.base_url}/healthz", timeout=2)
                return self
            except requests.RequestException:
                if time.monotonic() > deadline:
                    raise DemoFailed(
                        f"the {self.name} did not answer within {self.READY_SECONDS} s (log: {self.log_path})"
                    ) from None
                time.sleep(0.2)


class CeleryWorker(_ChildProcess):
    """`celery -A metasync worker` (solo pool)."""

    name = "Celery worker"

    def __init__(self) -> None:
        super().__init__(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "metasync",
                "worker",
                "--pool=solo",
                "--concurrency=1",
                "--loglevel=WARNING",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                f"--hostname=metasync-demo-{os.getpid()}@%h",
            ]
        )


def run_demo(options: DemoOptions, console: Console | None = None) -> dict[str, Any]:
    """Run the demo; returns the figures it printed. Raises DemoFailed with a one-line reason."""
    return Demo(options, console).run()
