"""Async insights reports: POST /act_X/insights starts a report run, polls of the run node advance it, and a
completed run answers its rows at /<run id>/insights."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import NoReturn

from .call import Call
from .config import SimConfig
from .errors import SimulatedGraphError, nonexisting_field
from .faults import Faults
from .insights_query import InsightsQuery
from .paging import Pager
from .rendering import select_fields
from .world import World

REPORT_FIELDS = (
    "id",
    "account_id",
    "async_status",
    "async_percent_completion",
    "date_start",
    "date_stop",
    "time_ref",
    "time_completed",
    "is_running",
    "emails",
    "friendly_name",
    "is_bookmarked",
    "schedule_id",
)


class ReportRun:
    def __init__(self, run_id: str, account: dict, query: InsightsQuery, fail: bool, polls_needed: int) -> None:
        self.id = run_id
        self.account = account
        self.query = query
        self.fail = fail
        self.polls_needed = max(1, polls_needed)
        self.polls = 0
        self.created = int(time.time())
        self.completed_at = 0
        self.status = "Job Not Started"
        self.percent = 0

    def advance(self) -> None:
        self.polls += 1
        k, n = self.polls, self.polls_needed
        if k >= n:
            if self.fail:
                self.status, self.percent = "Job Failed", max(self.percent, 0)
            else:
                self.status, self.percent = "Job Completed", 100
            if not self.completed_at:
                self.completed_at = int(time.time())
        elif k <= 1:
            self.status, self.percent = "Job Not Started", 0
        elif k == 2:
            self.status, self.percent = "Job Started", (k - 1) * 100 // n
        else:
            self.status, self.percent = "Job Running", (k - 1) * 100 // n

    def node(self) -> dict:
        return {
            "id": self.id,
            "account_id": self.account["account_id"],
            "async_status": self.status,
            "async_percent_completion": self.percent,
            "date_start": self.query.date_start,
            "date_stop": self.query.date_stop,
            "time_ref": self.created,
            "time_completed": self.completed_at,
            "is_running": self.status not in ("Job Completed", "Job Failed", "Job Skipped"),
            "emails": [],
            "friendly_name": "",
            "is_bookmarked": False,
            "schedule_id": "0",
        }


@dataclass(eq=False)
class ReportRuns:
    """The report runs of a simulator by id, and the Graph handlers for them."""

    world: World
    config: SimConfig
    faults: Faults
    pager: Pager

    def __post_init__(self) -> None:
        self.lock = threading.Lock()
        self._runs: dict[str, ReportRun] = {}
        self._next_id = 6_020_000_000_000_000 + (self.config.seed % 997) * 1_000_000

    def get(self, run_id: str) -> ReportRun | None:
        return self._runs.get(run_id)

    def __contains__(self, run_id: str) -> bool:
        return run_id in self._runs

    def nodes(self) -> dict:
        return {rid: r.node() for rid, r in self._runs.items()}

    # -------------------------------------------------------------- handlers
    def create(self, call: Call) -> dict:
        """POST /act_X/insights: the query is checked now, its rows are served once the run completes."""
        account = call.require_target()
        query = self.world.insights.build_query(account, account, call.params)
        fail = self.faults.take_report_failure()
        with self.lock:
            self._next_id += 7
            run_id = str(self._next_id)
            self._runs[run_id] = ReportRun(run_id, account, query, fail, self.config.report_polls)
        return {"report_run_id": run_id}

    def node(self, call: Call) -> dict:
        run = call.target
        with self.lock:
            run.advance()
            node = run.node()
        return select_fields(node, call.params.get("fields", ""), "AdReportRun", REPORT_FIELDS)

    def insights(self, call: Call) -> dict:
        run = call.target
        if run.status == "Job Failed":
            raise SimulatedGraphError(2601, "(#2601) Error accessing adreport job.")
        if run.status != "Job Completed":
            raise SimulatedGraphError(
                100,
                f"(#100) The report run {run.id} is not finished yet (async_status: "
                f"{run.status}); poll it until async_status is Job Completed",
            )
        limit = self.pager.limit(call)
        return self.pager.insights_page(call, self.world.insights, run.query, limit)

    @staticmethod
    def reject_edge(call: Call) -> NoReturn:
        raise nonexisting_field(call.edge, "AdReportRun")
