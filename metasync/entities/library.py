"""The creative library's incremental step: creatives, images and videos that changed since the last sync, with as
few calls as Meta allows.

Meta's `adcreatives`, `adimages` and `advideos` edges take no `updated_time` filter (creatives have no
`updated_time` at all), so a full sync reads the three edges whole (metasync.entities.sync). An incremental sync
reads none of them: the creatives of the ads that changed arrive embedded in those ads (every creative field is
requested under `creative{...}`), and only the images and videos those creatives use that are not stored yet are
read: images by hash (`adimages?hashes=[...]`, 50 a call), videos by id (one node read each).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from metasync.entities.spec import IMAGE, VIDEO, EntitySpec
from metasync.graph.client import GraphClient
from metasync.graph.errors import InvalidRequestError, is_object_gone
from metasync.store.documents import MetaConnection, entity_key

HASHES_PER_CALL = 50


def referenced_media(docs: list[dict[str, Any]]) -> tuple[set[str], set[str]]:
    """(image hashes, video ids) the mapped creative documents use."""
    hashes: set[str] = set()
    videos: set[str] = set()
    for doc in docs:
        hashes.update(doc.get("image_hashes") or ())
        videos.update(doc.get("video_ids") or ())
    return hashes, videos


def unstored(spec: EntitySpec, tenant_id: str, keys: set[str]) -> list[str]:
    """The keys (hashes, video ids) of `spec`'s kind that this tenant has not stored: one `$in` read on `_id`."""
    if not keys:
        return []
    ids = {entity_key(tenant_id, key): key for key in keys}
    stored = {doc["_id"] for doc in spec.collection.find({"_id": {"$in": list(ids)}}, {"_id": 1})}
    return sorted(key for _id, key in ids.items() if _id not in stored)


def read_new_media(
    client: GraphClient,
    token: str,
    connection: MetaConnection,
    media: tuple[set[str], set[str]],
    writers: dict[str, Any],
    stream_edge: Callable[..., None],
) -> None:
    """Store the images and videos (`media`: hashes, video ids) that creatives use and that are not stored yet, through
    `writers` by kind; `stream_edge` reads an edge into a writer (metasync.entities.sync)."""
    hashes, videos = media
    new_hashes = unstored(IMAGE, connection.tenant_id, hashes)
    for start in range(0, len(new_hashes), HASHES_PER_CALL):
        params = {"fields": IMAGE.fields_param(), "hashes": new_hashes[start : start + HASHES_PER_CALL]}
        stream_edge(client, token, connection, IMAGE, params, writers[IMAGE.kind])
    video_writer = writers[VIDEO.kind]
    for video_id in read_nodes(
        client, token, connection, VIDEO, unstored(VIDEO, connection.tenant_id, videos), video_writer
    ):
        video_writer.note_error(f"{VIDEO.level} {video_id}: used by a creative but gone from Meta")


def read_nodes(
    client: GraphClient, token: str, connection: MetaConnection, spec: EntitySpec, ids: list[str], writer: Any
) -> list[str]:
    """Read each object by id into `writer` (then flushed); returns the ids Meta no longer has."""
    gone = []
    for meta_id in ids:
        try:
            writer.add(
                client.fetch_node(
                    token,
                    meta_id,
                    {"fields": spec.fields_param()},
                    user_id=connection.meta_user_id,
                    account_id=connection.ad_account_id,
                )
            )
        except InvalidRequestError as exc:
            if not is_object_gone(exc):
                raise
            gone.append(meta_id)
    writer.flush()
    return gone
