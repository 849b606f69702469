"""Account discovery: every ad account one user token can reach (`me/adaccounts`, paged, and a business's owned and
client ad accounts when a business id is given), and adding the chosen ones as connections. All of them carry the
token's Meta user id, so they draw on that user's one rate budget (metasync.graph.ratelimit keys buckets by it)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from metasync.connections.registry import upsert_connection
from metasync.graph.client import GraphClient, default_client
from metasync.graph.ids import is_meta_id, normalize_ad_account_id
from metasync.store.accounts import account_status_name
from metasync.store.documents import MetaConnection

DISCOVERY_FIELDS = "id,account_id,name,currency,account_status,business{id,name}"
# Where an account was found: the user's own list, then the business's.
SOURCES = (
    ("me", "me/adaccounts"),
    ("owned", "{business}/owned_ad_accounts"),
    ("client", "{business}/client_ad_accounts"),
)


@dataclass(frozen=True)
class DiscoveredAccount:
    ad_account_id: str  # act_<digits>
    name: str | None
    currency: str | None
    account_status: int | None
    business: str | None
    source: str  # me, owned, client (the first place it was found)

    @property
    def status(self) -> str:
        return account_status_name(self.account_status)

    def as_dict(self) -> dict[str, Any]:
        return {
            "ad_account_id": self.ad_account_id,
            "name": self.name,
            "currency": self.currency,
            "account_status": self.account_status,
            "status": self.status,
            "business": self.business,
            "source": self.source,
        }


@dataclass(frozen=True)
class Discovery:
    user_id: str | None  # the token's Meta user: the rate-limit bucket of every account added from it
    accounts: tuple[DiscoveredAccount, ...]

    def by_id(self) -> dict[str, DiscoveredAccount]:
        return {account.ad_account_id: account for account in self.accounts}


def _account(payload: dict[str, Any], source: str) -> DiscoveredAccount | None:
    digits = payload.get("account_id") or str(payload.get("id", "")).removeprefix("act_")
    if not is_meta_id(digits):
        return None
    business = payload.get("business") if isinstance(payload.get("business"), dict) else {}
    status = payload.get("account_status")
    return DiscoveredAccount(
        ad_account_id=f"act_{digits}",
        name=payload.get("name"),
        currency=payload.get("currency"),
        account_status=int(status) if is_meta_id(status) else None,
        business=business.get("name") or business.get("id"),
        source=source,
    )


def discover_ad_accounts(token: str, business_id: str | None = None, client: GraphClient | None = None) -> Discovery:
    """Every ad account the token reaches, each once, in the order found (paged until Meta's last page)."""
    if business_id is not None and not is_meta_id(business_id):
        raise ValueError(f"business id must be digits, got {business_id!r}")
    client = client or default_client()
    me = client.fetch_node(token, "me", {"fields": "id"})
    user_id = str(me["id"]) if isinstance(me, dict) and is_meta_id(me.get("id")) else None
    found: dict[str, DiscoveredAccount] = {}
    for source, path in SOURCES:
        if source != "me" and business_id is None:
            continue
        edge = path.format(business=business_id)
        for payload in client.iter_edge(token, edge, {"fields": DISCOVERY_FIELDS}, user_id=user_id):
            account = _account(payload, source) if isinstance(payload, dict) else None
            if account is not None:
                found.setdefault(account.ad_account_id, account)
    return Discovery(user_id, tuple(found.values()))


def add_discovered(
    tenant_id: str,
    token: str,
    discovery: Discovery,
    chosen: list[str] | None,
    expires_at: datetime | None = None,
) -> list[tuple[MetaConnection, bool]]:
    """Add the chosen accounts (None: all of them) as connections of the tenant, through the same path as
    `connections add` (encrypted token, routes), each with the token's user id. An id the token does not reach is
    refused before anything is added."""
    reachable = discovery.by_id()
    wanted = list(reachable) if chosen is None else [normalize_ad_account_id(value) for value in chosen]
    unknown = [account for account in wanted if account not in reachable]
    if unknown:
        raise ValueError(f"not reachable with this token: {', '.join(unknown)}")
    return [
        upsert_connection(tenant_id, account, token, discovery.user_id, expires_at) for account in dict.fromkeys(wanted)
    ]
