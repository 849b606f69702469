"""One connection synced now, as the `sync_connection` task and `metasync sync` run it: its campaigns, ad sets and
ads, then (when asked) its daily performance under the scheduled lookback policy."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from metasync.entities.sync import sync_meta_connection
from metasync.graph.client import default_client
from metasync.performance import sync_scheduled_performance
from metasync.store.documents import MetaConnection


def sync_connection_data(
    connection: MetaConnection,
    *,
    performance: bool = False,
    full: bool = False,
    trigger: str = "manual",
    progress: Callable[[str, int], None] | None = None,
) -> dict[str, Any]:
    """The entity sync's result; with `performance`, the performance run's under "performance", and `api_calls`
    counting both."""
    client = default_client()
    result = sync_meta_connection(connection, full=full, client=client, trigger=trigger, progress=progress)
    if performance:
        result["performance"] = sync_scheduled_performance(connection, client=client.scoped(), trigger=trigger)
        result["api_calls"] += result["performance"]["api_calls"]
    return result
