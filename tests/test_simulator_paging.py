"""Cursor paging over HTTP: limits, absolute next / previous links, opaque cursors."""

from __future__ import annotations

from tests.simulator_helpers import ACT, TOKEN, get, ok, page_all, shared_server_fixtures, visible

sim, http, _clean_faults = shared_server_fixtures()


def test_pagination_follows_absolute_next_urls(sim, http):
    ads, pages = page_all(http, sim, f"{ACT}/ads", fields="name,effective_status", limit=4)
    expected = [o["id"] for o in visible(sim.world, "ad")]
    assert [a["id"] for a in ads] == expected
    assert len(pages) == -(-len(expected) // 4)
    assert "previous" not in pages[0]["paging"]
    for page in pages[1:]:
        assert "previous" in page["paging"]
        assert "fields=name%2Ceffective_status" in page["paging"]["previous"]
    assert "next" not in pages[-1]["paging"]
    nxt = pages[0]["paging"]["next"]
    assert "access_token=" + TOKEN in nxt and "limit=4" in nxt and "after=" in nxt
    cursors = pages[0]["paging"]["cursors"]
    assert cursors["after"] and cursors["before"] and expected[3] not in cursors["after"]  # opaque
    # going back with `before` returns the previous page
    back = ok(http.get(pages[1]["paging"]["previous"]))
    assert [a["id"] for a in back["data"]] == expected[:4]


def test_limit_default_cap_and_summary(sim, http):
    body = ok(get(http, sim, f"{ACT}/adsets"))
    assert len(body["data"]) == min(25, len(visible(sim.world, "adset")))
    assert all(set(o) == {"id"} for o in body["data"])  # edges return only ids by default
    body = ok(get(http, sim, f"{ACT}/ads", limit=5000, summary="true"))
    assert len(body["data"]) == len(visible(sim.world, "ad"))  # capped at 500, not an error
    assert body["summary"]["total_count"] == len(visible(sim.world, "ad"))
