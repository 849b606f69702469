"""Reads of Graph nodes and edges: the user, ad accounts, campaigns, ad sets, ads, creatives and their insights;
and Graph's answers to the paths it does not serve (`reject_*`), which depend on the path."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, NoReturn

from .call import Call
from .config import SimConfig
from .errors import SimulatedGraphError, invalid_param, nonexisting_field, too_much_data_sync, unsupported_request
from .fields import parse_fields
from .filters import parse_edge_filters
from .paging import Pager
from .rendering import NodeRenderer, check_fields, select_fields
from .schema import ACCOUNT, AD, ADSET, CAMPAIGN, CHILD_EDGES, CREATIVE, EDGE_KIND, IMAGE, NODE_TYPE
from .world import World


def json_param(call: Call, name: str) -> Any:
    """A JSON parameter (None when absent); effective_status also takes a comma list: ACTIVE,PAUSED."""
    raw = call.params.get(name)
    if raw in (None, ""):
        return None
    try:
        return json.loads(raw)
    except ValueError:
        if name == "effective_status":
            return [s.strip() for s in raw.split(",") if s.strip()]
        raise invalid_param(f"(#100) param {name} must be a JSON array") from None


@dataclass(eq=False)
class GraphNodes:
    world: World
    config: SimConfig
    pager: Pager
    user_id: str

    def __post_init__(self) -> None:
        self.renderer = NodeRenderer(self.world.objects, self.world.clock)

    # ------------------------------------------------------------- the user
    def me(self, call: Call) -> dict:
        return select_fields(
            {"id": self.user_id, "name": "Simulated User"}, call.params.get("fields", ""), "User", {"id", "name"}
        )

    def my_ad_accounts(self, call: Call) -> dict:
        return self._account_page(call, self.world.accounts)

    def _account_page(self, call: Call, accounts: list[dict]) -> dict:
        """Ad accounts in account-id order (the user's, or a business's owned or client ones)."""
        spec = parse_fields(call.params.get("fields", ""))
        check_fields(ACCOUNT, spec)
        limit = self.pager.limit(call)
        keys = [int(a["account_id"]) for a in accounts]
        return self.pager.object_page(
            call, accounts, keys, limit, lambda a: self.renderer.render(a, spec), backwards=False
        )

    # ---------------------------------------------------------- ad accounts
    def account(self, call: Call) -> dict:
        return self._render_target(call)

    def account_edge(self, call: Call) -> dict:
        return self.list_edge(call, call.require_target(), EDGE_KIND[call.edge])

    def account_insights(self, call: Call) -> dict:
        account = call.require_target()
        return self._sync_insights(call, account, account)

    # -------------------------------------------- campaigns, ad sets, ads ...
    def object(self, call: Call) -> dict:
        return self._render_target(call)

    def object_edge(self, call: Call) -> dict:
        obj = call.require_target()
        child = CHILD_EDGES.get(obj["_kind"], {}).get(call.edge)
        if child is None:
            raise nonexisting_field(call.edge, NODE_TYPE[obj["_kind"]])
        if child == CREATIVE:  # /<ad>/adcreatives: the ad's creative
            return self._creative_edge(call, obj)
        if child == ACCOUNT:  # /<business>/owned_ad_accounts, /<business>/client_ad_accounts
            return self._account_page(call, [self.world.accounts_by_id[i] for i in obj[f"_{call.edge}"]])
        return self.list_edge(call, obj, child)

    def object_insights(self, call: Call) -> dict:
        obj = call.require_target()
        if obj["_kind"] not in (CAMPAIGN, ADSET, AD):
            raise nonexisting_field("insights", NODE_TYPE[obj["_kind"]])
        return self._sync_insights(call, self.world.account_of(obj), obj)

    # ---------------------------------------------------------------- edges
    def list_edge(self, call: Call, scope: dict, kind: str) -> dict:
        world = self.world
        spec = parse_fields(call.params.get("fields", ""))
        check_fields(kind, spec)
        limit = self.pager.limit(call)
        filtering = json_param(call, "filtering")
        if filtering is not None and not isinstance(filtering, list):
            raise invalid_param("(#100) param filtering must be a JSON array")
        eff = json_param(call, "effective_status")
        if eff is not None and not isinstance(eff, list):
            raise invalid_param("(#100) param effective_status must be an array")
        filters = parse_edge_filters(kind, filtering, eff)
        if kind == IMAGE:
            filters += self._image_hashes(call)
        objs, keys = world.edge_list(scope, kind, filters)
        body = self.pager.object_page(call, objs, keys, limit, lambda o: self.renderer.render(o, spec))
        if call.params.get("summary") in ("true", "1", "total_count", '["total_count"]'):
            body["summary"] = {"total_count": len(objs)}
        return body

    @staticmethod
    def _image_hashes(call: Call) -> tuple:
        """`adimages?hashes=["<hash>", ...]`: only those images (Meta's way to look images up)."""
        hashes = json_param(call, "hashes")
        if hashes is None:
            return ()
        if not isinstance(hashes, list):
            raise invalid_param("(#100) param hashes must be an array")
        return (("self", "hash", "IN", tuple(str(h) for h in hashes)),)

    def _creative_edge(self, call: Call, ad: dict) -> dict:
        spec = parse_fields(call.params.get("fields", ""))
        check_fields(CREATIVE, spec)
        creative = self.world.objects.get(ad["_creative_id"])
        return {"data": [self.renderer.render(creative, spec)] if creative else []}

    def _render_target(self, call: Call) -> dict:
        return self.renderer.render(call.require_target(), parse_fields(call.params.get("fields", "")))

    def _sync_insights(self, call: Call, account: dict, scope: dict) -> dict:
        engine = self.world.insights
        query = engine.build_query(account, scope, call.params)
        limit = self.pager.limit(call)
        if engine.estimate_rows(query) > self.config.max_sync_insights_rows:
            raise too_much_data_sync()
        return self.pager.insights_page(call, engine, query, limit)

    # ------------------------------------------------ paths Graph does not serve
    @staticmethod
    def reject_root(call: Call) -> NoReturn:
        raise SimulatedGraphError(100, "(#100) Unsupported request: the root path needs a batch parameter")

    @staticmethod
    def reject_method(call: Call) -> NoReturn:
        raise unsupported_request(call.method, call.segments[0])

    @staticmethod
    def reject_depth(call: Call) -> NoReturn:
        raise unsupported_request(call.method, "/".join(call.segments))

    @staticmethod
    def reject_user_edge(call: Call) -> NoReturn:
        raise nonexisting_field(call.edge, "User")

    @staticmethod
    def reject_account_edge(call: Call) -> NoReturn:
        call.require_target()
        raise nonexisting_field(call.edge, "AdAccount")

    @staticmethod
    def reject_account_edge_method(call: Call) -> NoReturn:
        call.require_target()
        raise unsupported_request(call.method, "/".join(call.segments))
