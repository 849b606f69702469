"""Authentication of calls over HTTP: appsecret_proof and expired tokens."""

from __future__ import annotations

from tests.simulator_helpers import ACT, SECRET_CONFIG, TOKEN, err, ok, proof, server_fixture, session_fixture

secured = server_fixture(SECRET_CONFIG)
http = session_fixture()


def test_appsecret_proof_enforced(secured, http):
    url = f"{secured.graph_url}/{ACT}/campaigns"
    e = err(http.get(url, params={"access_token": TOKEN}))
    assert e["code"] == 100 and "appsecret_proof" in e["message"]
    e = err(http.get(url, params={"access_token": TOKEN, "appsecret_proof": proof(TOKEN, "other")}))
    assert e["code"] == 100 and e["message"] == "Invalid appsecret_proof provided in the API argument"
    ok(http.get(url, params={"access_token": TOKEN, "appsecret_proof": proof(TOKEN)}))
    e = err(http.get(url, params={"access_token": "old-token", "appsecret_proof": proof("old-token")}))
    assert e["code"] == 190 and e["error_subcode"] == 463
