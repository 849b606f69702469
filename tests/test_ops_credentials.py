"""`metasync check`: the Meta app and each connection's token, verified with Meta, each failure with its reason."""

from __future__ import annotations

import pytest
import requests
import responses

from metasync.connections.registry import upsert_connection
from metasync.simulator import SimConfig, SimulatorServer
from tests.graph_fakes import GOOD_TOKEN_INFO, GRAPH, error_body, meta_app
from tests.helpers import OTHER_TOKEN, TOKEN, by_name, epoch_in, json_of

pytestmark = pytest.mark.services


def test_check_passes_when_app_and_every_token_are_good(cli):
    upsert_connection("t1", "act_1", TOKEN)
    upsert_connection("t2", "act_2", OTHER_TOKEN)
    with responses.RequestsMock() as graph:
        never_expires = {**GOOD_TOKEN_INFO, "expires_at": 0, "scopes": ["ads_management"]}
        meta_app(graph, {TOKEN: GOOD_TOKEN_INFO, OTHER_TOKEN: never_expires})
        result = cli("check", "--json")

    assert result.exit_code == 0, result.output
    report = json_of(result)
    assert report["ok"] is True
    checks = by_name(report)
    assert checks["app"]["status"] == "pass" and "reachable and active" in checks["app"]["detail"]
    assert checks["token t1 act_1"]["status"] == "pass"
    assert "never expires" in checks["token t2 act_2"]["detail"]


@pytest.mark.parametrize(
    "answer,reason",
    [
        (
            {**GOOD_TOKEN_INFO, "is_valid": False, "error": {"code": 190, "message": "Session has expired"}},
            "re-authenticate",
        ),
        ({**GOOD_TOKEN_INFO, "expires_at": epoch_in(-1)}, "expired on"),
        ({**GOOD_TOKEN_INFO, "data_access_expires_at": epoch_in(-1)}, "data access expired"),
        ({**GOOD_TOKEN_INFO, "scopes": ["pages_show_list"]}, "lacks ads_read or ads_management"),
        ({**GOOD_TOKEN_INFO, "app_id": "999"}, "issued for app 999"),
    ],
)
def test_check_fails_for_a_bad_token_with_the_reason(cli, answer, reason):
    upsert_connection("t1", "act_1", TOKEN)
    with responses.RequestsMock() as graph:
        meta_app(graph, {TOKEN: answer})
        result = cli("check", "--json")

    assert result.exit_code == 1
    token_check = by_name(json_of(result))["token t1 act_1"]
    assert token_check["status"] == "fail" and reason in token_check["detail"]


def test_token_expiring_within_the_refresh_window_warns_but_passes(cli):
    upsert_connection("t1", "act_1", TOKEN)
    with responses.RequestsMock() as graph:
        meta_app(graph, {TOKEN: {**GOOD_TOKEN_INFO, "expires_at": epoch_in(2)}})
        result = cli("check", "--json")

    assert result.exit_code == 0
    assert by_name(json_of(result))["token t1 act_1"]["status"] == "warn"


def test_check_fails_when_meta_refuses_the_app_secret(cli):
    upsert_connection("t1", "act_1", TOKEN)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as graph:
        meta_app(graph, {}, app_answer=(400, error_body(1, "Error validating client secret.")))
        result = cli("check", "--json")

    assert result.exit_code == 1
    report = json_of(result)
    assert [c["name"] for c in report["checks"]] == ["app"]
    assert "credentials refused" in report["checks"][0]["detail"]


def test_check_fails_when_the_graph_api_is_unreachable(cli):
    with responses.RequestsMock() as graph:
        graph.add("GET", f"{GRAPH}/oauth/access_token", body=requests.ConnectionError("refused"))
        result = cli("check", "--json")

    assert result.exit_code == 1
    assert "not reachable" in by_name(json_of(result))["app"]["detail"]


def test_check_against_the_simulator(cli, configure):
    config = SimConfig(app_id="111", app_secret="test-app-secret", expired_tokens=(OTHER_TOKEN,))
    upsert_connection("t1", "act_1", TOKEN)
    upsert_connection("t2", "act_2", OTHER_TOKEN)
    with SimulatorServer(config) as sim:
        configure(META_GRAPH_URL=sim.base_url)
        result = cli("check", "--json")

    assert result.exit_code == 1
    checks = by_name(json_of(result))
    assert checks["app"]["status"] == "pass"
    assert checks["token t1 act_1"]["status"] == "pass"
    assert checks["token t2 act_2"]["status"] == "fail" and "re-authenticate" in checks["token t2 act_2"]["detail"]
