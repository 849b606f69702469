"""`ObjectStore`: the world's objects by id and by account, with the lookups and edge lists Graph reads need.
Objects are plain dicts keyed by id; keys starting with ``_`` are internal and never rendered."""

from __future__ import annotations

import threading
from datetime import date

from .clock import WorldClock
from .config import SimConfig
from .filters import matches
from .schema import ACCOUNT, AD, ADSET, CAMPAIGN, CREATIVE, IMAGE, VIDEO


class ObjectStore:
    """Thread-safe for concurrent readers; mutations take ``self.lock`` and bump ``self.version``."""

    def __init__(self, config: SimConfig, clock: WorldClock) -> None:
        self.config = config
        self.clock = clock
        self.lock = threading.RLock()
        self.version = 0  # part of every cache key: a mutation invalidates what was cached before it
        self.objects: dict[str, dict] = {}
        self.accounts: list[dict] = []
        self.accounts_by_id: dict[str, dict] = {}
        self.ads: list[dict] = []  # every ad of every account, index = ad["_idx"]
        self._edge_cache: dict[tuple, tuple[list[dict], list[int]]] = {}
        self.build_seconds = 0.0  # how long filling it took

    # ------------------------------------------------------------- filling
    def add_account(self, account: dict) -> None:
        self.accounts.append(account)
        self.accounts_by_id[account["id"]] = account

    def add(self, account: dict, obj: dict) -> None:
        self.objects[obj["id"]] = obj
        account["_lists"][obj["_kind"]].append(obj)

    # ------------------------------------------------------------- lookups
    def account(self, act_id: str) -> dict | None:
        return self.accounts_by_id.get(act_id)

    def get(self, object_id: str) -> dict | None:
        return self.objects.get(object_id) or self.accounts_by_id.get(object_id)

    def account_of(self, obj: dict) -> dict:
        return obj if obj["_kind"] == ACCOUNT else self.accounts_by_id[obj["_account"]]

    def public_view(self, obj: dict) -> dict:
        """Every public field of an object (for control-plane answers and debugging)."""
        return {k: v for k, v in obj.items() if not k.startswith("_")}

    # --------------------------------------------------------------- edges
    def edge_base(self, scope: dict, kind: str) -> list[dict]:
        """The unfiltered, id-ordered list of `kind` objects under `scope` (account, campaign or ad set)."""
        if scope["_kind"] == ACCOUNT:
            return scope["_lists"][kind]
        key = "_adsets" if kind == ADSET else "_ads"
        return [self.objects[i] for i in scope[key]]

    def edge_list(self, scope: dict, kind: str, filters: tuple) -> tuple[list[dict], list[int]]:
        """Filtered objects and their integer ids (ascending), cached per (scope, kind, filters, world version)."""
        key = (self.version, scope["id"], kind, filters)
        hit = self._edge_cache.get(key)
        if hit is not None:
            return hit
        base = self.edge_base(scope, kind)
        objects = self.objects
        objs = [o for o in base if matches(objects, o, filters)] if filters else list(base)
        # Images are keyed by hash: they page by their upload order (`_key`); everything else by its numeric id.
        result = (objs, [o["_key"] if "_key" in o else int(o["id"]) for o in objs])
        with self.lock:
            if len(self._edge_cache) > 256:
                self._edge_cache.clear()
            self._edge_cache[key] = result
        return result

    # -------------------------------------------------------------- summary
    def summary(self, first: int = 5) -> dict:
        """Counts, statuses and the first ids per account: what /__sim/world answers."""
        accounts = [self._account_summary(acct, first) for acct in self.accounts]
        lo, hi = self.clock.data_window()
        return {
            "version": self.version,
            "seed": self.config.seed,
            "today": self.clock.today().isoformat(),
            "data_window": [date.fromordinal(lo).isoformat(), date.fromordinal(hi).isoformat()],
            "build_seconds": round(self.build_seconds, 3),
            "accounts": accounts,
            "totals": {
                kind: sum(a["counts"][kind] for a in accounts)
                for kind in ("campaigns", "adsets", "ads", "adcreatives", "adimages", "advideos")
            },
        }

    @staticmethod
    def _account_summary(acct: dict, first: int) -> dict:
        lists = acct["_lists"]
        statuses: dict[str, dict[str, int]] = {}
        for kind in (CAMPAIGN, ADSET, AD):
            counts: dict[str, int] = {}
            for o in lists[kind]:
                counts[o["effective_status"]] = counts.get(o["effective_status"], 0) + 1
            statuses[kind] = counts
        return {
            "id": acct["id"],
            "name": acct["name"],
            "counts": {
                "campaigns": len(lists[CAMPAIGN]),
                "adsets": len(lists[ADSET]),
                "ads": len(lists[AD]),
                "adcreatives": len(lists[CREATIVE]),
                "adimages": len(lists[IMAGE]),
                "advideos": len(lists[VIDEO]),
            },
            "effective_status": {"campaigns": statuses[CAMPAIGN], "adsets": statuses[ADSET], "ads": statuses[AD]},
            "first_ids": {
                "campaigns": [o["id"] for o in lists[CAMPAIGN][:first]],
                "adsets": [o["id"] for o in lists[ADSET][:first]],
                "ads": [o["id"] for o in lists[AD][:first]],
                "adcreatives": [o["id"] for o in lists[CREATIVE][:first]],
            },
        }
