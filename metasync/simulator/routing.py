"""Graph paths to handlers: the API version prefix, then werkzeug `Map`s of the paths metasync calls
(report runs, whose ids look like any node's, in a `Map` of their own)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from werkzeug.routing import BaseConverter, Map, Rule

VERSION_RE = re.compile(r"^v(\d+)\.(\d+)$")


def is_version(segment: str) -> bool:
    return VERSION_RE.match(segment) is not None


def version_tuple(v: str) -> tuple[int, int]:
    m = VERSION_RE.match(v)
    if not m:
        raise ValueError(v)
    return int(m.group(1)), int(m.group(2))


def split_version(path: str) -> tuple[str | None, list[str]]:
    """``/v25.0/act_1/ads`` -> ("v25.0", ["act_1", "ads"]); empty segments are ignored, as Graph does."""
    segs = [s for s in path.split("/") if s]
    if segs and is_version(segs[0]):
        return segs[0], segs[1:]
    return None, segs  # unversioned calls use the app's default (latest) version


@dataclass(frozen=True, eq=False)
class Endpoint:
    """What a matched path does.

    `resource` names it in call counts (with the edge, e.g. "act/ads"); `target` says what its first segment
    names ("account", "object", "report_run" or None); `handlers` are handler names by method, `other` the
    one for any other method. `public` endpoints need no access token.
    """

    resource: str
    target: str | None
    handlers: Mapping[str, str]
    other: str
    public: bool = False

    def handler_name(self, method: str) -> str:
        return self.handlers.get(method, self.other)

    def handler_names(self) -> set[str]:
        return {self.other, *self.handlers.values()}

    def label(self, method: str, edge: str | None) -> str:
        return f"{method} {self.resource}" + (f"/{edge}" if edge else "")


def serves(
    resource: str, target: str | None = None, *, other: str = "reject_method", public: bool = False, **handlers: str
) -> Endpoint:
    return Endpoint(resource, target, handlers, other, public)


class AccountIdConverter(BaseConverter):
    """``act_<digits>``: tried before the plain segment of node ids (a lower weight sorts first)."""

    regex = r"act_[^/]*"
    weight = 50


ACCOUNT = "account"
OBJECT = "object"
REPORT_RUN = "report_run"

# Every path shape ends in a rule for any method: what Graph answers to a method a path does not support
# depends on the path (see the `other` handler of each endpoint).
GRAPH_ROUTES = Map(
    [
        Rule("/", endpoint=serves("root", other="reject_root")),
        Rule("/oauth/access_token", endpoint=serves("oauth/access_token", other="oauth_access_token", public=True)),
        Rule("/debug_token", endpoint=serves("debug_token", other="debug_token")),
        Rule("/me", endpoint=serves("me", GET="me")),
        Rule("/me/adaccounts", endpoint=serves("me/adaccounts", GET="my_ad_accounts")),
        Rule("/me/<edge>", endpoint=serves("me", GET="reject_user_edge")),
        Rule("/me/<edge>/<path:rest>", endpoint=serves("me", other="reject_depth")),
        Rule("/<act:head>", endpoint=serves("act", ACCOUNT, GET="account")),
        Rule(
            "/<act:head>/insights",
            endpoint=serves("act/insights", ACCOUNT, GET="account_insights", POST="create_report_run"),
        ),
        Rule(
            "/<act:head>/<any(campaigns, adsets, ads, adcreatives, adimages, advideos):edge>",
            endpoint=serves("act", ACCOUNT, GET="account_edge", other="reject_account_edge_method"),
        ),
        Rule(
            "/<act:head>/<edge>",
            endpoint=serves("act", ACCOUNT, GET="reject_account_edge", other="reject_account_edge_method"),
        ),
        Rule("/<act:head>/<edge>/<path:rest>", endpoint=serves("act", ACCOUNT, other="reject_depth")),
        Rule("/<head>", endpoint=serves("node", OBJECT, GET="object", POST="update_object", DELETE="delete_object")),
        Rule("/<head>/insights", endpoint=serves("node/insights", OBJECT, GET="object_insights")),
        Rule("/<head>/<edge>", endpoint=serves("node", OBJECT, GET="object_edge")),
        Rule("/<head>/<edge>/<path:rest>", endpoint=serves("node", OBJECT, other="reject_depth")),
    ],
    converters={"act": AccountIdConverter},
    merge_slashes=False,
)

REPORT_RUN_ROUTES = Map(
    [
        Rule("/<head>", endpoint=serves("report_run", REPORT_RUN, GET="report_run")),
        Rule("/<head>/insights", endpoint=serves("report_run/insights", REPORT_RUN, GET="report_run_insights")),
        Rule("/<head>/<edge>", endpoint=serves("report_run", REPORT_RUN, GET="reject_report_run_edge")),
        Rule("/<head>/<edge>/<path:rest>", endpoint=serves("report_run", REPORT_RUN, other="reject_depth")),
    ],
    merge_slashes=False,
)


def endpoints() -> list[Endpoint]:
    return [rule.endpoint for routes in (GRAPH_ROUTES, REPORT_RUN_ROUTES) for rule in routes.iter_rules()]


class GraphRouter:
    """Matches the segments of a path (version removed); `is_report_run` tells report run ids apart."""

    def __init__(self, is_report_run: Callable[[str], bool]) -> None:
        self._is_report_run = is_report_run
        self._graph = GRAPH_ROUTES.bind("graph")
        self._report_runs = REPORT_RUN_ROUTES.bind("graph")

    def match(self, segments: list[str]) -> tuple[Endpoint, dict[str, str]]:
        routes = self._report_runs if segments and self._is_report_run(segments[0]) else self._graph
        # Never NotFound: the last rules of each family take any depth, and no rule is limited to methods.
        return routes.match("/" + "/".join(segments))
