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
