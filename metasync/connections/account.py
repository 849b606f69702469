"""The ad account itself, read with one node call at the start of every entity sync: stored as its own document
(metasync.store.accounts), and its currency and timezone kept on the connection (money and days are stored in
them). An account Meta reports disabled, unsettled or closed stops the run (AdAccountInactive); `recheck_account`
finds out, now and then, whether it is active again."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any

from metasync.graph.client import GraphClient
from metasync.infra.clock import utcnow
from metasync.store.accounts import (
    AdAccount,
    AdAccountInactive,
    account_key,
    account_status_name,
    disable_reason_name,
)
from metasync.store.documents import MetaConnection

ACCOUNT_FIELDS = (
    "id,account_id,name,account_status,disable_reason,currency,timezone_name,timezone_offset_hours_utc,"
    "spend_cap,amount_spent,balance,min_daily_budget,business{id,name},created_time"
)


def refresh_account_details(client: GraphClient, token: str, connection: MetaConnection) -> AdAccount:
    """Read the ad account, store it, keep its currency and timezone on the connection; AdAccountInactive when Meta
    reports it in a state that stops syncing (the document is stored first, so `status` shows why)."""
    payload = client.fetch_node(
        token,
        connection.ad_account_id,
        {"fields": ACCOUNT_FIELDS},
        user_id=connection.meta_user_id,
        account_id=connection.ad_account_id,
    )
    account = store_account(connection, payload if isinstance(payload, dict) else {})
    updates = {"currency": account.currency, "timezone_name": account.timezone_name, "account_name": account.name}
    updates = {k: v for k, v in updates.items() if v}
    if updates:
        MetaConnection.objects(id=connection.id).update_one(**{f"set__{k}": v for k, v in updates.items()})
        for key, value in updates.items():
            setattr(connection, key, value)
    if account.stopped:
        raise AdAccountInactive(connection.ad_account_id, account.account_status, account.disable_reason)
    return account


def _code(value: Any) -> int | None:
    try:
        return None if value in (None, "") else int(value)
    except (TypeError, ValueError):
        return None


def _money(value: Any) -> int | None:
    """Meta's minor-unit strings ("4217" = 42.17 USD) as integers; anything else stays only in `raw`."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    text = str(value).strip() if isinstance(value, str) else ""
    return int(text) if re.fullmatch(r"-?[0-9]+", text) else None


def _time(value: Any) -> datetime | None:
    try:
        return datetime.strptime(str(value), "%Y-%m-%dT%H:%M:%S%z").astimezone(timezone.utc)
    except ValueError:
        return None


def store_account(connection: MetaConnection, payload: dict[str, Any]) -> AdAccount:
    """Upsert the account document of this connection from Meta's answer (one write, by `_id`)."""
    status, reason = _code(payload.get("account_status")), _code(payload.get("disable_reason"))
    business = payload.get("business") if isinstance(payload.get("business"), dict) else {}
    offset = payload.get("timezone_offset_hours_utc")
    account = AdAccount(
        id=account_key(connection.tenant_id, connection.ad_account_id),
        tenant_id=connection.tenant_id,
        connection=connection.id,
        ad_account_id=connection.ad_account_id,
        name=payload.get("name"),
        account_status=status,
        status=account_status_name(status),
        disable_reason=reason,
        disable_reason_name=disable_reason_name(reason),
        currency=payload.get("currency"),
        timezone_name=payload.get("timezone_name"),
        timezone_offset_hours_utc=float(offset) if isinstance(offset, (int, float)) else None,
        spend_cap=_money(payload.get("spend_cap")),
        amount_spent=_money(payload.get("amount_spent")),
        balance=_money(payload.get("balance")),
        min_daily_budget=_money(payload.get("min_daily_budget")),
        business_id=str(business["id"]) if business.get("id") else None,
        business_name=business.get("name") or payload.get("business_name"),
        created_time=_time(payload.get("created_time")),
        raw=payload,
        refreshed_at=utcnow(),
    )
    account.save()  # the whole document by `_id`: an upsert
    return account


def stored_account(connection: MetaConnection) -> AdAccount | None:
    """The account document of a connection (by `_id`), None before its first sync."""
    return AdAccount.objects(id=account_key(connection.tenant_id, connection.ad_account_id)).first()
