"""Graph paths over HTTP: API versions, and what Graph answers to the paths it does not serve."""

from __future__ import annotations

from tests.simulator_helpers import ACT, BASE_CONFIG, TOKEN, V, err, faults_cleaner, server_fixture, session_fixture

sim = server_fixture(BASE_CONFIG)
http = session_fixture()
_clean_faults = faults_cleaner()


def test_versions(sim, http):
    e = err(http.get(f"{sim.base_url}/v21.0/{ACT}", params={"access_token": TOKEN}))
    assert e["code"] == 2635
    for v in ("v22.0", "v24.0", "v99.0"):
        assert http.get(f"{sim.base_url}/{v}/{ACT}", params={"access_token": TOKEN}).status_code == 200
    e = err(http.get(f"{sim.base_url}/{V}/{ACT}"))  # no token
    assert e["code"] == 104
