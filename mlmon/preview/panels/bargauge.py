"""Bar gauge: one bar per series (horizontal, or vertical for histogram buckets), coloured by thresholds."""

from __future__ import annotations

import math

from mlmon.preview import colors
from mlmon.preview.fields import reduce
from mlmon.preview.layout import Box
from mlmon.preview.panels.context import PanelContext, Unsupported

MAX_BARS_NOTE = "+ {} more (Grafana scrolls)"


def draw(ctx: PanelContext) -> None:
    calc = ctx.reduce_calc()
    mode = ctx.options.get("displayMode", "gradient")
    if mode not in ("gradient", "lcd", "basic"):
        raise Unsupported(f"display mode {mode!r}")
    series = ctx.series()
    values = [reduce(s.values, calc) for s in series]
    finite = [v for v in values if v is not None]
    f = ctx.fields
    low = f.min if f.min is not None else min(finite + [0.0])
    high = f.max if f.max is not None else max(finite + [low + 1])
    if ctx.options.get("orientation") == "vertical":
        _vertical(ctx, series, values, low, high, mode)
    else:
        _horizontal(ctx, series, values, low, high, mode)


def _fill(
    ctx: PanelContext, bar: Box, value: float, low: float, high: float, mode: str, *, vertical: bool
) -> str:
    """Draw the filled part of one bar; returns the value's colour."""
    f = ctx.fields
    share = 0.0 if high == low else min(max((value - low) / (high - low), 0.0), 1.0)
    value_color = f.display(value).color
    ctx.canvas.rect(bar, colors.GRID, alpha=0.6)
    if share <= 0:
        return value_color
    if mode == "basic" or f.color_mode != "thresholds":
        filled = (
            Box(bar.x, bar.y + bar.h * (1 - share), bar.w, bar.h * share)
            if vertical
            else Box(bar.x, bar.y, bar.w * share, bar.h)
        )
        ctx.canvas.rect(filled, value_color)
        return value_color
    # gradient/lcd: each threshold band of the bar in its own colour, up to the value.
    for i, step in enumerate(f.steps):
        begin = low if step.value == -math.inf else max(step.value, low)
        end = f.steps[i + 1].value if i + 1 < len(f.steps) else high
        end = min(end, value, high)
        if end <= begin:
            continue
        a, b = (begin - low) / (high - low), (end - low) / (high - low)
        if vertical:
            part = Box(bar.x, bar.y + bar.h * (1 - b), bar.w, bar.h * (b - a))
        else:
            part = Box(bar.x + bar.w * a, bar.y, bar.w * (b - a), bar.h)
        ctx.canvas.rect(part, step.color, alpha=0.9)
    return value_color


def _horizontal(ctx: PanelContext, series, values, low: float, high: float, mode: str) -> None:
    canvas, content = ctx.canvas, ctx.content
    row = max(content.h / max(len(series), 1), 1)
    fits = len(series)
    if row < 22:
        row, fits = 22.0, max(int(content.h / 22) - 1, 1)
    name_width = min(content.w * 0.38, 220)
    value_width = 74
    for index, (s, value) in enumerate(zip(series[:fits], values[:fits])):
        y = content.y + index * row
        bar_height = min(row * 0.72, 28)
        bar = Box(
            content.x + name_width + 6,
            y + (row - bar_height) / 2,
            content.w - name_width - value_width - 10,
            bar_height,
        )
        size = min(max(bar_height * 0.55, 10), 13)
        canvas.text(content.x, y + row / 2, canvas.truncate(s.name, name_width, size), size=size)
        if value is None:
            canvas.text(
                content.x + content.w,
                y + row / 2,
                ctx.fields.no_value,
                size=size,
                color=colors.TEXT_WEAK,
                ha="right",
            )
            continue
        color = _fill(ctx, bar, value, low, high, mode, vertical=False)
        shown = ctx.fields.display(value, index)
        canvas.text(
            content.x + content.w,
            y + row / 2,
            shown.text,
            size=size + 2,
            color=color,
            ha="right",
            weight="bold",
        )
    if fits < len(series):
        canvas.text(
            content.x,
            content.y + content.h - 8,
            MAX_BARS_NOTE.format(len(series) - fits),
            size=11,
            color=colors.TEXT_WEAK,
        )


def _vertical(ctx: PanelContext, series, values, low: float, high: float, mode: str) -> None:
    canvas, content = ctx.canvas, ctx.content
    column = content.w / max(len(series), 1)
    size = min(max(column * 0.22, 9), 12)
    for index, (s, value) in enumerate(zip(series, values)):
        x = content.x + index * column
        bar = Box(x + column * 0.15, content.y + 20, column * 0.7, content.h - 40)
        canvas.text(
            x + column / 2,
            content.y + content.h - 8,
            canvas.truncate(s.name, column, size),
            size=size,
            ha="center",
        )
        if value is None:
            continue
        color = _fill(ctx, bar, value, low, high, mode, vertical=True)
        canvas.text(
            x + column / 2,
            content.y + 8,
            ctx.fields.display(value, index).text,
            size=size,
            color=color,
            ha="center",
            weight="bold",
        )
