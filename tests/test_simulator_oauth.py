"""The token endpoints over HTTP: oauth/access_token and debug_token."""

from __future__ import annotations

import time

from tests.simulator_helpers import ACT, SECRET_CONFIG, err, ok, proof, server_fixture, session_fixture

secured = server_fixture(SECRET_CONFIG)
http = session_fixture()


def test_token_exchange_and_debug_token(secured, http):
    url = f"{secured.graph_url}/oauth/access_token"
    body = ok(
        http.get(
            url,
            params={
                "grant_type": "fb_exchange_token",
                "client_id": "111",
                "client_secret": "s3cret",
                "fb_exchange_token": "short-token",
            },
        )
    )
    assert body["token_type"] == "bearer" and body["expires_in"] == 5183944 and body["access_token"].startswith("EAA")
    new = body["access_token"]
    e = err(
        http.get(
            url,
            params={
                "grant_type": "fb_exchange_token",
                "client_id": "111",
                "client_secret": "wrong",
                "fb_exchange_token": "short-token",
            },
        )
    )
    assert e["code"] == 1 and "client secret" in e["message"]
    e = err(
        http.get(
            url,
            params={
                "grant_type": "fb_exchange_token",
                "client_id": "999",
                "client_secret": "s3cret",
                "fb_exchange_token": "short-token",
            },
        )
    )
    assert e["code"] == 101
    e = err(
        http.get(
            url,
            params={
                "grant_type": "fb_exchange_token",
                "client_id": "111",
                "client_secret": "s3cret",
                "fb_exchange_token": "old-token",
            },
        )
    )
    assert e["code"] == 190 and e["error_subcode"] == 463
    app = ok(http.get(url, params={"grant_type": "client_credentials", "client_id": "111", "client_secret": "s3cret"}))[
        "access_token"
    ]
    assert app.startswith("111|")
    dbg = ok(http.get(f"{secured.graph_url}/debug_token", params={"input_token": new, "access_token": app}))["data"]
    assert dbg["is_valid"] is True and dbg["app_id"] == "111" and dbg["type"] == "USER"
    assert set(dbg["scopes"]) >= {"ads_read", "ads_management", "business_management"}
    assert dbg["expires_at"] > time.time() + 59 * 86400 and dbg["user_id"]
    dead = ok(http.get(f"{secured.graph_url}/debug_token", params={"input_token": "old-token", "access_token": app}))[
        "data"
    ]
    assert dead["is_valid"] is False and dead["error"]["code"] == 190 and dead["error"]["subcode"] == 463
    # the exchanged token works (with its proof)
    ok(http.get(f"{secured.graph_url}/{ACT}", params={"access_token": new, "appsecret_proof": proof(new)}))
