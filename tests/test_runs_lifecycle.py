"""The run lifecycle: a recorded run beats in Redis while it runs and is recorded when it ends."""

from __future__ import annotations

import pytest

from metasync.infra.redis_client import get_redis
from metasync.runs.heartbeat import ALIVE_KEY
from metasync.store.documents import SyncRun

pytestmark = pytest.mark.services


def test_every_recorded_run_beats_while_it_runs_and_stops_when_it_ends(connection):
    from metasync.graph.client import default_client
    from metasync.runs.lifecycle import recorded_run

    with recorded_run(connection, "ENTITIES", "test", default_client().scoped()) as run:
        assert get_redis().zscore(ALIVE_KEY, str(run.record.id)) is not None
    assert get_redis().zscore(ALIVE_KEY, str(run.record.id)) is None
    assert SyncRun.objects.get(id=run.record.id).status == "SUCCESS"


def test_every_ended_run_is_counted_by_kind_and_outcome_with_its_duration(connection):
    from metasync.graph.client import default_client
    from metasync.infra.counters import totals
    from metasync.infra.histograms import RUN_DURATION_BUCKETS, histograms
    from metasync.runs.lifecycle import recorded_run

    with recorded_run(connection, "ENTITIES", "test", default_client().scoped()):
        pass
    with pytest.raises(RuntimeError), recorded_run(connection, "ENTITIES", "test", default_client().scoped()):
        raise RuntimeError("boom")
    with recorded_run(connection, "REPORT", "test", default_client().scoped(), target={"report": "by_age"}) as run:
        run.add_errors(1, ["one row skipped"])

    assert totals("runs") == {
        "kind=ENTITIES,outcome=success": 1.0,
        "kind=ENTITIES,outcome=failed": 1.0,
        "kind=REPORT,outcome=partial": 1.0,
    }
    assert totals("report_pulls") == {"outcome=partial,report=by_age": 1.0}
    buckets, seconds = histograms("run_duration_seconds", RUN_DURATION_BUCKETS)[(("kind", "ENTITIES"),)]
    assert buckets[0] == ("1", 2.0) and buckets[-1] == ("+Inf", 2.0)
    assert 0 <= seconds < 2
