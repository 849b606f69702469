"""Applying changes to Meta: the core every entry point (CLI, file, task, database pick-up) goes through.

One run, per connection and under its "changes" lock (the caller holds it):
1. read Meta now, in batches: the ad account (currency, minimum daily budget), every object, and the campaigns of
   ad sets whose budget changes (who holds the budget);
2. check each change (`validate.py`) against that live state, and against the object's ad account and tenant;
   a change still APPLYING from a run that crashed is APPLIED when Meta already shows its value, else planned
   again like any other: it is never sent blind;
3. hold back a fifth budget change of an ad set within an hour (DEFERRED, `budget_rule.py`);
4. mark what will be sent APPLYING (saved first), send one write per object in batches of 50, asking for the
   object back (read-after-write; a batched read when the answer lacks it);
5. store the objects read back through the entity mapping, so the documents and the changes agree with Meta.
Throttling (17, 613) defers the change and everything not yet sent: nothing spins.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from metasync.changes.budget_rule import BudgetChangeRule
from metasync.changes.fields import AD_SET, BUDGET_FIELDS, graph_param, live_value, rule_for
from metasync.changes.state import defer, fail, is_due, mark, save_changes
from metasync.changes.validate import AccountFacts, ObjectCheck, check_object
from metasync.connections.tokens import ensure_connection_access_token
from metasync.entities.spec import SPECS_BY_LEVEL
from metasync.entities.sync import EntityWriter, map_context
from metasync.graph.batch import MAX_BATCH_ITEMS, BatchItem, BatchResult, run_batch
from metasync.graph.client import GraphClient, default_client
from metasync.graph.errors import (
    GraphError,
    GraphPermissionError,
    RateLimitedError,
    TokenError,
    TransientError,
    is_object_gone,
)
from metasync.infra.clock import now_ms
from metasync.runs.lifecycle import recorded_run
from metasync.store.changes import Change, ChangeSet
from metasync.store.documents import MetaConnection, entity_key

log = logging.getLogger(__name__)

ACCOUNT_FIELDS = "id,account_id,currency,min_daily_budget"
READ_RETRY_SECONDS = 60.0  # an object Meta could not answer for is tried again after this


@dataclass
class _Target:
    level: str
    object_id: str
    changes: list[Change]
    live: dict[str, Any] | None = None


class _Run:
    """One apply of some changes of one connection."""

    def __init__(
        self, connection: MetaConnection, client: GraphClient, token: str, rule: BudgetChangeRule, now: datetime
    ):
        self.connection = connection
        self.client = client
        self.token = token
        self.rule = rule
        self.now = now
        self.account: AccountFacts | None = None
        self.throttled: RateLimitedError | None = None  # an account-wide throttle met while sending
        self.confirmed: list[_Target] = []  # objects whose interrupted changes Meta already shows
        self.api = {"user_id": connection.meta_user_id, "account_id": connection.ad_account_id}

    # --- 1 and 2: read and check ------------------------------------------------------------------------------
    def plan(self, changes: list[Change]) -> list[_Target]:
        targets = self._targets(changes)
        stored = self._stored_documents(targets)
        campaign_ids = {
            stored[(t.level, t.object_id)].get("campaign_id")
            for t in targets
            if t.level == AD_SET and (t.level, t.object_id) in stored and _changes_budget(t)
        } - {None}
        reads = [BatchItem("GET", self.connection.ad_account_id, {"fields": ACCOUNT_FIELDS})]
        reads += [BatchItem("GET", t.object_id, {"fields": SPECS_BY_LEVEL[t.level].fields_param()}) for t in targets]
        reads += [BatchItem("GET", cid, {"fields": SPECS_BY_LEVEL["CAMPAIGN"].fields_param()}) for cid in campaign_ids]
        results = run_batch(self.client, self.token, reads, **self.api)
        self.account = self._account(results[0])
        campaigns = {r.item.path: r.body for r in results[1 + len(targets) :] if r.ok}
        missing = {
            str(r.body.get("campaign_id"))
            for t, r in zip(targets, results[1:], strict=False)
            if r.ok and t.level == AD_SET and _changes_budget(t) and str(r.body.get("campaign_id")) not in campaigns
        }
        if missing:
            more = [BatchItem("GET", cid, {"fields": SPECS_BY_LEVEL["CAMPAIGN"].fields_param()}) for cid in missing]
            campaigns.update(
                {r.item.path: r.body for r in run_batch(self.client, self.token, more, **self.api) if r.ok}
            )
        for target, result in zip(targets, results[1:], strict=False):
            self._check(target, result, stored.get((target.level, target.object_id)), campaigns)
        return targets

    def _targets(self, changes: list[Change]) -> list[_Target]:
        by_object: dict[tuple[str, str], list[Change]] = defaultdict(list)
        for change in changes:
            by_object[(change.level, change.object_id)].append(change)
        return [_Target(level, oid, group) for (level, oid), group in by_object.items()]

    def _stored_documents(self, targets: list[_Target]) -> dict[tuple[str, str], dict[str, Any]]:
        found: dict[tuple[str, str], dict[str, Any]] = {}
        by_level: dict[str, list[str]] = defaultdict(list)
        for t in targets:
            by_level[t.level].append(t.object_id)
        for level, ids in by_level.items():
            keys = [entity_key(self.connection.tenant_id, oid) for oid in ids]
            for doc in SPECS_BY_LEVEL[level].collection.find({"_id": {"$in": keys}}, {"raw": 0}):
                found[(level, doc["meta_id"])] = doc
        return found

    def _account(self, result: BatchResult) -> AccountFacts:
        if not result.ok:
            raise result.error
        body = result.body or {}
        currency = body.get("currency")
        if currency and not self.connection.currency:
            MetaConnection.objects(id=self.connection.id).update_one(set__currency=currency)
            self.connection.currency = currency
        minimum = body.get("min_daily_budget")
        return AccountFacts(
            account_id=str(body.get("account_id") or self.connection.ad_account_id[4:]),
            currency=currency or self.connection.currency,
            min_daily_budget=int(minimum) if str(minimum or "").isdigit() else None,
        )

    def _check(
        self, target: _Target, result: BatchResult, stored: dict | None, campaigns: dict[str, dict[str, Any]]
    ) -> None:
        if not result.ok:
            self._unreadable(target, result.error)
            return
        target.live = result.body or {}
        refusal = self._isolation_refusal(target, stored)
        if refusal:
            for change in target.changes:
                mark(change, "REJECTED", refusal)
            return
        crashed = [c for c in target.changes if c.status == "APPLYING"]
        for change in crashed:
            rule = rule_for(change.field, target.level)
            if live_value(rule, target.level, target.live) == change.requested:
                mark(change, "APPLIED", "confirmed by reading Meta after an interrupted apply", after=change.requested)
                self.confirmed.append(target)
        campaign = campaigns.get(str(target.live.get("campaign_id"))) if target.level == AD_SET else None
        open_changes = [c for c in target.changes if c.status != "APPLIED"]
        check_object(
            ObjectCheck(target.level, target.object_id, target.live, open_changes, campaign), self.account, self.now
        )

    def _isolation_refusal(self, target: _Target, stored: dict | None) -> str | None:
        account = str(target.live.get("account_id") or "")
        if account != self.account.account_id:
            return f"the object belongs to another ad account (act_{account}), not {self.connection.ad_account_id}"
        if stored is not None and stored.get("connection") != self.connection.id:
            return "the object is stored under another connection of this tenant"
        return None

    def _unreadable(self, target: _Target, error: GraphError) -> None:
        if isinstance(error, TokenError):
            raise error
        for change in target.changes:
            if is_object_gone(error) or error.code == 100:
                mark(
                    change,
                    "REJECTED",
                    f"Meta has no such {target.level.lower().replace('_', ' ')}: {error.message}"[:300],
                )
            elif isinstance(error, GraphPermissionError):
                fail(change, f"no permission to read it: {error.message}", error)
            elif isinstance(error, RateLimitedError):
                defer(change, error.retry_after, f"Meta throttled the read (code {error.code}); tried again later")
            else:
                defer(change, READ_RETRY_SECONDS, f"could not read it from Meta ({error.__class__.__name__})")

    # --- 3 and 4: send ------------------------------------------------------------------------------------------
    def send(self, targets: list[_Target]) -> list[_Target]:
        """Write every object with VALIDATED changes; returns those written (to be read back)."""
        ready = [t for t in targets if self._reserve_budget_changes(t)]
        for target in ready:
            for change in _validated(target):
                mark(change, "APPLYING", attempts=(change.attempts or 0) + 1)
        save_changes(c for t in targets for c in t.changes)  # APPLYING is on record before anything is sent
        written: list[_Target] = []
        for start in range(0, len(ready), MAX_BATCH_ITEMS):
            chunk = ready[start : start + MAX_BATCH_ITEMS]
            try:
                results = run_batch(self.client, self.token, [self._write_item(t) for t in chunk], **self.api)
            except RateLimitedError as exc:
                self._defer_unsent(ready[start:], exc.retry_after, f"rate limited before sending (code {exc.code})")
                break
            except TransientError as exc:
                # Meta may have done some: the next run reads them before anything is sent again.
                self._defer_unsent(ready[start:], READ_RETRY_SECONDS, f"batch request failed: {exc}")
                continue
            self.throttled = None
            written += [t for t, result in zip(chunk, results, strict=True) if self._took(t, result)]
            throttled = self.throttled
            if throttled is not None:
                self.client.limiter.pause_account(
                    self.connection.ad_account_id, throttled.retry_after, f"Graph error code {throttled.code}"
                )
                self._defer_unsent(ready[start + len(chunk) :], throttled.retry_after, "account mutation limit")
                break
        return written

    def _reserve_budget_changes(self, target: _Target) -> bool:
        """False when nothing of the object is left to send (its budget change waits for the hourly limit)."""
        for change in _validated(target):
            if target.level == AD_SET and change.field in BUDGET_FIELDS:
                slot = self.rule.reserve(self.connection.ad_account_id, target.object_id, str(change.id))
                if not slot.allowed:
                    defer(
                        change,
                        slot.wait_seconds,
                        f"Meta allows 4 budget changes per ad set per hour; applied in about "
                        f"{slot.wait_seconds / 60:.0f} min",
                    )
        return bool(_validated(target))

    def _write_item(self, target: _Target) -> BatchItem:
        params = {
            rule_for(c.field, target.level).graph_field(target.level): graph_param(
                rule_for(c.field, target.level), c.requested
            )
            for c in _validated(target)
        }
        params["fields"] = SPECS_BY_LEVEL[target.level].fields_param()
        return BatchItem("POST", target.object_id, params)

    def _took(self, target: _Target, result: BatchResult) -> bool:
        if result.ok:
            body = result.body if isinstance(result.body, dict) else {}
            target.live = body if body.get("id") else None  # read-after-write, when Meta sent the object back
            return True
        error = result.error
        for change in _validated(target):
            self._release(target, change)
            if isinstance(error, RateLimitedError):
                if error.code == 17 and target.level == AD_SET and change.field in BUDGET_FIELDS:
                    self.rule.block(self.connection.ad_account_id, target.object_id)  # this ad set only
                else:
                    self.throttled = error  # the account's limit: send nothing more now
                defer(change, error.retry_after, f"Meta throttled the write (code {error.code}); applied later")
            elif isinstance(error, TransientError):
                defer(change, READ_RETRY_SECONDS, f"no answer from Meta ({error}); read again before resending")
            else:
                fail(change, f"Meta refused it: {error.message or error}"[:300], error)
        return False

    def _release(self, target: _Target, change: Change) -> None:
        if target.level == AD_SET and change.field in BUDGET_FIELDS:
            self.rule.release(self.connection.ad_account_id, target.object_id, str(change.id))

    def _defer_unsent(self, targets: list[_Target], seconds: float, reason: str) -> None:
        for target in targets:
            for change in _validated(target):
                self._release(target, change)
                defer(change, seconds, reason)

    # --- 5: read back and store -----------------------------------------------------------------------------
    def read_back(self, written: list[_Target]) -> None:
        unread = [t for t in written if not t.live]
        if unread:
            items = [BatchItem("GET", t.object_id, {"fields": SPECS_BY_LEVEL[t.level].fields_param()}) for t in unread]
            for target, result in zip(unread, run_batch(self.client, self.token, items, **self.api), strict=True):
                target.live = result.body if result.ok else None
        by_level: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for target in written:
            for change in _validated(target):
                self._settle(target, change)
        for target in {id(t): t for t in written + self.confirmed}.values():
            if target.live:
                by_level[target.level].append(target.live)
        ctx = map_context(self.connection)
        for level, payloads in by_level.items():
            writer = EntityWriter(SPECS_BY_LEVEL[level], ctx)
            writer.add_many(payloads)
            writer.flush()

    def _settle(self, target: _Target, change: Change) -> None:
        if not target.live:
            defer(change, READ_RETRY_SECONDS, "written, but not read back yet; confirmed by reading Meta later")
            return
        rule = rule_for(change.field, target.level)
        after = live_value(rule, target.level, target.live)
        if after == change.requested:
            mark(change, "APPLIED", None, after=after, applied_at=now_ms())
        else:
            fail(change, f"Meta accepted the write but holds {after!r}")
            change.after = after


def _validated(target: _Target) -> list[Change]:
    return [c for c in target.changes if c.status in ("VALIDATED", "APPLYING")]


def _changes_budget(target: _Target) -> bool:
    return any(c.field in BUDGET_FIELDS for c in target.changes)


# --- entry points -------------------------------------------------------------------------------------------------
def apply_changes(
    connection: MetaConnection,
    changes: list[Change],
    client: GraphClient | None = None,
    trigger: str = "task",
    budget_rule: BudgetChangeRule | None = None,
    change_set_id: str | None = None,
) -> dict[str, Any]:
    """Apply open changes of one connection (the caller holds its "changes" lock); returns counts by status.

    Changes not yet due (DEFERRED until later) and final ones are left as they are."""
    client = (client or default_client()).scoped()
    now = now_ms()
    due = [c for c in changes if is_due(c, now)]
    target = {"change_set_id": change_set_id} if change_set_id else {}
    with recorded_run(connection, "CHANGES", trigger, client, target=target) as run:
        run.counts = {"changes": len(due)}
        if due:
            token = ensure_connection_access_token(connection, client)
            work = _Run(connection, client, token, budget_rule or BudgetChangeRule(), now)
            try:
                targets = work.plan(due)
            except (RateLimitedError, TransientError) as exc:
                # Nothing was sent: all wait (an interrupted change is still read from Meta before it is resent).
                wait = exc.retry_after if isinstance(exc, RateLimitedError) else READ_RETRY_SECONDS
                for change in due:
                    defer(change, wait, f"Meta could not be read now ({exc.__class__.__name__}); tried again later")
            else:
                work.read_back(work.send(targets))
            save_changes(due)
        for change in due:
            run.counts[change.status.lower()] = run.counts.get(change.status.lower(), 0) + 1
    if change_set_id:
        ChangeSet.objects(id=change_set_id).update_one(set__last_applied_at=now_ms(), set__counts=run.counts)
    return run.result()


def preview_changes(
    connection: MetaConnection, changes: list[Change], client: GraphClient | None = None
) -> tuple[list[Change], AccountFacts]:
    """The dry run: the same reads and checks, nothing saved and nothing sent; VALIDATED means "would be sent"."""
    client = (client or default_client()).scoped()
    token = ensure_connection_access_token(connection, client)
    work = _Run(connection, client, token, BudgetChangeRule(), now_ms())
    work.plan(changes)
    return changes, work.account


def load_change_set(change_set_id: str) -> tuple[ChangeSet | None, list[Change]]:
    change_set = ChangeSet.objects(id=change_set_id).first()
    if change_set is None:
        return None, []
    order = {change_id: n for n, change_id in enumerate(change_set.change_ids)}
    changes = sorted(Change.objects(id__in=change_set.change_ids), key=lambda c: order.get(c.id, len(order)))
    return change_set, changes  # in the order they were asked for, so batches are too


def apply_change_set(
    connection: MetaConnection,
    change_set_id: str,
    client: GraphClient | None = None,
    trigger: str = "task",
    budget_rule: BudgetChangeRule | None = None,
) -> dict[str, Any]:
    """Apply the open changes of one change set (idempotent: applied changes are not sent again)."""
    change_set, changes = load_change_set(change_set_id)
    if change_set is None or change_set.connection != connection.id:
        raise ValueError(f"no change set {change_set_id!r} for this connection")
    mine = [c for c in changes if c.connection == connection.id and c.tenant_id == connection.tenant_id]
    return apply_changes(connection, mine, client, trigger, budget_rule, change_set_id)
