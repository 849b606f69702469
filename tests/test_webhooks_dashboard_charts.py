"""The dashboard's SVG charts: one bar per value, the budget line, bars over it marked, labels escaped."""

from __future__ import annotations

from webhooks.dashboard.charts import bars, strip


def test_bars_draw_one_bar_per_value_and_mark_the_ones_over_the_limit():
    svg = str(bars([0, 50, 200], ["a", "b", "c"], limit=100))
    assert svg.count("<rect") == 3 and svg.count('class="bar over"') == 1
    assert '<line class="limit"' in svg and "budget 100" in svg
    assert "<title>c: 200</title>" in svg


def test_labels_are_escaped():
    svg = str(bars([1], ["<script>x</script>"]))
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert "<script>" not in str(strip(["FAILED"], ["<script>"]))


def test_a_strip_colours_each_run_by_outcome():
    svg = str(strip(["SUCCESS", "FAILED", "QUEUED"], ["1", "2", "3"]))
    assert ["run ok", "run bad", "run wait"] == [part.split('"')[0] for part in svg.split('class="')[2:]]
