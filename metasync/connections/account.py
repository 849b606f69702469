"""The ad account's own details that every run needs: money is stored in its currency, days in its timezone."""

from __future__ import annotations

from metasync.graph.client import GraphClient
from metasync.store.documents import MetaConnection

ACCOUNT_FIELDS = "id,account_id,name,currency,timezone_name,account_status"


def refresh_account_details(client: GraphClient, token: str, connection: MetaConnection) -> None:
    """Currency and timezone of the ad account: money and dates are stored in them."""
    account = client.fetch_node(
        token,
        connection.ad_account_id,
        {"fields": ACCOUNT_FIELDS},
        user_id=connection.meta_user_id,
        account_id=connection.ad_account_id,
    )
    updates = {
        "currency": account.get("currency"),
        "timezone_name": account.get("timezone_name"),
        "account_name": account.get("name"),
    }
    updates = {k: v for k, v in updates.items() if v}
    if updates:
        MetaConnection.objects(id=connection.id).update_one(**{f"set__{k}": v for k, v in updates.items()})
        for key, value in updates.items():
            setattr(connection, key, value)
