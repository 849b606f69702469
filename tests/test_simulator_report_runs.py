"""Async report runs over HTTP: their lifecycle, their rows, failing runs."""

from __future__ import annotations

from datetime import date, timedelta

from tests.simulator_helpers import (
    ACT,
    BASE_CONFIG,
    TODAY,
    TOKEN,
    err,
    get,
    insights_rows,
    ok,
    page_all,
    server_fixture,
    session_fixture,
)

fresh = server_fixture(BASE_CONFIG, scope="function")
http = session_fixture()


def test_async_report_lifecycle(fresh, http):
    ok(http.post(fresh.url("/__sim/config"), json={"max_sync_insights_rows": 50, "report_polls": 4}))
    params = {
        "level": "ad",
        "time_increment": "1",
        "date_preset": "last_7d",
        "fields": "ad_id,spend,actions",
        "access_token": TOKEN,
    }
    run_id = ok(http.post(f"{fresh.graph_url}/{ACT}/insights", data=params))["report_run_id"]
    assert run_id.isdigit()
    statuses = []
    for _ in range(6):
        node = ok(get(http, fresh, run_id, fields="async_status,async_percent_completion,date_start,date_stop"))
        statuses.append((node["async_status"], node["async_percent_completion"]))
        if node["async_status"] == "Job Completed":
            break
    assert [s for s, _ in statuses] == ["Job Not Started", "Job Started", "Job Running", "Job Completed"]
    pcts = [p for _, p in statuses]
    assert pcts == sorted(pcts) and pcts[-1] == 100
    assert node["date_start"] == (date.fromisoformat(TODAY) - timedelta(days=7)).isoformat()
    rows, pages = page_all(http, fresh, f"{run_id}/insights", limit=25)
    assert len(pages) > 1 and all(set(r) >= {"ad_id", "spend", "date_start"} for r in rows)
    ok(http.post(fresh.url("/__sim/config"), json={"max_sync_insights_rows": 10**6}))
    sync_rows = insights_rows(
        http, fresh, level="ad", time_increment=1, date_preset="last_7d", fields="ad_id,spend,actions"
    )
    assert rows == sync_rows
    # failing run
    ok(http.post(fresh.url("/__sim/faults"), json={"fail_report_runs": 1}))
    bad = ok(http.post(f"{fresh.graph_url}/{ACT}/insights", data=params))["report_run_id"]
    for _ in range(4):
        node = ok(get(http, fresh, bad, fields="async_status"))
    assert node["async_status"] == "Job Failed"
    assert err(get(http, fresh, f"{bad}/insights"))["code"] == 2601
    good = ok(http.post(f"{fresh.graph_url}/{ACT}/insights", data=params))["report_run_id"]
    early = err(get(http, fresh, f"{good}/insights"))  # not finished yet
    assert early["code"] == 100
    e = err(http.post(f"{fresh.graph_url}/{ACT}/insights", data=dict(params, date_preset="nope")))
    assert e["code"] == 100
