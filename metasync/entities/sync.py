"""Entity sync: streams campaigns, ad sets and ads, and the creative library (creatives, images, videos), from the
Graph API into MongoDB with bulk upserts, after reading the ad account itself.

Full sync reads every object (all statuses) and marks objects Meta no longer returns as DELETED. Incremental sync
asks only for objects whose `updated_time` moved past the stored watermark (minus an overlap), and re-reads the
children of any parent whose status changed (their effective status changes without their `updated_time`); the
library follows the ads it read (metasync.entities.library).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from metasync.connections.account import refresh_account_details
from metasync.connections.tokens import ensure_connection_access_token
from metasync.entities.library import read_new_media, read_nodes, referenced_media
from metasync.entities.mapping import MappingError
from metasync.entities.spec import (
    AD,
    AD_SET,
    CAMPAIGN,
    CREATIVE,
    ENTITY_SPECS,
    LIBRARY_SPECS,
    EntitySpec,
    MapContext,
    statuses_for,
)
from metasync.graph.client import GraphClient, default_client
from metasync.graph.errors import InvalidRequestError
from metasync.infra.clock import as_utc, now_ms, utcnow
from metasync.runs.lifecycle import recorded_run
from metasync.store.documents import MetaConnection, entity_key
from metasync.store.writer import BatchWriter, WriteResult

log = logging.getLogger(__name__)

WATERMARK_OVERLAP = timedelta(minutes=5)
# A full read records each edge's position every this many pages (500 objects at the default page size).
CHECKPOINT_PAGES = 5
# An interrupted full sync older than this starts over (what it saw is too old to count as this read's).
RESUME_WITHIN = timedelta(hours=24)
ID_FILTER_CHUNK = 50

ProgressCallback = Callable[[str, int], None]
# The watermark that says the creative library was read whole once (then it follows the ads incrementally).
LIBRARY_WATERMARK = "library"
ALL_SPECS = ENTITY_SPECS + LIBRARY_SPECS


@dataclass
class EdgeResult(WriteResult):
    max_updated: datetime | None = None
    marked_deleted: int = 0
    status_changed_ids: list[str] = field(default_factory=list)
    parents: dict[str, str | None] = field(default_factory=dict)  # changed id -> its campaign
    # Creatives: the image hashes and video ids of those written (metasync.entities.library).
    image_hashes: set[str] = field(default_factory=set)
    video_ids: set[str] = field(default_factory=set)


class EntityWriter(BatchWriter):
    """Maps one edge's payloads through its spec and upserts them; notes the newest `updated_time` and, when asked,
    which stored objects changed status; hands each ad's embedded creative to `creatives` when given."""

    error_event = "object_skipped"

    def __init__(
        self,
        spec: EntitySpec,
        ctx: MapContext,
        track_status_changes: bool = False,
        progress: ProgressCallback | None = None,
        creatives: EntityWriter | None = None,
    ):
        super().__init__(
            spec.collection,
            ctx.now,
            "first_seen_at",
            spec.kind,
            {"tenant_id": ctx.tenant_id, "ad_account_id": ctx.ad_account_id},
            progress,
            EdgeResult(),
        )
        self.spec = spec
        self.ctx = ctx
        self.track_status_changes = track_status_changes
        self.creatives = creatives

    def map(self, payload: Any) -> dict[str, Any]:
        if not isinstance(payload, dict):
            raise MappingError(f"expected an object, got {type(payload).__name__}")
        doc = self.spec.mapper(payload, self.ctx)
        if self.creatives is not None and isinstance(payload.get("creative"), dict):
            self.creatives.add(payload["creative"])
        updated = doc.get("updated_time")
        if updated and (self.result.max_updated is None or updated > self.result.max_updated):
            self.result.max_updated = updated
        return doc

    def describe_error(self, payload: Any, exc: Exception) -> str:
        return f"{self.spec.level} {_payload_id(payload)}: {exc}"

    def before_write(self, docs: list[dict[str, Any]]) -> None:
        if self.spec is CREATIVE:
            hashes, videos = referenced_media(docs)
            self.result.image_hashes |= hashes
            self.result.video_ids |= videos
        if self.track_status_changes:
            for doc in status_changes(self.collection, docs):
                self.result.status_changed_ids.append(doc["meta_id"])
                self.result.parents[doc["meta_id"]] = doc.get("campaign_id")


def status_changes(collection, docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The mapped documents whose stored version has another effective status (new ones are not changes).

    One `$in` query on `_id` per batch: served by the primary index on MongoDB and on the local FerretDB build
    (docs/ferretdb.md, fix 4).
    """
    stored = {
        d["_id"]: d.get("effective_status")
        for d in collection.find({"_id": {"$in": [doc["_id"] for doc in docs]}}, {"effective_status": 1})
    }
    return [doc for doc in docs if doc["_id"] in stored and stored[doc["_id"]] != doc["effective_status"]]


def _payload_id(payload: Any) -> str:
    return str(payload.get("id"))[:40] if isinstance(payload, dict) else "?"


def map_context(connection: MetaConnection, now: datetime | None = None) -> MapContext:
    return MapContext(
        tenant_id=connection.tenant_id,
        connection_id=connection.id,
        ad_account_id=connection.ad_account_id,
        currency=connection.currency,
        now=now or now_ms(),
    )


def edge_params(
    spec: EntitySpec, since: datetime | None = None, parent_filter: tuple[str, list[str]] | None = None
) -> dict[str, Any]:
    """Query for an entity edge: all statuses (so archived/deleted objects come back), optionally changed since.
    The library's edges take no filtering: only their fields."""
    if not spec.filter_prefix:
        return {"fields": spec.fields_param()}
    filtering: list[dict[str, Any]] = [
        {"field": f"{spec.filter_prefix}.effective_status", "operator": "IN", "value": statuses_for(spec)},
    ]
    if since is not None:
        filtering.append(
            {"field": f"{spec.filter_prefix}.updated_time", "operator": "GREATER_THAN", "value": int(since.timestamp())}
        )
    if parent_filter is not None:
        parent_field, ids = parent_filter
        filtering.append({"field": parent_field, "operator": "IN", "value": ids})
    return {"fields": spec.fields_param(), "filtering": filtering}


class FullSyncCheckpoint:
    """Where a full sync got to on each edge, kept on the connection, so the next full sync of an interrupted one
    (a crash, a fault, the rate budget) resumes there instead of reading every page again.

    Every CHECKPOINT_PAGES pages the edge's writes are flushed and the next page's cursor recorded. A resumed full
    sync keeps the first attempt's `generation`: what any attempt saw counts as seen.
    """

    def __init__(self, connection: MetaConnection, now: datetime):
        self.connection = connection
        stored = dict(connection.full_sync_checkpoint or {})
        began = as_utc(stored.get("generation")) if isinstance(stored.get("generation"), datetime) else None
        self.resumed = began is not None and now - began <= RESUME_WITHIN
        self.generation = began if self.resumed else now
        self.edges: dict[str, dict[str, Any]] = dict(stored.get("edges") or {}) if self.resumed else {}
        if not self.resumed:
            self._store(set__full_sync_checkpoint={"generation": now, "edges": {}})

    def after(self, kind: str) -> str | None:
        return (self.edges.get(kind) or {}).get("after")

    def done(self, kind: str) -> bool:
        return bool((self.edges.get(kind) or {}).get("done"))

    def record(self, kind: str, after: str | None) -> None:
        """The edge is written up to the page before `after` (None: to its end)."""
        self.edges[kind] = {"after": after, "done": after is None}
        self._store(**{f"set__full_sync_checkpoint__edges__{kind}": self.edges[kind]})

    def clear(self) -> None:
        self._store(unset__full_sync_checkpoint=True)
        self.connection.full_sync_checkpoint = {}

    def _store(self, **update: Any) -> None:
        MetaConnection.objects(id=self.connection.id).update_one(**update)


def _stream_edge(
    client: GraphClient,
    token: str,
    connection: MetaConnection,
    spec: EntitySpec,
    params: dict[str, Any],
    writer: EntityWriter,
    checkpoint: FullSyncCheckpoint | None = None,
) -> None:
    if checkpoint is not None and checkpoint.done(spec.kind):
        return
    after = checkpoint.after(spec.kind) if checkpoint is not None else None
    pages = client.iter_cursor_pages(
        token,
        f"{connection.ad_account_id}/{spec.edge}",
        params,
        user_id=connection.meta_user_id,
        account_id=connection.ad_account_id,
        after=after,
    )
    try:
        for number, (page, next_after) in enumerate(pages, start=1):
            writer.add_many(page)
            if checkpoint is not None and (next_after is None or number % CHECKPOINT_PAGES == 0):
                writer.flush()
                checkpoint.record(spec.kind, next_after)
            after = None  # past the first page: a cursor Meta answered is no longer in question
    except InvalidRequestError:
        if not after:
            raise
        # Meta refused the recorded cursor (it goes stale when objects are removed): read this edge from the start.
        log.info(
            "resume cursor of %s refused; reading the edge again",
            spec.kind,
            extra={"event": "resume_cursor_refused", "edge": spec.kind},
        )
        checkpoint.record(spec.kind, "")
        _stream_edge(client, token, connection, spec, params, writer, checkpoint)
        return
    writer.flush()


def _sweep_missing(spec: EntitySpec, connection: MetaConnection, seen_at: datetime) -> int:
    """After a complete full read: objects Meta no longer returns at all are gone there; mark them DELETED."""
    result = spec.collection.update_many(
        _unseen(connection, seen_at), {"$set": {"status": "DELETED", "missing_from_meta": True, "synced_at": seen_at}}
    )
    return result.modified_count


def _unseen(connection: MetaConnection, seen_at: datetime) -> dict[str, Any]:
    """This connection's stored objects that a full read begun at `seen_at` did not see (and not yet marked)."""
    return {
        "tenant_id": connection.tenant_id,
        "connection": connection.id,
        "last_seen_at": {"$lt": seen_at},
        "missing_from_meta": {"$ne": True},
    }


def _watermark(connection: MetaConnection, spec: EntitySpec) -> datetime | None:
    value = (connection.watermarks or {}).get(spec.kind)
    return as_utc(value) if isinstance(value, datetime) else None


def sync_meta_connection(
    connection: MetaConnection,
    full: bool = False,
    client: GraphClient | None = None,
    trigger: str = "manual",
    progress: ProgressCallback | None = None,
) -> dict[str, Any]:
    """Sync the ad account, then every campaign, ad set, ad and the creative library of one connection; returns
    counts, duration_ms and api_calls.

    Raises SyncFailed when the connection as a whole cannot be synced (its status and reason are stored first),
    also when Meta reports the ad account disabled, unsettled or closed (before any edge is read).
    """
    client = (client or default_client()).scoped()
    incremental = not full and all(_watermark(connection, spec) for spec in ENTITY_SPECS)
    mode = "incremental" if incremental else "full"
    with recorded_run(connection, "ENTITIES", trigger, client, full=not incremental, mode=mode) as run:
        run.counts = _counts({})
        run.extra = {"marked_deleted": 0, "mode": mode}
        token = ensure_connection_access_token(connection, client)
        refresh_account_details(client, token, connection)
        ctx = map_context(connection, run.started_at)
        sync_edges = _sync_incremental if incremental else _sync_full
        results = sync_edges(client, token, connection, ctx, progress)
        run.counts = _counts(results)
        run.extra["marked_deleted"] = sum(r.marked_deleted for r in results.values())
        run.add_errors(sum(r.errors for r in results.values()), [m for r in results.values() for m in r.messages])
        _advance_watermarks(connection, results, run.started_at)
    return run.result()


def _advance_watermarks(connection: MetaConnection, results: dict[str, EdgeResult], now: datetime) -> None:
    """The highest `updated_time` read per kind becomes the next incremental sync's starting point (the library's:
    when it was read)."""
    watermarks = dict(connection.watermarks or {})
    for spec in ENTITY_SPECS:
        seen = results[spec.kind].max_updated
        old = _watermark(connection, spec)
        watermarks[spec.kind] = max(filter(None, (seen, old)), default=None) or now
    watermarks[LIBRARY_WATERMARK] = now
    MetaConnection.objects(id=connection.id).update_one(
        set__watermarks=watermarks,
        set__last_synced_at=utcnow(),
        set__updated_at=utcnow(),
        **({"set__status": "ACTIVE"} if connection.status == "ERROR" else {}),
    )
    connection.watermarks = watermarks


def _counts(results: dict[str, EdgeResult]) -> dict[str, int]:
    return {spec.count_key: results[spec.kind].written if spec.kind in results else 0 for spec in ALL_SPECS}


def _sync_full(
    client: GraphClient, token: str, connection: MetaConnection, ctx: MapContext, progress: ProgressCallback | None
) -> dict[str, EdgeResult]:
    """The three entity edges at once, then the library's three (the rate limiter governs every call), resuming an
    interrupted full sync where it stopped; once every edge was read to its end, sweep what Meta no longer has."""
    checkpoint = FullSyncCheckpoint(connection, ctx.now)
    ctx = replace(ctx, seen_at=checkpoint.generation)
    writers = {spec.kind: EntityWriter(spec, ctx, progress=_locked(progress)) for spec in ALL_SPECS}
    for specs in (ENTITY_SPECS, LIBRARY_SPECS):
        _stream_edges_at_once(client, token, connection, specs, writers, checkpoint)
    results = {kind: writer.result for kind, writer in writers.items()}
    for spec in LIBRARY_SPECS:
        # After a resumed read an unseen item may hide behind a stale cursor, and images cannot be read one by one:
        # the library is swept only by a read that ran start to end.
        results[spec.kind].marked_deleted = 0 if checkpoint.resumed else _sweep_missing(spec, connection, ctx.seen_at)
    for spec in ENTITY_SPECS:
        if checkpoint.resumed:  # a resumed read may have missed objects behind a stale cursor: ask Meta about each
            results[spec.kind].marked_deleted = _confirm_missing(
                client, token, connection, spec, writers[spec.kind], checkpoint.generation
            )
        else:
            results[spec.kind].marked_deleted = _sweep_missing(spec, connection, checkpoint.generation)
    checkpoint.clear()
    return results


def _stream_edges_at_once(
    client: GraphClient,
    token: str,
    connection: MetaConnection,
    specs: tuple[EntitySpec, ...],
    writers: dict[str, EntityWriter],
    checkpoint: FullSyncCheckpoint | None,
) -> None:
    with ThreadPoolExecutor(max_workers=len(specs), thread_name_prefix="edge") as pool:
        futures = [
            pool.submit(
                _stream_edge, client, token, connection, spec, edge_params(spec), writers[spec.kind], checkpoint
            )
            for spec in specs
        ]
        for future in futures:
            future.result()


def _confirm_missing(
    client: GraphClient,
    token: str,
    connection: MetaConnection,
    spec: EntitySpec,
    writer: EntityWriter,
    generation: datetime,
) -> int:
    """Objects not seen by a resumed full read, each read by id: stored again if Meta has it, else DELETED."""
    unseen = [doc["meta_id"] for doc in spec.collection.find(_unseen(connection, generation), {"meta_id": 1})]
    gone = [
        entity_key(connection.tenant_id, meta_id)
        for meta_id in read_nodes(client, token, connection, spec, unseen, writer)
    ]
    if not gone:
        return 0
    return spec.collection.update_many(
        {"_id": {"$in": gone}},
        {"$set": {"status": "DELETED", "missing_from_meta": True, "synced_at": generation}},
    ).modified_count


def _sync_incremental(
    client: GraphClient, token: str, connection: MetaConnection, ctx: MapContext, progress: ProgressCallback | None
) -> dict[str, EdgeResult]:
    """Changed objects only, parents first; children of parents whose status changed are re-read too. Then the
    library: the creatives of the ads read and the images and videos they use that are new (read whole instead
    when it never was)."""
    library_read = isinstance((connection.watermarks or {}).get(LIBRARY_WATERMARK), datetime)
    writers = {spec.kind: EntityWriter(spec, ctx, progress=progress) for spec in LIBRARY_SPECS}
    for spec in ENTITY_SPECS:
        creatives = writers[CREATIVE.kind] if spec is AD and library_read else None
        writer = EntityWriter(spec, ctx, track_status_changes=spec is not AD, progress=progress, creatives=creatives)
        since = _watermark(connection, spec) - WATERMARK_OVERLAP
        _stream_edge(client, token, connection, spec, edge_params(spec, since), writer)
        writers[spec.kind] = writer
        # Children whose parents changed status: their effective status moved with no updated_time change.
        changed_campaigns = writers[CAMPAIGN.kind].result.status_changed_ids
        parents = [("campaign.id", changed_campaigns)] if spec is not CAMPAIGN else []
        if spec is AD:
            # Ad sets under a changed campaign were covered by the campaign filter already.
            ad_sets = writers[AD_SET.kind].result.status_changed_ids
            parents.append(
                (
                    "adset.id",
                    [i for i in ad_sets if writers[AD_SET.kind].result.parents.get(i) not in set(changed_campaigns)],
                )
            )
        for parent_field, ids in parents:
            for start in range(0, len(ids), ID_FILTER_CHUNK):
                chunk = ids[start : start + ID_FILTER_CHUNK]
                _stream_edge(client, token, connection, spec, edge_params(spec, None, (parent_field, chunk)), writer)
    if library_read:
        writers[CREATIVE.kind].flush()
        result = writers[CREATIVE.kind].result
        read_new_media(client, token, connection, (result.image_hashes, result.video_ids), writers, _stream_edge)
    else:
        _stream_edges_at_once(client, token, connection, LIBRARY_SPECS, writers, None)
        for spec in LIBRARY_SPECS:
            writers[spec.kind].result.marked_deleted = _sweep_missing(spec, connection, ctx.now)
    return {kind: writer.result for kind, writer in writers.items()}


def _locked(progress: ProgressCallback | None) -> ProgressCallback | None:
    if progress is None:
        return None
    lock = threading.Lock()

    def call(kind: str, count: int) -> None:
        with lock:
            progress(kind, count)

    return call


def upsert_payload(spec: EntitySpec, payload: dict[str, Any], connection: MetaConnection) -> EdgeResult:
    """Write one object fetched on its own (webhook re-sync) through the same mapping as the full sync."""
    writer = EntityWriter(spec, map_context(connection))
    writer.add(payload)
    writer.flush()
    if writer.result.errors:
        raise MappingError("; ".join(writer.result.messages))
    return writer.result
