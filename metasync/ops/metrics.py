"""What `/metrics` shows: a Prometheus collector that reads shared state at scrape time, never per-process counts.

Counters come from Redis (`infra/counters.py`, written by every web and Celery process), freshness and the
connections and changes by status from MongoDB, queue depth from the broker. Any web worker answering a scrape
reads the same stores, so every scrape shows the same numbers whichever process answers. A store that does not
answer leaves out its families and shows `metasync_metrics_source_up{source=...} 0`; the rest is still served.

Cost per scrape: about a dozen Redis reads (one `HGETALL` per counter, a `SCAN` of the account pauses), one read
of `meta_connections` (one small document per connection, six fields), one `$in` read by `_id` of their latest
runs (per 1,000 ids), one `$group` over `changes` by status, and one `LLEN` per queue and priority (Redis) or one
passive `queue_declare` (RabbitMQ).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import redis
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector

from metasync.graph.ratelimit import RateLimiter
from metasync.infra.clock import as_utc, utcnow
from metasync.infra.counters import parse_labels, totals
from metasync.infra.histograms import RUN_DURATION_BUCKETS, histograms
from metasync.infra.queues import queue_lengths
from metasync.runs.heartbeat import ALIVE_KEY
from metasync.store.changes import CHANGE_STATUSES, Change
from metasync.store.documents import CONNECTION_STATUSES, MetaConnection, SyncRun

log = logging.getLogger(__name__)

# (counter in Redis, Prometheus family without `_total`, help, labels): the families built from shared counters.
COUNTERS = (
    (
        "runs",
        "metasync_runs",
        "Runs finished, by kind and outcome (success, partial, failed, crashed).",
        ("kind", "outcome"),
    ),
    (
        "graph_calls",
        "metasync_graph_calls",
        "Graph API HTTP calls (retries included) by edge and outcome (ok, or the error: rate_limited, transient, ...).",
        ("edge", "outcome"),
    ),
    ("rate_limit_waits", "metasync_rate_limit_waits", "Times a call waited for the user's rate-limit budget.", ()),
    (
        "rate_limit_wait_seconds",
        "metasync_rate_limit_wait_seconds",
        "Seconds calls waited for the user's rate-limit budget.",
        (),
    ),
    (
        "rate_limit_refusals",
        "metasync_rate_limit_refusals",
        "Calls given up locally because the budget would take too long to refill (the task retries later).",
        (),
    ),
    (
        "account_pauses",
        "metasync_account_pauses",
        "Ad account pauses set, by cause (usage: Meta's usage headers past the threshold; throttled: Meta refused).",
        ("cause",),
    ),
    (
        "webhook_deliveries",
        "metasync_webhook_deliveries",
        "Webhook deliveries by result (accepted, duplicate, rejected) and the rejection reason.",
        ("result", "reason"),
    ),
    (
        "webhook_changes",
        "metasync_webhook_changes",
        "Object changes in webhook deliveries by outcome (enqueued, duplicate, ignored, invalid).",
        ("outcome",),
    ),
    ("report_pulls", "metasync_report_pulls", "Report pulls finished, by report and outcome.", ("report", "outcome")),
)
FRESHNESS_FIELDS = (("entities", "last_synced_at"), ("performance", "last_performance_synced_at"))
FINISHED_STATUSES = {"SUCCESS": 1, "PARTIAL": 1, "FAILED": 0, "CRASHED": 0}
ID_BATCH = 1000  # ids per `$in` read (the most FerretDB serves from the `_id` index)


@dataclass
class MetricsSources:
    """Where a scrape reads: the shared Redis, the broker and its queues (MongoDB is mongoengine's connection)."""

    redis: redis.Redis
    broker_url: str
    queues: tuple[str, ...]
    broker_timeout: float


class MetasyncCollector(Collector):
    def __init__(self, sources: MetricsSources):
        self.sources = sources

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily(
            "metasync_metrics_source_up", "1 when the scrape could read this store, else 0.", labels=["source"]
        )
        for source, read in (
            ("redis", self._from_redis),
            ("mongodb", self._from_mongodb),
            ("broker", self._from_broker),
        ):
            families = _guarded(source, read)
            up.add_metric([source], 0 if families is None else 1)
            yield from families or []
        yield up

    # --- Redis: counters, run durations, pauses, runs in progress ----------------------------------------------
    def _from_redis(self) -> list[Metric]:
        client = self.sources.redis
        out: list[Metric] = []
        for name, family, help_text, labels in COUNTERS:
            metric = CounterMetricFamily(family, help_text, labels=list(labels))
            for field, value in sorted(totals(name, client).items()):
                found = parse_labels(field)
                metric.add_metric([found.get(label, "") for label in labels], value)
            out.append(metric)
        durations = HistogramMetricFamily(
            "metasync_run_duration_seconds", "Run durations in seconds, by kind.", labels=["kind"]
        )
        for labels, (buckets, total) in sorted(
            histograms("run_duration_seconds", RUN_DURATION_BUCKETS, client).items()
        ):
            durations.add_metric([dict(labels).get("kind", "")], buckets, total)
        out.append(durations)
        paused = RateLimiter(1, client=client).paused_accounts()
        out.append(GaugeMetricFamily("metasync_paused_accounts", "Ad accounts paused by rate limits now.", len(paused)))
        remaining = GaugeMetricFamily(
            "metasync_account_pause_seconds",
            "Seconds left on an ad account's rate-limit pause.",
            labels=["ad_account_id"],
        )
        for account, seconds in sorted(paused.items()):
            remaining.add_metric([account], seconds)
        out.append(remaining)
        out.append(GaugeMetricFamily("metasync_runs_running", "Runs in progress (beating).", client.zcard(ALIVE_KEY)))
        return out

    # --- MongoDB: connections, freshness, latest runs, changes --------------------------------------------------
    def _from_mongodb(self) -> list[Metric]:
        fields = ("tenant_id", "ad_account_id", "status", "latest_runs", *(f for _, f in FRESHNESS_FIELDS))
        connections = sorted(
            MetaConnection.objects.only(*fields).no_cache().as_pymongo(),
            key=lambda d: (d.get("tenant_id", ""), d.get("ad_account_id", "")),
        )
        return [*_connection_families(connections), _latest_run_family(connections), _changes_family()]

    # --- the broker: queue depth --------------------------------------------------------------------------------
    def _from_broker(self) -> list[Metric]:
        s = self.sources
        depth = GaugeMetricFamily("metasync_queue_messages", "Messages waiting in the broker queue.", labels=["queue"])
        for queue, n in queue_lengths(s.broker_url, list(s.queues), s.broker_timeout).items():
            depth.add_metric([queue], n)
        return [depth]


def _connection_families(connections: list[dict]) -> list[Metric]:
    """Connections by status, and each one's age since its last successful entity and performance sync."""
    by_status = dict.fromkeys(CONNECTION_STATUSES, 0)
    freshness = GaugeMetricFamily(
        "metasync_sync_age_seconds",
        "Seconds since the connection's last successful sync, by kind (entities, performance); absent if never.",
        labels=["tenant_id", "ad_account_id", "kind"],
    )
    now = utcnow()
    for doc in connections:
        status = doc.get("status", "ACTIVE")
        by_status[status] = by_status.get(status, 0) + 1
        for kind, field in FRESHNESS_FIELDS:
            if doc.get(field):
                age = max(0.0, (now - as_utc(doc[field])).total_seconds())
                freshness.add_metric([doc.get("tenant_id", ""), doc.get("ad_account_id", ""), kind], age)
    status_gauge = GaugeMetricFamily("metasync_connections", "Connections by status.", labels=["status"])
    for status, n in by_status.items():
        status_gauge.add_metric([status], n)
    return [status_gauge, freshness]


def _latest_run_family(connections: list[dict]) -> Metric:
    """Whether each connection's latest finished run of each kind succeeded: its `latest_runs` ids, read by `_id`
    in batches (a run still RUNNING is left out until it ends)."""
    wanted = [(doc, kind, run_id) for doc in connections for kind, run_id in (doc.get("latest_runs") or {}).items()]
    statuses: dict = {}
    ids = [run_id for _, _, run_id in wanted if run_id is not None]
    for start in range(0, len(ids), ID_BATCH):
        for run in SyncRun.objects(id__in=ids[start : start + ID_BATCH]).only("status").no_cache().as_pymongo():
            statuses[run["_id"]] = run.get("status")
    gauge = GaugeMetricFamily(
        "metasync_last_run_succeeded",
        "1 when the connection's latest run of this kind ended SUCCESS or PARTIAL, 0 when FAILED or CRASHED.",
        labels=["tenant_id", "ad_account_id", "kind"],
    )
    for doc, kind, run_id in wanted:
        status = statuses.get(run_id)
        if status in FINISHED_STATUSES:
            gauge.add_metric([doc.get("tenant_id", ""), doc.get("ad_account_id", ""), kind], FINISHED_STATUSES[status])
    return gauge


def _changes_family() -> Metric:
    """Write-back changes by status: one `$group` over `changes` (a scan on FerretDB, see docs/ferretdb.md)."""
    changes = dict.fromkeys(CHANGE_STATUSES, 0)
    for row in Change.objects.aggregate([{"$group": {"_id": "$status", "n": {"$sum": 1}}}]):
        changes[str(row["_id"])] = row["n"]
    gauge = GaugeMetricFamily("metasync_changes", "Write-back changes by status.", labels=["status"])
    for status, n in changes.items():
        gauge.add_metric([status], n)
    return gauge


def _guarded(source: str, read: Callable[[], list[Metric]]) -> list[Metric] | None:
    try:
        return read()
    except Exception as exc:  # a store that is down must not take the other families with it
        log.warning(
            "metrics: %s not readable (%s)",
            source,
            exc.__class__.__name__,
            extra={"event": "metrics_source_down", "source": source},
        )
        return None
