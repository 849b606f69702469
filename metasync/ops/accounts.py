"""Ad accounts Meta reported disabled, unsettled or closed: their connections (ACCOUNT_INACTIVE) are left out of
every fan-out, and this round reads each one's ad account again, on a slow cadence
(ACCOUNT_RECHECK_INTERVAL_MINUTES), so syncing resumes once Meta reports it active."""

from __future__ import annotations

import logging
from typing import Any

from metasync.connections.account import refresh_account_details
from metasync.connections.tokens import ensure_connection_access_token
from metasync.graph.client import GraphClient, default_client
from metasync.graph.errors import GraphError
from metasync.infra.locks import LockBusy, connection_lock
from metasync.runs.lifecycle import SyncFailed, recorded_run
from metasync.store.documents import MetaConnection

log = logging.getLogger(__name__)

INACTIVE = "ACCOUNT_INACTIVE"
KIND = "ACCOUNT"


def recheck_account(connection: MetaConnection, client: GraphClient | None = None, trigger: str = "beat") -> bool:
    """One node read of the connection's ad account, recorded as an ACCOUNT run under the connection's sync lock;
    True when it is active again (the connection is then ACTIVE). Still stopped: the run fails with the reason and
    the connection stays ACCOUNT_INACTIVE; a dead token marks it EXPIRED, as in any run."""
    client = (client or default_client()).scoped()
    with connection_lock(str(connection.id), "sync"):
        try:
            with recorded_run(connection, KIND, trigger, client) as run:
                token = ensure_connection_access_token(connection, client)
                account = refresh_account_details(client, token, connection)
                run.counts = {"account_status": account.account_status}
        except SyncFailed:
            return False
    MetaConnection.objects(id=connection.id).update_one(set__status="ACTIVE", unset__last_error=True)
    connection.status, connection.last_error = "ACTIVE", None
    log.info(
        "ad account %s is active again; syncs resume",
        connection.ad_account_id,
        extra={
            "event": "account_reactivated",
            "tenant_id": connection.tenant_id,
            "ad_account_id": connection.ad_account_id,
        },
    )
    return True


def recheck_inactive_accounts(client: GraphClient | None = None, trigger: str = "beat") -> dict[str, Any]:
    """Recheck every ACCOUNT_INACTIVE connection (one Graph call each); returns what came back."""
    reactivated: list[str] = []
    still_inactive = busy = failed = 0
    for connection in MetaConnection.objects(status=INACTIVE).order_by("id"):
        try:
            if recheck_account(connection, client, trigger):
                reactivated.append(str(connection.id))
            else:
                still_inactive += 1
        except LockBusy:
            busy += 1
        except GraphError:  # an outage or a rate limit: recorded on the run; the next round asks again
            failed += 1
    return {"reactivated": reactivated, "still_inactive": still_inactive, "locked": busy, "failed": failed}
