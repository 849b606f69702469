"""Changes that need someone: waiting, deferred, failed or in conflict, grouped by change set, and paused accounts.

Changes: one bounded read of the tenant's changes in those statuses (newest first). Paused accounts: the rate
limiter's pauses, kept to the tenant's own ad accounts.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from metasync.graph.ratelimit import RateLimiter
from metasync.settings import get_settings
from metasync.store.changes import Change
from metasync.store.documents import MetaConnection

ATTENTION_STATUSES = ("REQUESTED", "VALIDATED", "APPLYING", "DEFERRED", "FAILED", "CONFLICT")
PENDING_STATUSES = ("REQUESTED", "VALIDATED", "DEFERRED")  # what an apply run would send
MAX_CHANGES = 300


@dataclass
class ChangeSetView:
    change_set_id: str
    connection_id: str
    ad_account_id: str | None
    changes: list[Change] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        return dict(Counter(c.status for c in self.changes))

    @property
    def can_apply(self) -> bool:
        return any(c.status in PENDING_STATUSES for c in self.changes)


def changes_needing_attention(tenant_id: str) -> list[ChangeSetView]:
    query = Change.objects(tenant_id=tenant_id, status__in=ATTENTION_STATUSES).order_by("-created_at")
    sets: dict[str, ChangeSetView] = {}
    for change in query.limit(MAX_CHANGES):
        key = change.change_set_id or f"change-{change.id}"
        view = sets.setdefault(key, ChangeSetView(key, str(change.connection), change.ad_account_id))
        view.changes.append(change)
    return list(sets.values())


def status_counts(views: list[ChangeSetView]) -> dict[str, int]:
    total: Counter = Counter()
    for view in views:
        total.update(view.counts)
    return {status: total.get(status, 0) for status in ATTENTION_STATUSES}


def paused_accounts(connections: list[MetaConnection], limiter: RateLimiter | None = None) -> dict[str, float]:
    """{ad account id: seconds left} for the given connections' accounts that rate limits have paused."""
    limiter = limiter or RateLimiter(get_settings().meta_rate_limit_per_hour)
    mine = {c.ad_account_id for c in connections}
    return {account: left for account, left in sorted(limiter.paused_accounts().items()) if account in mine}
