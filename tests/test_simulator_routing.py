"""Graph paths over HTTP: API versions, and what Graph answers to the paths it does not serve."""

from __future__ import annotations

import pytest

from tests.simulator_helpers import ACT, TOKEN, V, err, ok, shared_server_fixtures

sim, http, _clean_faults = shared_server_fixtures()


def test_versions(sim, http):
    e = err(http.get(f"{sim.base_url}/v21.0/{ACT}", params={"access_token": TOKEN}))
    assert e["code"] == 2635
    for v in ("v22.0", "v24.0", "v99.0"):
        assert http.get(f"{sim.base_url}/{v}/{ACT}", params={"access_token": TOKEN}).status_code == 200
    e = err(http.get(f"{sim.base_url}/{V}/{ACT}"))  # no token
    assert e["code"] == 104


def _unsupported(method, object_id):
    return 33, f"Unsupported {method} request. Object with ID '{object_id}' does not exist"


@pytest.mark.parametrize(
    "method, path, route, answer",
    [
        ("GET", "", "GET root", (None, "(#100) Unsupported request: the root path needs a batch parameter")),
        ("POST", "me", "POST me", _unsupported("post", "me")),
        (
            "GET",
            "me/friends",
            "GET me/friends",
            (None, "(#100) Tried accessing nonexisting field (friends) on node type (User)"),
        ),
        ("GET", "me/adaccounts/x", "GET me/adaccounts", _unsupported("get", "me/adaccounts/x")),
        ("PUT", "act_999", "PUT act", _unsupported("put", "act_999")),
        ("POST", f"{ACT}/campaigns", "POST act/campaigns", _unsupported("post", f"{ACT}/campaigns")),
        ("POST", "act_999/campaigns", "POST act/campaigns", _unsupported("post", "act_999")),
        ("DELETE", f"{ACT}/insights", "DELETE act/insights", _unsupported("delete", ACT)),
        (
            "GET",
            f"{ACT}/bogus",
            "GET act/bogus",
            (None, "(#100) Tried accessing nonexisting field (bogus) on node type (AdAccount)"),
        ),
        ("GET", f"{ACT}/ads/x", "GET act/ads", _unsupported("get", f"{ACT}/ads/x")),
        ("GET", "oauth/access_token/x", "GET node/access_token", _unsupported("get", "oauth/access_token/x")),
        ("GET", "debug_token/x", "GET node/x", _unsupported("get", "debug_token")),
    ],
)
def test_paths_graph_does_not_serve(sim, http, method, path, route, answer):
    """Each answers as Graph does and is counted under the route it looks like."""
    ok(http.post(sim.url("/__sim/calls/reset")))
    e = err(http.request(method, f"{sim.graph_url}/{path}", params={"access_token": TOKEN}))
    subcode, message = answer
    assert e["code"] == 100 and e.get("error_subcode") == subcode and e["message"].startswith(message)
    assert ok(http.get(sim.url("/__sim/calls")))["by_route"] == {route: 1}
