"""`metasync status`: the latest sync runs of each connection (per kind), read from `SyncRun`, and each one's ad
account as the last sync read it (`ad_accounts`)."""

from __future__ import annotations

from typing import Any

from metasync.infra.clock import as_utc
from metasync.performance.metrics import currency_exponent
from metasync.store.accounts import AdAccount, account_key
from metasync.store.documents import MetaConnection, SyncRun


def _iso(value) -> str | None:
    value = as_utc(value)
    return value.isoformat() if value else None


def describe_run(connection: MetaConnection, run: SyncRun | None, account: AdAccount | None = None) -> dict[str, Any]:
    base = {
        "connection_id": str(connection.id),
        "tenant_id": connection.tenant_id,
        "ad_account_id": connection.ad_account_id,
        "connection_status": connection.status,
        "account_status": account.status if account else None,
        "account_disable_reason": account.disable_reason_name if account and account.disable_reason else None,
    }
    if run is None:
        return {**base, "kind": None, "status": "NEVER"}
    return {
        **base,
        "kind": run.kind,
        "trigger": run.trigger,
        "full": run.full,
        "status": run.status,
        "started_at": _iso(run.started_at),
        "finished_at": _iso(run.finished_at),
        "duration_ms": run.duration_ms,
        "counts": dict(run.counts or {}),
        "api_calls": run.api_calls,
        "error_count": run.error_count,
        "errors": list(run.errors or []),
    }


def latest_runs(connections: list[MetaConnection], limit: int = 1) -> list[dict[str, Any]]:
    """For each connection, its `limit` latest runs of each kind (newest first); one NEVER row if it has none.

    The latest run of each kind is read by `_id` from the connection's `latest_runs`; only a longer history
    (`limit` > 1) queries `sync_runs` by connection and kind.
    """
    rows: list[dict[str, Any]] = []
    accounts = accounts_of(connections)
    for connection in connections:
        account = accounts.get(connection.id)
        latest = dict(connection.latest_runs or {})
        if not latest:  # recorded before `latest_runs` existed
            latest = {kind: None for kind in SyncRun.objects(connection=connection.id).distinct("kind")}
        if not latest:
            rows.append(describe_run(connection, None, account))
            continue
        for kind in sorted(latest):
            if limit == 1 and latest[kind] is not None:
                runs = [run for run in (SyncRun.objects(id=latest[kind]).first(),) if run is not None]
            else:
                runs = SyncRun.objects(connection=connection.id, kind=kind).order_by("-started_at").limit(limit)
            rows.extend(describe_run(connection, run, account) for run in runs)
    return rows


def accounts_of(connections: list[MetaConnection]) -> dict[Any, AdAccount]:
    """Each connection's stored ad account, by connection id: one `$in` read on `_id`."""
    keys = [account_key(c.tenant_id, c.ad_account_id) for c in connections]
    found = AdAccount.objects(id__in=keys) if keys else []
    return {account.connection: account for account in found}


def describe_account(account: AdAccount) -> dict[str, Any]:
    """The account as `status` shows it: its status and why, its money in major units, currency and timezone."""
    exponent = currency_exponent(account.currency)

    def amount(value: int | None) -> str | None:
        return None if value is None else f"{value / 10**exponent:.{exponent}f}"

    return {
        "ad_account_id": account.ad_account_id,
        "name": account.name,
        "status": account.status,
        "account_status": account.account_status,
        "disable_reason": account.disable_reason_name if account.disable_reason else None,
        "currency": account.currency,
        "timezone_name": account.timezone_name,
        "amount_spent": amount(account.amount_spent),
        "balance": amount(account.balance),
        "spend_cap": amount(account.spend_cap) if account.spend_cap else None,
        "min_daily_budget": amount(account.min_daily_budget),
        "business": account.business_name or account.business_id,
        "refreshed_at": _iso(account.refreshed_at),
    }


def account_line(account: AdAccount | None) -> str:
    """`act_1: ACTIVE, USD, America/Los_Angeles, spent 25000.00, balance 42.17, no spend cap`."""
    if account is None:
        return "not read yet"
    a = describe_account(account)
    state = a["status"] + (f" ({a['disable_reason']})" if a["disable_reason"] else "")
    cap = f"spend cap {a['spend_cap']}" if a["spend_cap"] else "no spend cap"
    return (
        f"{a['ad_account_id']}: {state}, {a['currency'] or '-'}, {a['timezone_name'] or '-'}, "
        f"spent {a['amount_spent'] or '-'}, balance {a['balance'] or '-'}, {cap}"
    )


def format_counts(counts: dict[str, Any]) -> str:
    """`campaigns 3, ad sets 4, ads 5` from stored counts (`campaigns_synced` ...), whatever the kind."""
    parts = []
    for key, value in counts.items():
        label = key.removesuffix("_synced").replace("_", " ")
        parts.append(f"{label} {value}")
    return ", ".join(parts) or "-"


def format_duration(ms: int | None) -> str:
    if ms is None:
        return "-"
    if ms < 1000:
        return f"{ms} ms"
    seconds = ms / 1000
    return f"{seconds:.1f} s" if seconds < 120 else f"{seconds / 60:.1f} min"
