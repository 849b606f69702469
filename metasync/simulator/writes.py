"""Writes: `POST /<id>` (form fields; `fields=` answers the object as it is after the write) and `DELETE /<id>`,
alone or as batch items, with Meta's validation errors and write limits:

- at most 4 budget changes of an ad set per hour; the fifth gets error 17 and blocks that ad set's budget for an
  hour;
- `account_mutations_per_hour` writes per ad account (off by default); beyond, error 613 / 1487742.

A write changes the world (statuses down the tree, budgets, names, end times), the ads' delivery from the day of
the change on (a paused ad stops spending, a budget twice as high spends twice as much), and, with a
`webhook_url` configured, sends the matching `in_process_ad_objects` webhook.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from datetime import datetime, timezone
from typing import Any

from .call import Call
from .errors import SimulatedGraphError, invalid_param, rate_limit_error
from .faults import Faults
from .fields import parse_fields
from .mutations import update_object
from .rendering import NodeRenderer
from .schema import AD, ADSET, CAMPAIGN, NODE_TYPE
from .webhooks import Webhooks
from .world import World

WRITABLE = {
    CAMPAIGN: frozenset(
        {"name", "status", "daily_budget", "lifetime_budget", "stop_time", "spend_cap", "bid_strategy"}
    ),
    ADSET: frozenset({"name", "status", "daily_budget", "lifetime_budget", "end_time", "bid_amount"}),
    AD: frozenset({"name", "status"}),
}
IGNORED_PARAMS = frozenset({"access_token", "appsecret_proof", "fields", "format", "method", "suppress_http_code"})
STATUSES = ("ACTIVE", "PAUSED", "ARCHIVED", "DELETED")
BUDGETS = ("daily_budget", "lifetime_budget")
MONEY = ("daily_budget", "lifetime_budget", "spend_cap", "bid_amount")
END_FIELD = {CAMPAIGN: "stop_time", ADSET: "end_time"}
BUDGET_CHANGES_PER_HOUR = 4
HOUR = 3600.0
MAX_LIFETIME_USD_CENTS = 100_000_000  # about 1M USD: above, Meta refuses a lifetime budget (subcode 1885261)

# (subcode, message) of Meta's refusals, as the simulator answers them (code 100).
REFUSALS = {
    "deleted": (1487056, "The object is deleted and cannot be edited"),
    "archived": (1487057, "Archived objects can only be deleted"),
    "budget_too_low": (1885272, "Your budget is too low. The minimum daily budget for this ad account is {minimum}"),
    "campaign_budget": (1885621, "Cannot set an ad set budget: the campaign uses campaign budget optimisation"),
    "no_campaign_budget": (1885622, "Cannot set a campaign budget: this campaign's ad sets hold the budgets"),
    "exclusive": (1885623, "Daily and lifetime budgets cannot both be set"),
    "lifetime_needs_end": (1885146, "A lifetime budget needs an end time"),
    "end_in_past": (1885184, "The end time must be in the future"),
    "lifetime_too_high": (1885261, "The lifetime budget is too high"),
}


def refusal(key: str, **values: Any) -> SimulatedGraphError:
    subcode, message = REFUSALS[key]
    return invalid_param(f"(#100) {message.format(**values)}", subcode=subcode)


def parse_time(raw: str) -> int:
    """Unix seconds from `1767225600` or an ISO time (`+0000`, `+00:00` and `Z` offsets; none means UTC)."""
    text = str(raw).strip()
    if text.isdigit():
        return int(text)
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise invalid_param(f"(#100) Invalid time: {text[:40]!r}") from None
    return int((parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)).timestamp())


class ObjectWrites:
    def __init__(self, world: World, faults: Faults, webhooks: Webhooks, clock=time.time) -> None:
        self.world = world
        self.config = world.config
        self.faults = faults
        self.webhooks = webhooks
        self.clock = clock
        self.renderer = NodeRenderer(world.objects, world.clock)
        self.lock = threading.Lock()
        self._budget_changes: dict[str, deque[float]] = {}
        self._budget_blocked_until: dict[str, float] = {}
        self._account_mutations: dict[str, deque[float]] = {}

    # ------------------------------------------------------------- handlers
    def update(self, call: Call) -> dict:
        obj = self._writable(call)
        changes = self._form(call, obj)
        self.faults.inject_write_failure(obj["id"])
        self._validate(obj, changes)
        self._count_limits(obj, changes)
        update_object(self.world, obj, changes, self.clock())
        self._notify(obj)
        answer: dict[str, Any] = {"success": True}
        if call.params.get("fields"):
            answer.update(self.renderer.render(obj, parse_fields(call.params["fields"])))
        return answer

    def delete(self, call: Call) -> dict:
        obj = self._writable(call)
        self.faults.inject_write_failure(obj["id"])
        self._validate(obj, {"status": "DELETED"})
        self._count_limits(obj, {"status": "DELETED"})
        update_object(self.world, obj, {"status": "DELETED"}, self.clock())
        self._notify(obj)
        return {"success": True}

    # ------------------------------------------------------------ the checks
    def _writable(self, call: Call) -> dict:
        obj = call.require_target()
        if obj["_kind"] not in WRITABLE:
            raise SimulatedGraphError(
                100, f"(#100) {NODE_TYPE[obj['_kind']]} objects cannot be changed here", type="GraphMethodException"
            )
        return obj

    def _form(self, call: Call, obj: dict) -> dict[str, Any]:
        allowed = WRITABLE[obj["_kind"]]
        changes: dict[str, Any] = {}
        for name, raw in call.params.items():
            if name in IGNORED_PARAMS:
                continue
            if name not in allowed:
                raise invalid_param(f"(#100) Param {name} is not a field of {NODE_TYPE[obj['_kind']]} that can be set")
            changes[name] = self._value(name, raw)
        if not changes:
            raise invalid_param("(#100) No fields to update")
        return changes

    @staticmethod
    def _value(name: str, raw: str) -> Any:
        if name in MONEY:
            if not str(raw).isdigit():
                raise invalid_param(f"(#100) Param {name} must be an integer in the currency's minimum unit")
            return int(raw)
        if name == "status":
            if raw not in STATUSES:
                raise invalid_param(f"(#100) Param status must be one of {{{', '.join(STATUSES)}}}")
            return raw
        if name in END_FIELD.values():
            return parse_time(raw)
        if name == "name" and not str(raw).strip():
            raise invalid_param("(#100) Param name must be non-empty")
        return str(raw)

    def _validate(self, obj: dict, changes: dict[str, Any]) -> None:
        status = obj.get("configured_status")
        if status == "DELETED":
            raise refusal("deleted")
        if status == "ARCHIVED" and changes != {"status": "DELETED"}:
            raise refusal("archived")
        budgets = [b for b in BUDGETS if b in changes]
        end_field = END_FIELD.get(obj["_kind"])
        if not budgets and (end_field is None or end_field not in changes):
            return
        if len(budgets) == 2:
            raise refusal("exclusive")
        if budgets:
            self._check_budget(obj, budgets[0], changes[budgets[0]])
        end = changes.get(end_field)
        if end is not None and end <= self.clock():
            raise refusal("end_in_past")
        if "lifetime_budget" in changes and end is None and not obj.get(end_field):
            raise refusal("lifetime_needs_end")

    def _check_budget(self, obj: dict, field: str, amount: int) -> None:
        campaign = obj if obj["_kind"] == CAMPAIGN else self.world.objects[obj["campaign_id"]]
        if obj["_kind"] == ADSET and campaign.get("_cbo"):
            raise refusal("campaign_budget")
        if obj["_kind"] == CAMPAIGN and not campaign.get("_cbo"):
            raise refusal("no_campaign_budget")
        other = "lifetime_budget" if field == "daily_budget" else "daily_budget"
        if int(obj.get(other) or 0):
            raise refusal("exclusive")
        account = self.world.account_of(obj)
        minimum = int(account.get("min_daily_budget") or 0)
        if field == "daily_budget" and amount < minimum:
            raise refusal("budget_too_low", minimum=minimum)
        if field == "lifetime_budget" and amount > MAX_LIFETIME_USD_CENTS:
            raise refusal("lifetime_too_high")

    def _count_limits(self, obj: dict, changes: dict[str, Any]) -> None:
        """Meta's write limits; a refused write counts toward none of them."""
        now = self.clock()
        account_id = self.world.account_of(obj)["account_id"]
        with self.lock:
            budget_queue = None
            if obj["_kind"] == ADSET and any(b in changes for b in BUDGETS):
                if self._budget_blocked_until.get(obj["id"], 0) > now:
                    raise rate_limit_error(17, 1885172)
                budget_queue = _window(self._budget_changes, obj["id"], now)
                if len(budget_queue) >= BUDGET_CHANGES_PER_HOUR:
                    self._budget_blocked_until[obj["id"]] = now + HOUR
                    raise rate_limit_error(17, 1885172)
            limit = self.config.account_mutations_per_hour
            mutations = _window(self._account_mutations, account_id, now)
            if limit is not None and len(mutations) >= limit:
                raise rate_limit_error(613, 1487742)
            mutations.append(now)
            if budget_queue is not None:
                budget_queue.append(now)

    def _notify(self, obj: dict) -> None:
        if self.config.webhook_url:
            threading.Thread(
                target=self.webhooks.send, args=({"id": obj["id"]},), name="sim-write-webhook", daemon=True
            ).start()


def _window(queues: dict[str, deque[float]], key: str, now: float) -> deque[float]:
    """The times within the last hour (older ones dropped)."""
    queue = queues.setdefault(key, deque())
    while queue and queue[0] <= now - HOUR:
        queue.popleft()
    return queue
