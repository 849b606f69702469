"""One connection synced now: its entities, then (when asked) its performance, with the Graph calls of both."""

from __future__ import annotations

import pytest

from metasync.ops.connection_sync import sync_connection_data
from metasync.store.documents import SyncRun
from tests.graph_fakes import FakeAccount, FakeInsights, campaign, days_back, rows_for

pytestmark = pytest.mark.services


def test_entity_sync_with_performance_adds_up_api_calls(connection, graph, today):
    entities = FakeAccount(graph)
    entities.edges["campaigns"] = [campaign("1")]
    insights = FakeInsights(graph, serve_account=False)
    insights.add("campaign", rows_for("campaign", ("1",), days_back(today, 0)))

    result = sync_connection_data(connection, performance=True, full=True)

    perf = result["performance"]
    assert perf["lookback"] is True and perf["campaigns"] == 1
    assert result["api_calls"] == 7 + perf["api_calls"]  # the account, three entity and three library edges
    assert perf["api_calls"] == 3 + 3  # account, campaign and ad-set pages, one ad report (start, poll, page)
    assert SyncRun.objects(kind="PERFORMANCE").count() == 1
