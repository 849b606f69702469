"""`Simulator`, the WSGI application, wiring Graph handlers, dispatch and the control plane to one world:
/__sim/... goes to the control plane, everything else to Graph (a batch, or one call)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from werkzeug.wrappers import Request, Response

from .auth import Authenticator, Tokens
from .batch import BatchCalls, is_batch
from .call import Call
from .config import SimConfig
from .control import ControlPlane
from .dispatch import GraphDispatcher, Handler, TraceIds
from .faults import Faults
from .nodes import GraphNodes
from .oauth import OAuthEndpoints
from .paging import Pager
from .report_runs import ReportRuns
from .responses import json_response
from .stats import CallStats
from .usage import UsageMeter
from .webhooks import Webhooks
from .world import World
from .writes import ObjectWrites


class Simulator:
    """`world` is the simulated data; everything else here is runtime state (counts, faults, tokens, runs)."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.config: SimConfig = world.config
        config = self.config
        self.user_id = str(10_150_000_000_000_000 + config.seed % 10**6)
        self.stats = CallStats()
        self.faults = Faults(config)
        self.usage = UsageMeter(config, world)
        self.tokens = Tokens(config, self.faults, world.clock)
        pager = Pager(config, self.faults)
        self.report_runs = ReportRuns(world, config, self.faults, pager)
        self.webhooks = Webhooks(config, world)
        self.writes = ObjectWrites(world, self.faults, self.webhooks)
        self.dispatcher = GraphDispatcher(
            config,
            world,
            self.report_runs,
            self._handlers(pager),
            Authenticator(config, self.tokens).authenticate,
            self.faults,
            self.usage,
            self.stats,
            TraceIds(config.seed),
        )
        self.batch = BatchCalls(self.dispatcher)
        self.control = ControlPlane(world, config, self.stats, self.usage, self.faults, self.report_runs, self.webhooks)

    def _handlers(self, pager: Pager) -> dict[str, Handler]:
        """The handler of each name the routes use (see routing.GRAPH_ROUTES)."""
        nodes = GraphNodes(self.world, self.config, pager, self.user_id)
        oauth = OAuthEndpoints(self.config, self.tokens, self.user_id)
        runs = self.report_runs
        return {
            "oauth_access_token": oauth.access_token,
            "debug_token": oauth.debug_token,
            "me": nodes.me,
            "my_ad_accounts": nodes.my_ad_accounts,
            "account": nodes.account,
            "account_edge": nodes.account_edge,
            "account_insights": nodes.account_insights,
            "create_report_run": runs.create,
            "object": nodes.object,
            "update_object": self.writes.update,
            "delete_object": self.writes.delete,
            "object_edge": nodes.object_edge,
            "object_insights": nodes.object_insights,
            "report_run": runs.node,
            "report_run_insights": runs.insights,
            "reject_report_run_edge": runs.reject_edge,
            "reject_root": nodes.reject_root,
            "reject_method": nodes.reject_method,
            "reject_depth": nodes.reject_depth,
            "reject_user_edge": nodes.reject_user_edge,
            "reject_account_edge": nodes.reject_account_edge,
            "reject_account_edge_method": nodes.reject_account_edge_method,
        }

    def __call__(self, environ: dict, start_response: Callable) -> Any:
        request = Request(environ)
        try:
            if request.path.startswith("/__sim"):
                response = self.control.answer(request)
            else:
                response = self.graph_http(request)
        except Exception as exc:  # never let the server print a traceback page
            response = json_response(
                {
                    "error": {
                        "message": f"simulator bug: {exc!r}",
                        "type": "SimulatorError",
                        "code": 1,
                        "is_transient": False,
                        "fbtrace_id": "SIMBUG",
                    }
                },
                500,
            )
            print(
                f"metasync simulator: internal error on {request.method} {request.full_path}: {exc!r}", file=sys.stderr
            )
        return response(environ, start_response)

    def graph_http(self, request: Request) -> Response:
        self.stats.count_http_request()
        self.faults.delay()
        call = Call.from_request(request)
        if is_batch(call):
            return self.batch.answer(call)
        status, body, headers = self.dispatcher.dispatch(call)
        return json_response(body, status, headers)


def create_simulator_app(world: World | SimConfig | None = None) -> Simulator:
    """The WSGI app for a world (or a config, or the default config)."""
    if not isinstance(world, World):
        world = World(world)
    return Simulator(world)
