"""Generated worlds: deterministic per seed, several accounts."""

from __future__ import annotations

from metasync.simulator import World
from tests.simulator_helpers import BASE_CONFIG


def test_determinism():
    a, b = World(BASE_CONFIG), World(BASE_CONFIG)
    c = World(BASE_CONFIG.replace(seed=8))
    strip = lambda w: [w.public_view(o) for o in w.objects.values()]  # noqa: E731
    assert strip(a) == strip(b)
    assert strip(a) != strip(c)

    def rows(w):
        acct = w.accounts[0]
        q = w.insights.build_query(
            acct,
            acct,
            {
                "level": "ad",
                "time_increment": "1",
                "date_preset": "last_30d",
                "fields": "ad_id,spend,impressions,actions,action_values",
            },
        )
        return w.insights.all_rows(q)

    assert rows(a) == rows(b)
    assert rows(a) != rows(c)
    multi = World(BASE_CONFIG.replace(accounts=2, campaigns=2))
    assert [x["id"] for x in multi.accounts] == ["act_1000000001", "act_1000000002"]
    assert not {o["id"] for o in multi.accounts[0]["_lists"]["ad"]} & {
        o["id"] for o in multi.accounts[1]["_lists"]["ad"]
    }
