"""One performance sync of one connection: pick the days, fetch every level, record a SyncRun."""

from __future__ import annotations

import logging
import time
from datetime import date, datetime, timedelta
from typing import Any, Callable

from metasync.graph.client import GraphClient, default_client
from metasync.graph.errors import GraphPermissionError, TokenError
from metasync.store.documents import MetaConnection, SyncRun, as_utc, utcnow
from metasync.performance.dates import DateRange, local_midnight, local_today, parse_date_request
from metasync.performance.fetch import InsightsFetcher
from metasync.performance.rows import LEVELS, SnapshotContext, SnapshotWriter
from metasync.settings import get_settings
from metasync.entities.sync import SyncFailed, now_ms, refresh_account_details
from metasync.connections.tokens import ensure_connection_access_token

log = logging.getLogger(__name__)

KIND = "PERFORMANCE"
# Days every scheduled run pulls: today, yesterday and the day before, where numbers move the most.
RECENT_DAYS = 3
MAX_STORED_ERRORS = 20

Progress = Callable[[str, int], None]
# Given the account-local today: the days to pull, and whether that is the full lookback window.
WindowChooser = Callable[[MetaConnection, date], tuple[DateRange, bool]]


def sync_all_performance_data(connection: MetaConnection, date_preset: str | None = "last_7d",
                              since: str | date | None = None, until: str | date | None = None,
                              client: GraphClient | None = None, trigger: str = "manual",
                              progress: Progress | None = None) -> dict[str, Any]:
    """Fetch daily insights for every campaign, ad set and ad over a preset (default last_7d) or since/until.

    An explicit since/until wins over the preset. Invalid input raises InvalidDateRange before any call. Returns
    the snapshots written per level (`campaigns`, `ad_sets`, `ads`) with since, until, errors, api_calls and
    duration_ms (and `lookback`: False); raises SyncFailed, with the connection marked EXPIRED or ERROR, when Meta
    refuses the token or the permission.
    """
    request = parse_date_request(date_preset, since, until)
    return _run(connection, lambda _connection, today: (request.resolve(today), False), client, trigger, progress)


def sync_scheduled_performance(connection: MetaConnection, client: GraphClient | None = None,
                               trigger: str = "task") -> dict[str, Any]:
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
    return _run(connection, _scheduled_window, client, trigger, None)


def _scheduled_window(connection: MetaConnection, today: date) -> tuple[DateRange, bool]:
    if lookback_due(connection, today):
        return DateRange(today - timedelta(days=get_settings().performance_lookback_days), today), True
    return DateRange(today - timedelta(days=RECENT_DAYS - 1), today), False


def lookback_due(connection: MetaConnection, today: date) -> bool:
    """No full lookback pull of this connection has completed since the account's local midnight."""
    done = as_utc(connection.performance_lookback_started_at)
    return done is None or done < local_midnight(today, connection.timezone_name)


def _run(connection: MetaConnection, choose: WindowChooser, client: GraphClient | None, trigger: str,
         progress: Progress | None) -> dict[str, Any]:
    # A caller's client (the entity sync's scoped one) is used as is, so its call count includes ours.
    client = client or default_client().scoped()
    calls_before = client.calls
    started = time.monotonic()
    now = now_ms()
    run = SyncRun.begin(connection, KIND, trigger, now)
    writers: dict[str, SnapshotWriter] = {}
    window, full = None, False

    def outcome() -> dict[str, Any]:
        return _result(connection, writers, window, started, client.calls - calls_before)

    try:
        token = ensure_connection_access_token(connection, client)
        if not connection.currency or not connection.timezone_name:
            refresh_account_details(client, token, connection)
        window, full = choose(connection, local_today(connection.timezone_name))
        run.update(set__full=full, set__counts={"since": str(window.since), "until": str(window.until)})
        log.info("performance sync started", extra=_log_fields(connection, event="performance_started",
                                                                window=str(window), lookback=full))
        _fetch_levels(client, token, connection, window, now, progress, writers)
    except TokenError as exc:
        connection.mark("EXPIRED", f"access token rejected by Meta: {exc.message or exc}")
        _finish_failed(run, connection, outcome(), exc)
        raise SyncFailed(f"access token expired or invalid for {connection.ad_account_id}; re-authenticate",
                         str(connection.id), outcome()) from exc
    except GraphPermissionError as exc:
        connection.mark("ERROR", f"permission denied by Meta: {exc.message or exc}")
        _finish_failed(run, connection, outcome(), exc)
        raise SyncFailed(f"permission denied for {connection.ad_account_id}: {exc.message}", str(connection.id),
                         outcome()) from exc
    except BaseException as exc:
        _finish_failed(run, connection, outcome(), exc)
        raise

    result = {**outcome(), "lookback": full}
    _finish_succeeded(run, connection, writers, window, result)
    return result


def _fetch_levels(client: GraphClient, token: str, connection: MetaConnection, window: DateRange, now: datetime,
                  progress: Progress | None, writers: dict[str, SnapshotWriter]) -> None:
    """Campaign, ad-set and ad rows for the window, into `writers` (filled as it goes, so a failure can count)."""
    ctx = SnapshotContext(tenant_id=connection.tenant_id, connection_id=connection.id,
                          ad_account_id=connection.ad_account_id, currency=connection.currency,
                          timezone_name=connection.timezone_name, now=now)
    fetcher = InsightsFetcher(client, token, connection)
    for level in LEVELS:
        writers[level.count_key] = writer = SnapshotWriter(level, ctx, progress)
        fetcher.fetch_level(level, window, writer)


def _finish_succeeded(run: SyncRun, connection: MetaConnection, writers: dict[str, SnapshotWriter],
                      window: DateRange, result: dict[str, Any]) -> None:
    messages = [m for writer in writers.values() for m in writer.result.messages]
    lookback = {"set__performance_lookback_started_at": run.started_at} if result["lookback"] else {}
    MetaConnection.objects(id=connection.id).update_one(set__last_performance_synced_at=utcnow(),
                                                        set__updated_at=utcnow(), **lookback)
    if result["lookback"]:
        connection.performance_lookback_started_at = run.started_at
    run.update(set__status="PARTIAL" if result["errors"] else "SUCCESS", set__finished_at=utcnow(),
               set__duration_ms=result["duration_ms"], set__counts=_counts(writers, window),
               set__api_calls=result["api_calls"], set__error_count=result["errors"],
               set__errors=messages[:MAX_STORED_ERRORS])
    log.info("performance sync finished", extra=_log_fields(
        connection, event="performance_finished", window=str(window), lookback=result["lookback"],
        errors=result["errors"], api_calls=result["api_calls"], duration_ms=result["duration_ms"],
        **_counts(writers, None)))


def _counts(writers: dict[str, SnapshotWriter], window: DateRange | None) -> dict[str, Any]:
    counts: dict[str, Any] = {level.count_key: writers[level.count_key].result.written if level.count_key in writers
                              else 0 for level in LEVELS}
    if window is not None:
        counts.update(since=str(window.since), until=str(window.until))
    return counts


def _result(connection: MetaConnection, writers: dict[str, SnapshotWriter], window: DateRange | None,
            started: float, api_calls: int) -> dict[str, Any]:
    return {
        "connection_id": str(connection.id),
        "tenant_id": connection.tenant_id,
        "ad_account_id": connection.ad_account_id,
        **_counts(writers, window),
        "errors": sum(writer.result.errors for writer in writers.values()),
        "duration_ms": int((time.monotonic() - started) * 1000),
        "api_calls": api_calls,
    }


def _finish_failed(run: SyncRun, connection: MetaConnection, result: dict[str, Any], exc: BaseException) -> None:
    counts = {key: result[key] for key in ("campaigns", "ad_sets", "ads", "since", "until") if key in result}
    run.update(set__status="FAILED", set__finished_at=utcnow(), set__duration_ms=result["duration_ms"],
               set__counts=counts, set__api_calls=result["api_calls"], set__error_count=1,
               set__errors=[f"{exc.__class__.__name__}: {exc}"[:500]])
    log.error("performance sync failed: %s", exc.__class__.__name__,
              extra=_log_fields(connection, event="performance_failed", error=str(exc)[:300]))


def _log_fields(connection: MetaConnection, **fields) -> dict[str, Any]:
    return {"tenant_id": connection.tenant_id, "ad_account_id": connection.ad_account_id,
            "connection_id": str(connection.id), **fields}
