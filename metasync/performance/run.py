"""One performance sync of one connection: pick the days, fetch every level, record a SyncRun."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from metasync.connections.account import refresh_account_details
from metasync.connections.tokens import ensure_connection_access_token
from metasync.graph.client import GraphClient, default_client
from metasync.infra.clock import as_utc, utcnow
from metasync.performance.dates import DateRange, local_midnight, local_today, parse_date_request
from metasync.performance.fetch import InsightsFetcher
from metasync.performance.rows import LEVELS, InsightsLevel, SnapshotContext, SnapshotWriter
from metasync.runs.lifecycle import recorded_run
from metasync.settings import get_settings
from metasync.store.documents import MetaConnection

KIND = "PERFORMANCE"
# Days every scheduled run pulls: today, yesterday and the day before, where numbers move the most.
RECENT_DAYS = 3

Progress = Callable[[str, int], None]
# Given the account-local today: the days to pull, and whether that is the full lookback window.
WindowChooser = Callable[[MetaConnection, date], tuple[DateRange, bool]]


@dataclass(frozen=True)
class InsightsJob:
    """What one kind of insights run pulls and where it writes: the daily snapshots, or a report's rows."""

    kind: str  # the SyncRun kind
    levels: Sequence[InsightsLevel]
    writer: Callable[[InsightsLevel, SnapshotContext, Progress | None], SnapshotWriter]
    # Called once the pull succeeded: (connection, the run's start when the full lookback window was pulled).
    record_done: Callable[[MetaConnection, datetime | None], None]


def sync_all_performance_data(
    connection: MetaConnection,
    date_preset: str | None = "last_7d",
    since: str | date | None = None,
    until: str | date | None = None,
    client: GraphClient | None = None,
    trigger: str = "manual",
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Fetch daily insights for the ad account and every campaign, ad set and ad over a preset (default last_7d)
    or since/until.

    An explicit since/until wins over the preset. Invalid input raises InvalidDateRange before any call. Returns
    the snapshots written per level (`accounts`, `campaigns`, `ad_sets`, `ads`) with since, until, errors, api_calls and
    duration_ms (and `lookback`: False); raises SyncFailed, with the connection marked EXPIRED or ERROR, when Meta
    refuses the token or the permission.
    """
    return run_for_dates(connection, DAILY_SNAPSHOTS, date_preset, since, until, client, trigger, progress)


def run_for_dates(
    connection: MetaConnection,
    job: InsightsJob,
    date_preset: str | None,
    since: str | date | None,
    until: str | date | None,
    client: GraphClient | None,
    trigger: str,
    progress: Progress | None,
    target: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """`job` over a preset or since/until (checked before any call), recorded with what was asked."""
    request = parse_date_request(date_preset, since, until)
    asked = {"date_preset": date_preset, "since": since and str(since), "until": until and str(until)}
    return run_insights_job(
        connection,
        job,
        lambda _connection, today: (request.resolve(today), False),
        client,
        trigger,
        progress,
        target={**(target or {}), **{key: value for key, value in asked.items() if value}},
    )


def sync_scheduled_performance(
    connection: MetaConnection, client: GraphClient | None = None, trigger: str = "task"
) -> dict[str, Any]:
    """The scheduled performance sync, applying the attribution lookback policy.

    Meta keeps revising a day's numbers for up to 28 days (attribution), so stored days must be pulled again until
    they settle, without pulling four weeks of rows every hour:

    - every run pulls the last RECENT_DAYS account-local days (today, yesterday, the day before);
    - the first run of each account-local day instead pulls the full window, today back to
      PERFORMANCE_LOOKBACK_DAYS (default 28) days ago. "Done today" is read from the stored connection
      (`performance_lookback_started_at`, set when a full pull succeeds: SUCCESS or PARTIAL, compared with the
      account's local midnight), so it survives restarts and a failed full pull is simply tried again on the next run.

    On an hourly schedule that is one full pull (29 days with the default) and 23 three-day pulls per account per
    day; each pull is a handful of paginated calls per level, and long windows run as asynchronous reports.

    Returns the same counts as `sync_all_performance_data`, plus `lookback` (True when the full window was pulled).
    """
    return run_insights_job(connection, DAILY_SNAPSHOTS, _scheduled_window, client, trigger, None)


def _scheduled_window(connection: MetaConnection, today: date) -> tuple[DateRange, bool]:
    return scheduled_window(
        connection, today, lookback_due(connection, today), get_settings().performance_lookback_days
    )


def lookback_due(connection: MetaConnection, today: date) -> bool:
    """No full lookback pull of this connection has completed since the account's local midnight."""
    return lookback_due_since(connection.performance_lookback_started_at, today, connection.timezone_name)


def lookback_due_since(done_at: datetime | None, today: date, timezone_name: str | None) -> bool:
    """The last full pull (started at `done_at`, None: never) began before the account's local midnight."""
    done = as_utc(done_at)
    return done is None or done < local_midnight(today, timezone_name)


def scheduled_window(connection: MetaConnection, today: date, full: bool, lookback_days: int) -> tuple[DateRange, bool]:
    """The lookback policy's days: the whole window when `full`, else the last RECENT_DAYS."""
    if full:
        return DateRange(today - timedelta(days=lookback_days), today), True
    return DateRange(today - timedelta(days=RECENT_DAYS - 1), today), False


def run_insights_job(
    connection: MetaConnection,
    job: InsightsJob,
    choose: WindowChooser,
    client: GraphClient | None,
    trigger: str,
    progress: Progress | None,
    target: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One recorded run of `job` over the chosen days: token, account details, every level, errors, the end."""
    # A caller's client (the entity sync's scoped one) is used as is, so its call count includes ours.
    client = client or default_client().scoped()
    writers: dict[str, SnapshotWriter] = {}
    with recorded_run(connection, job.kind, trigger, client, target=target) as run:
        run.counts = _counts(job, writers)
        run.live_counts = lambda: _counts(job, writers)  # rows written so far count, also when the run fails
        token = ensure_connection_access_token(connection, client)
        if not connection.currency or not connection.timezone_name:
            refresh_account_details(client, token, connection)
        window, full = choose(connection, local_today(connection.timezone_name))
        run.record.update(set__full=full)
        run.counts.update(since=str(window.since), until=str(window.until))
        _fetch_levels(client, token, connection, window, run.started_at, progress, job, writers)
        run.add_errors(
            sum(w.result.errors for w in writers.values()), [m for w in writers.values() for m in w.result.messages]
        )
        job.record_done(connection, run.started_at if full else None)
        run.extra["lookback"] = full
    return run.result()


def _fetch_levels(
    client: GraphClient,
    token: str,
    connection: MetaConnection,
    window: DateRange,
    now: datetime,
    progress: Progress | None,
    job: InsightsJob,
    writers: dict[str, SnapshotWriter],
) -> None:
    """The job's rows for the window, level by level, into `writers` (filled as it goes, so a failure can count)."""
    ctx = SnapshotContext.of(connection, now)
    fetcher = InsightsFetcher(client, token, connection)
    for level in job.levels:
        writers[level.count_key] = writer = job.writer(level, ctx, progress)
        fetcher.fetch_level(level, window, writer)


def _record_performance_synced(connection: MetaConnection, lookback_started_at: datetime | None) -> None:
    """When performance last synced, and (after a full-window pull) when the day's lookback was done."""
    lookback = {"set__performance_lookback_started_at": lookback_started_at} if lookback_started_at else {}
    MetaConnection.objects(id=connection.id).update_one(
        set__last_performance_synced_at=utcnow(), set__updated_at=utcnow(), **lookback
    )
    if lookback_started_at:
        connection.performance_lookback_started_at = lookback_started_at


def _counts(job: InsightsJob, writers: dict[str, SnapshotWriter]) -> dict[str, int]:
    return {
        level.count_key: writers[level.count_key].result.written if level.count_key in writers else 0
        for level in job.levels
    }


# The daily snapshots of every level (defined last: it names the functions above).
DAILY_SNAPSHOTS = InsightsJob(KIND, LEVELS, SnapshotWriter, _record_performance_synced)
