"""What the simulator tests share: the worlds they run against, fixture factories and request helpers.

A test module declares the fixtures it uses by assignment, e.g. ``sim = server_fixture(BASE_CONFIG)``.
"""

from __future__ import annotations

import hashlib
import hmac

import pytest
import requests

from metasync.simulator import SimConfig, SimulatorServer

TODAY = "2026-03-15"  # a Sunday
V = "v25.0"
ACT = "act_1000000001"
TOKEN = "user-token"
BASE_CONFIG = SimConfig(campaigns=6, ad_sets_per_campaign=2, ads_per_ad_set=3, days=30, seed=7, today=TODAY)
SECRET_CONFIG = BASE_CONFIG.replace(campaigns=2, app_secret="s3cret", expired_tokens=("old-token",))


def server_fixture(config: SimConfig, scope: str = "module"):
    """A simulator serving `config` (a copy: POST /__sim/config changes the server's config in place)."""

    @pytest.fixture(scope=scope)
    def server():
        with SimulatorServer(config.replace()) as running:
            yield running

    return server


def session_fixture():
    @pytest.fixture(scope="module")
    def session():
        with requests.Session() as s:
            yield s

    return session


def faults_cleaner():
    """An autouse fixture: after each test that used the module's `sim`, its faults are cleared."""

    @pytest.fixture(autouse=True)
    def clean_faults(request, http):
        yield
        if "sim" in request.fixturenames:
            server = request.getfixturevalue("sim")
            http.post(server.url("/__sim/faults/clear"))

    return clean_faults


def shared_server_fixtures(config: SimConfig = BASE_CONFIG):
    """(sim, http, clean_faults) for a test module: one server and one session for all its tests, and the
    server's faults cleared after each test."""
    return server_fixture(config), session_fixture(), faults_cleaner()


def get(http, server, path, **params):
    params.setdefault("access_token", TOKEN)
    return http.get(f"{server.graph_url}/{path.lstrip('/')}", params=params)


def ok(resp):
    assert resp.status_code == 200, resp.text
    return resp.json()


def err(resp, status=400):
    assert resp.status_code == status, resp.text
    body = resp.json()
    assert set(body) == {"error"}
    e = body["error"]
    assert {"message", "type", "code", "fbtrace_id", "is_transient"} <= set(e)
    assert e["fbtrace_id"] == resp.headers["x-fb-trace-id"]
    return e


def page_all(http, server, path, **params):
    """Follow paging.next until it is absent; returns (items, pages)."""
    body = ok(get(http, server, path, **params))
    items, pages = list(body["data"]), [body]
    while "next" in body.get("paging", {}):
        nxt = body["paging"]["next"]
        assert nxt.startswith(server.base_url + "/" + V + "/")
        body = ok(http.get(nxt))
        items += body["data"]
        pages.append(body)
    return items, pages


def cents(s: str) -> int:
    whole, frac = s.split(".")
    return int(whole) * 100 + int(frac)


def visible(world, kind):
    return [o for o in world.accounts[0]["_lists"][kind] if o["effective_status"] not in ("ARCHIVED", "DELETED")]


def proof(token, secret="s3cret"):
    return hmac.new(secret.encode(), token.encode(), hashlib.sha256).hexdigest()


INS_FIELDS = (
    "account_id,campaign_id,campaign_name,adset_id,adset_name,ad_id,ad_name,impressions,clicks,spend,"
    "reach,ctr,cpc,cpm,actions,action_values"
)


def insights_rows(http, sim, scope=ACT, **params):
    """Every row of /<scope>/insights (all pages)."""
    params.setdefault("fields", INS_FIELDS)
    params.setdefault("limit", 500)
    return page_all(http, sim, f"{scope}/insights", **params)[0]


def metasync_world(**world) -> SimConfig:
    """A world metasync's own client can call: the test app's id and secret (appsecret_proof checked), TODAY."""
    from tests.helpers import APP_ID, APP_SECRET

    return SimConfig(**{"today": TODAY, **world}, app_id=APP_ID, app_secret=APP_SECRET)


def graph_server_fixture(config: SimConfig):
    """A simulator serving `config` for one test, with metasync's settings pointing at it (META_GRAPH_URL)."""

    @pytest.fixture
    def sim(mongo, redis_client, settings_env):
        with SimulatorServer(config.replace()) as server:
            settings_env(META_GRAPH_URL=server.base_url)
            yield server

    return sim


def sim_mutate(server, **action) -> dict:
    """One `/__sim/mutate` action (rename, pause, set_account_status, ...); fails the test when refused."""
    answer = requests.post(server.url("/__sim/mutate"), json=action, timeout=5)
    assert answer.status_code == 200, answer.text
    return answer.json()


def calls_by_route(server) -> dict[str, int]:
    return requests.get(server.url("/__sim/calls"), timeout=5).json()["by_route"]
