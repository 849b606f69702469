"""Insights date presets over HTTP, relative to the account's today."""

from __future__ import annotations

from datetime import date, timedelta

from tests.simulator_helpers import ACT, TODAY, err, get, ok, shared_server_fixtures

sim, http, _clean_faults = shared_server_fixtures()


def test_date_presets_and_invalid_preset(sim, http):
    today = date.fromisoformat(TODAY)

    def span(preset):
        rows = ok(get(http, sim, f"{ACT}/insights", level="account", date_preset=preset, fields="spend"))["data"]
        return (rows[0]["date_start"], rows[0]["date_stop"]) if rows else None

    d = lambda n: (today - timedelta(days=n)).isoformat()  # noqa: E731
    assert span("today") == (TODAY, TODAY)
    assert span("yesterday") == (d(1), d(1))
    assert span("last_7d") == (d(7), d(1))
    assert span("last_30d") == (d(30), d(1))
    assert span("this_month") == ("2026-03-01", TODAY)
    assert span("last_month") == ("2026-02-01", "2026-02-28")
    assert span("this_week_mon_today") == ("2026-03-09", TODAY)
    assert span("this_week_sun_today") == (TODAY, TODAY)
    assert span("last_week_mon_sun") == ("2026-03-02", "2026-03-08")
    assert span("last_week_sun_sat") == ("2026-03-08", "2026-03-14")
    assert span("this_quarter") == ("2026-01-01", TODAY)
    assert span("maximum") == (d(29), TODAY)
    assert span("last_year") is None  # no data that far back
    daily = ok(
        get(
            http,
            sim,
            f"{ACT}/insights",
            level="account",
            date_preset="last_90d",
            time_increment=1,
            fields="spend",
            limit=100,
        )
    )["data"]
    assert [r["date_start"] for r in daily] == [d(n) for n in range(29, 0, -1)]  # only the data window has rows
    e = err(get(http, sim, f"{ACT}/insights", date_preset="last_2_weeks"))
    assert e["code"] == 100 and "date_preset" in e["message"]
    e = err(get(http, sim, f"{ACT}/insights", fields="spend,bogus"))
    assert e["code"] == 100 and "bogus" in e["message"]
