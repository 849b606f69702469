"""Targeted re-sync of one campaign, ad set or ad named by a webhook, through the same mapping as the full sync.

The object is read with `fetch_graph_node` (fields from its entity spec) and upserted with `upsert_payload`; its
parents are read too when they are not stored yet, so an ad never points at an ad set the database lacks. An object
Meta no longer has (error 100, subcode 33) is marked DELETED. Each run is recorded as a SyncRun of kind ENTITY.
"""

from __future__ import annotations

import logging
from typing import Any

from metasync.connections.account import refresh_account_details
from metasync.connections.tokens import ensure_connection_access_token
from metasync.entities.mapping import MappingError
from metasync.entities.spec import AD, AD_SET, CAMPAIGN, SPECS_BY_LEVEL, EntitySpec
from metasync.entities.sync import upsert_payload
from metasync.graph.client import GraphClient, default_client
from metasync.graph.errors import InvalidRequestError, is_object_gone
from metasync.infra.clock import now_ms
from metasync.runs.lifecycle import SyncFailed, recorded_run
from metasync.store.documents import MetaConnection, entity_key

log = logging.getLogger(__name__)


class _EntityRefresh:
    """One object and its missing parents, read and written for one connection."""

    def __init__(self, connection: MetaConnection, client: GraphClient, token: str):
        self.connection = connection
        self.client = client
        self.token = token
        self.counts: dict[str, int] = {spec.count_key: 0 for spec in (CAMPAIGN, AD_SET, AD)}
        self.counts.update(marked_deleted=0, skipped_foreign=0)
        self._visited: set[str] = set()

    def refresh(self, spec: EntitySpec, object_id: str) -> None:
        self._visited.add(object_id)
        try:
            payload = self.client.fetch_node(
                self.token,
                object_id,
                {"fields": spec.fields_param()},
                user_id=self.connection.meta_user_id,
                account_id=self.connection.ad_account_id,
            )
        except InvalidRequestError as exc:
            if not is_object_gone(exc):
                raise
            self.counts["marked_deleted"] += self._mark_deleted(spec, object_id)
            return
        if not self._in_account(payload):
            # The token may see other accounts; storing their objects under this connection would mislabel them.
            log.warning(
                "webhook named %s %s of another ad account; not stored",
                spec.level,
                object_id,
                extra={
                    "event": "webhook_foreign_object",
                    "tenant_id": self.connection.tenant_id,
                    "ad_account_id": self.connection.ad_account_id,
                },
            )
            self.counts["skipped_foreign"] += 1
            return
        upsert_payload(spec, payload, self.connection)
        self.counts[spec.count_key] += 1
        for key, parent_level in spec.parent_keys:
            parent_id = payload.get(key)
            parent = SPECS_BY_LEVEL[parent_level]
            if parent_id and str(parent_id) not in self._visited and not self._stored(parent, str(parent_id)):
                self.refresh(parent, str(parent_id))

    def _in_account(self, payload: dict[str, Any]) -> bool:
        account = payload.get("account_id")
        return account in (None, "") or f"act_{account}" == self.connection.ad_account_id

    def _stored(self, spec: EntitySpec, meta_id: str) -> bool:
        found = spec.collection.find_one({"_id": entity_key(self.connection.tenant_id, meta_id)}, {"_id": 1})
        return found is not None

    def _mark_deleted(self, spec: EntitySpec, meta_id: str) -> int:
        """Same marks as the full sync's sweep; an object never stored stays unknown (no empty placeholder)."""
        result = spec.collection.update_one(
            {"_id": entity_key(self.connection.tenant_id, meta_id)},
            {"$set": {"status": "DELETED", "missing_from_meta": True, "synced_at": now_ms()}},
        )
        return result.modified_count


def sync_object_from_webhook(
    connection: MetaConnection, spec: EntitySpec, object_id: str, client: GraphClient | None = None
) -> dict[str, Any]:
    """Re-read one object (and its missing parents) from Meta into MongoDB; returns counts.

    Raises SyncFailed when it cannot be done and retrying will not help (the token is dead: connection marked
    EXPIRED; permission denied: marked ERROR; unmappable payload). Other errors propagate for the caller to retry.
    """
    client = (client or default_client()).scoped()
    target = {"level": spec.level, "object_id": object_id}
    with recorded_run(connection, "ENTITY", "webhook", client, target=target, **target) as run:
        run.extra = {"level": spec.level, "object_id": object_id}
        token = ensure_connection_access_token(connection, client)
        if not connection.currency:  # never fully synced: money is stored in the account's currency
            refresh_account_details(client, token, connection)
        work = _EntityRefresh(connection, client, token)
        run.counts = work.counts
        try:
            work.refresh(spec, object_id)
        except MappingError as exc:
            raise SyncFailed(f"{spec.level} {object_id} cannot be stored: {exc}", str(connection.id)) from exc
    return run.result()


def sync_campaign_from_webhook(
    connection: MetaConnection, object_id: str, client: GraphClient | None = None
) -> dict[str, Any]:
    return sync_object_from_webhook(connection, CAMPAIGN, object_id, client)


def sync_ad_set_from_webhook(
    connection: MetaConnection, object_id: str, client: GraphClient | None = None
) -> dict[str, Any]:
    return sync_object_from_webhook(connection, AD_SET, object_id, client)


def sync_ad_from_webhook(
    connection: MetaConnection, object_id: str, client: GraphClient | None = None
) -> dict[str, Any]:
    return sync_object_from_webhook(connection, AD, object_id, client)


SYNC_BY_LEVEL = {
    CAMPAIGN.level: sync_campaign_from_webhook,
    AD_SET.level: sync_ad_set_from_webhook,
    AD.level: sync_ad_from_webhook,
}


def sync_entity_from_webhook(
    connection: MetaConnection, level: str, object_id: str, client: GraphClient | None = None
) -> dict[str, Any]:
    """Dispatch by Meta's level name (CAMPAIGN, AD_SET, AD); ValueError for any other."""
    try:
        sync = SYNC_BY_LEVEL[level]
    except KeyError:
        raise ValueError(f"no entity sync for level {level!r}") from None
    return sync(connection, object_id, client)
