"""Small server-rendered SVG charts (bars with an optional limit line), escaped, with a title per bar for hover."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from markupsafe import Markup


def bars(
    values: Sequence[float],
    labels: Sequence[str],
    limit: float | None = None,
    width: int = 480,
    height: int = 90,
    label: str = "",
    unit: str = "",
) -> Markup:
    """A bar per value (`labels` name them in each bar's tooltip); `limit` draws a dashed line (a budget)."""
    top = max([*values, limit or 0, 1])
    n = max(len(values), 1)
    step = width / n
    gap = 1 if step > 4 else 0
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
        f'aria-label="{escape(label)}" preserveAspectRatio="none">'
    ]
    for i, (value, name) in enumerate(zip(values, labels, strict=True)):
        h = 0 if value <= 0 else max(1.0, value / top * (height - 2))
        over = " over" if limit is not None and value > limit else ""
        bar_width = max(step - 2 * gap, 1)
        parts.append(
            f'<rect class="bar{over}" x="{i * step + gap:.1f}" y="{height - h:.1f}" width="{bar_width:.1f}" '
            f'height="{h:.1f}"><title>{escape(name)}: {escape(_number(value))}{escape(unit)}</title></rect>'
        )
    if limit is not None:
        y = height - limit / top * (height - 2)
        parts.append(
            f'<line class="limit" x1="0" x2="{width}" y1="{y:.1f}" y2="{y:.1f}">'
            f"<title>budget {escape(_number(limit))}{escape(unit)}</title></line>"
        )
    parts.append("</svg>")
    if labels:
        parts.append(f'<div class="axis"><span>{escape(labels[0])}</span><span>{escape(labels[-1])}</span></div>')
    return Markup("".join(parts))


def _number(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


STATUS_CLASSES = {"SUCCESS": "ok", "PARTIAL": "warn", "QUEUED": "wait", "RUNNING": "wait", "SKIPPED": "wait"}


def strip(statuses: Sequence[str], titles: Sequence[str], size: int = 12) -> Markup:
    """One square per run, oldest on the left, coloured by outcome (green, amber, grey while waiting, red)."""
    width = max(len(statuses), 1) * (size + 2)
    parts = [f'<svg class="strip" viewBox="0 0 {width} {size}" width="{width}" height="{size}" role="img">']
    for i, (status, title) in enumerate(zip(statuses, titles, strict=True)):
        parts.append(
            f'<rect class="run {STATUS_CLASSES.get(status, "bad")}" x="{i * (size + 2)}" y="0" width="{size}" '
            f'height="{size}" rx="2"><title>{escape(title)}</title></rect>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))
