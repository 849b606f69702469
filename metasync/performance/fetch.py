"""Reading the ad account's insights edge: synchronous pages, or asynchronous report runs for heavy queries.

One level at a time, one `time_increment=1` query for the whole range: calls grow with pages, not with objects.
A range longer than the level's `sync_max_days`, or a synchronous query that Meta refuses as too much data (100 /
1487534) or that keeps failing or timing out, runs as an asynchronous report: POST the same query, poll the run,
then page its results. A report that fails, is skipped or stalls is started once more; if that fails too the query
is split, first by date range (halves), then, on a single day, by campaign (`campaign.id IN` chunks, then halves of
a chunk), until every part succeeds. All polling of one sync shares one time budget.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from metasync.graph.client import GraphClient
from metasync.graph.errors import GraphError, TooMuchDataError, TransientError, UnexpectedResponseError
from metasync.performance.dates import DateRange
from metasync.performance.rows import InsightsLevel, SnapshotWriter
from metasync.store.documents import MetaConnection

log = logging.getLogger(__name__)

# Insights rows are small and numerous: bigger pages than the entity edges (Meta halves them on request).
INSIGHTS_PAGE_SIZE = 500
REPORT_DONE, REPORT_FAILED = "Job Completed", ("Job Failed", "Job Skipped")


@dataclass
class ReportPolicy:
    """How long to wait for report runs; tests shrink these."""

    poll_seconds: float = 5.0
    stall_seconds: float = 600.0  # no progress for this long: the run is stalled
    run_max_seconds: float = 1800.0  # one run may take this long in all
    # Every report of one sync together; below the Celery soft time limit (55 min) so the run records its end.
    total_max_seconds: float = 2700.0
    campaign_chunk: int = 50  # campaign ids per filtered report when a single day must be split
    sleep: Callable[[float], None] = field(default=time.sleep)
    clock: Callable[[], float] = field(default=time.monotonic)


REPORT_POLICY = ReportPolicy()


class ReportFailed(GraphError):
    """A report run failed, was skipped or stalled: start it again, or split it."""


class ReportBudgetExceeded(TransientError):
    """The sync spent its whole waiting budget on report runs; the task retries later."""


def insights_params(level: InsightsLevel, window: DateRange, campaign_ids: list[str] | None = None) -> dict[str, Any]:
    params: dict[str, Any] = {
        "level": level.level,
        "fields": level.fields_param(),
        "time_range": window.as_param(),
        **level.query_params(),
        # Attribute conversions by each ad set's own setting, as Ads Manager does.
        "use_unified_attribution_setting": True,
    }
    if campaign_ids:
        params["filtering"] = [{"field": "campaign.id", "operator": "IN", "value": list(campaign_ids)}]
    return params


class InsightsFetcher:
    """Streams one account's insights rows into snapshot writers, choosing sync or async per query."""

    def __init__(self, client: GraphClient, token: str, connection: MetaConnection, policy: ReportPolicy | None = None):
        self.client = client
        self.token = token
        self.connection = connection
        self.policy = policy or REPORT_POLICY
        self.deadline = self.policy.clock() + self.policy.total_max_seconds

    @property
    def _account(self) -> str:
        return self.connection.ad_account_id

    def _log_extra(self, **fields) -> dict[str, Any]:
        return {"tenant_id": self.connection.tenant_id, "ad_account_id": self._account, **fields}

    def _pages(self, path: str, params: dict[str, Any]) -> Iterator[list[dict[str, Any]]]:
        return self.client.iter_edge_pages(
            self.token,
            path,
            params,
            user_id=self.connection.meta_user_id,
            account_id=self._account,
            page_size=INSIGHTS_PAGE_SIZE,
        )

    # --- one level ---------------------------------------------------------------------------------------------
    def fetch_level(self, level: InsightsLevel, window: DateRange, writer: SnapshotWriter) -> None:
        if window.days > level.sync_max_days:
            self.fetch_async(level, window, writer)
            return
        written_before = writer.result.written
        try:
            for page in self._pages(f"{self._account}/insights", insights_params(level, window)):
                writer.add_many(page)
        except (TooMuchDataError, TransientError) as exc:
            # The report returns the same rows again (upserts, so harmless): count them once, from the report.
            writer.flush()
            writer.result.written = written_before
            log.info(
                "synchronous %s insights for %s failed (%s); running an asynchronous report",
                level.level,
                window,
                exc.__class__.__name__,
                extra=self._log_extra(event="insights_async_fallback", level=level.level, window=str(window)),
            )
            self.fetch_async(level, window, writer)
        writer.flush()

    # --- asynchronous reports ----------------------------------------------------------------------------------
    def fetch_async(
        self, level: InsightsLevel, window: DateRange, writer: SnapshotWriter, campaign_ids: list[str] | None = None
    ) -> None:
        """Run the query as a report (twice at most), splitting it when both runs fail.

        Only the report's own failure (or "too much data") splits; a Graph outage propagates so the task retries
        later instead of multiplying calls against a failing API.
        """
        for attempt in (1, 2):
            try:
                report_id = self._start_report(level, window, campaign_ids)
                self._wait_for(report_id)
                for page in self._pages(f"{report_id}/insights", {}):
                    writer.add_many(page)
                writer.flush()
                return
            except TooMuchDataError:
                log.info(
                    "%s report for %s%s is too much data for Meta",
                    level.level,
                    window,
                    _campaigns_note(campaign_ids),
                    extra=self._log_extra(event="insights_too_much_data", level=level.level, window=str(window)),
                )
                break
            except ReportFailed as exc:
                log.warning(
                    "%s report for %s%s failed (attempt %d): %s",
                    level.level,
                    window,
                    _campaigns_note(campaign_ids),
                    attempt,
                    exc,
                    extra=self._log_extra(
                        event="insights_report_failed", level=level.level, window=str(window), attempt=attempt
                    ),
                )
        self._split(level, window, writer, campaign_ids)

    def _split(
        self, level: InsightsLevel, window: DateRange, writer: SnapshotWriter, campaign_ids: list[str] | None
    ) -> None:
        if window.days > 1:
            parts = [(half, campaign_ids) for half in window.halves()]
        elif campaign_ids is None:
            ids = self._campaign_ids(window)
            size = min(self.policy.campaign_chunk, max(1, (len(ids) + 1) // 2))
            parts = [(window, ids[i : i + size]) for i in range(0, len(ids), size)]
        elif len(campaign_ids) > 1:
            middle = len(campaign_ids) // 2
            parts = [(window, campaign_ids[:middle]), (window, campaign_ids[middle:])]
        else:
            # Nothing left to split: record it and go on; the next lookback pulls this day again.
            writer.note_error(
                f"{level.level} insights for campaign {campaign_ids[0]} on {window} could not be "
                f"fetched: every report run failed"
            )
            return
        log.info(
            "splitting the %s report for %s%s into %d parts",
            level.level,
            window,
            _campaigns_note(campaign_ids),
            len(parts),
            extra=self._log_extra(
                event="insights_report_split", level=level.level, window=str(window), parts=len(parts)
            ),
        )
        for part_window, part_ids in parts:
            self.fetch_async(level, part_window, writer, part_ids)

    def _campaign_ids(self, window: DateRange) -> list[str]:
        """Campaigns with delivery on these days: one light query, whole range, no daily rows."""
        params = {"level": "campaign", "fields": "campaign_id", "time_range": window.as_param()}
        ids = [
            str(row["campaign_id"])
            for page in self._pages(f"{self._account}/insights", params)
            for row in page
            if isinstance(row, dict) and row.get("campaign_id")
        ]
        return sorted(set(ids))

    def _start_report(self, level: InsightsLevel, window: DateRange, campaign_ids: list[str] | None) -> str:
        self._check_budget()
        payload = self.client.request(
            "POST",
            f"{self._account}/insights",
            self.token,
            data=insights_params(level, window, campaign_ids),
            user_id=self.connection.meta_user_id,
            account_id=self._account,
        )
        report_id = payload.get("report_run_id") if isinstance(payload, dict) else None
        if not report_id:
            raise UnexpectedResponseError("insights report started without a report_run_id")
        log.info(
            "%s report %s started for %s%s",
            level.level,
            report_id,
            window,
            _campaigns_note(campaign_ids),
            extra=self._log_extra(
                event="insights_report_started", level=level.level, window=str(window), report_run_id=str(report_id)
            ),
        )
        return str(report_id)

    def _wait_for(self, report_id: str) -> None:
        """Poll until the run completes; ReportFailed when it fails, is skipped, stalls or takes too long."""
        policy = self.policy
        started = last_progress = policy.clock()
        best = -1
        while True:
            status = self.client.fetch_node(
                self.token,
                report_id,
                {"fields": "async_status,async_percent_completion"},
                user_id=self.connection.meta_user_id,
                account_id=self._account,
            )
            state = str(status.get("async_status") or "")
            percent = _percent(status.get("async_percent_completion"))
            if state == REPORT_DONE and percent >= 100:
                return
            if state in REPORT_FAILED:
                raise ReportFailed(f"report {report_id}: {state}")
            now = policy.clock()
            if percent > best:
                best, last_progress = percent, now
                log.info(
                    "report %s: %s, %d%%",
                    report_id,
                    state or "unknown",
                    percent,
                    extra=self._log_extra(event="insights_report_progress", report_run_id=report_id, percent=percent),
                )
            if now - last_progress > policy.stall_seconds:
                raise ReportFailed(f"report {report_id} stalled at {best}% ({state})")
            if now - started > policy.run_max_seconds:
                raise ReportFailed(f"report {report_id} still {state} at {best}% after {policy.run_max_seconds:.0f}s")
            self._check_budget()
            policy.sleep(policy.poll_seconds)

    def _check_budget(self) -> None:
        if self.policy.clock() > self.deadline:
            raise ReportBudgetExceeded(
                f"insights reports for {self._account} took longer than {self.policy.total_max_seconds:.0f}s in all"
            )


def _percent(value: Any) -> int:
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return 0


def _campaigns_note(campaign_ids: list[str] | None) -> str:
    return f" ({len(campaign_ids)} campaigns)" if campaign_ids else ""
