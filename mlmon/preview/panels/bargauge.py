"""Bar gauge: one bar per series (horizontal, or vertical for histogram buckets), coloured by thresholds."""

from __future__ import annotations

import math

import numpy as np
from matplotlib.colors import to_rgb

from mlmon.preview import colors
from mlmon.preview.fields import FieldConfig, reduce
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
    ctx: PanelContext,
    f: FieldConfig,
    bar: Box,
    value: float,
    low: float,
    high: float,
    mode: str,
    *,
    vertical: bool,
) -> str:
    """Draw the filled part of one bar; returns the value's colour."""
    share = 0.0 if high == low else min(max((value - low) / (high - low), 0.0), 1.0)
    value_color = f.display(value).color
    ctx.canvas.rect(bar, colors.GRID, alpha=0.6)
    if share <= 0:
        return value_color
    if mode == "basic" or f.color_mode != "thresholds" or len(f.steps) == 1:
        filled = (
            Box(bar.x, bar.y + bar.h * (1 - share), bar.w, bar.h * share)
            if vertical
            else Box(bar.x, bar.y, bar.w * share, bar.h)
        )
        ctx.canvas.rect(filled, value_color)
        return value_color
    stops = _gradient_stops(f.steps, low, high, share)
    slices = 48
    boxes, fills = [], []
    for i in range(slices):
        a, b = share * i / slices, share * (i + 1) / slices
        fills.append(_color_at(stops, (a + b) / 2))
        if vertical:
            boxes.append(Box(bar.x, bar.y + bar.h * (1 - b), bar.w, bar.h * (b - a) + 0.5))
        else:
            boxes.append(Box(bar.x + bar.w * a, bar.y, bar.w * (b - a) + 0.5, bar.h))
    ctx.canvas.rects(boxes, fills)
    return value_color


def _gradient_stops(steps, low: float, high: float, share: float) -> list[tuple[float, str]]:
    """Grafana's gradient bar: each threshold colour from halfway between its position and the one before,
    for the thresholds the value has reached."""
    stops: list[tuple[float, str]] = []
    last = 0.0
    for step in steps:
        position = (
            0.0
            if step.value == -math.inf
            else min(max((step.value - low) / (high - low), 0.0), 1.0)
        )
        if not stops:
            stops.append((0.0, step.color))
        elif share > position:
            stops.append(((position + last) / 2, step.color))
            last = position
        else:
            break
    return stops


def _color_at(stops: list[tuple[float, str]], position: float) -> tuple[float, float, float]:
    rgb = [(at, np.array(to_rgb(color))) for at, color in stops]
    if position <= rgb[0][0] or len(rgb) == 1:
        return tuple(rgb[0][1])
    for (a, ca), (b, cb) in zip(rgb, rgb[1:]):
        if position <= b:
            t = (position - a) / ((b - a) or 1)
            return tuple(ca + (cb - ca) * t)
    return tuple(rgb[-1][1])


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
        color = _fill(
            ctx, ctx.fields.for_field(s.name, s.ref_id), bar, value, low, high, mode, vertical=False
        )
        shown = ctx.fields.for_field(s.name, s.ref_id).display(value, index)
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
    for index, (s, value) in enumerate(zip(series, values)):
        x = content.x + index * column
        bar = Box(x + column * 0.15, content.y + 20, column * 0.7, content.h - 40)
        # Grafana shrinks the names to fit under their bars.
        size = min(max(column / (0.62 * max(len(s.name), 1)), 7), 12)
        canvas.text(
            x + column / 2,
            content.y + content.h - 8,
            canvas.truncate(s.name, column, size),
            size=size,
            ha="center",
        )
        if value is None:
            continue
        color = _fill(
            ctx, ctx.fields.for_field(s.name, s.ref_id), bar, value, low, high, mode, vertical=True
        )
        canvas.text(
            x + column / 2,
            content.y + 8,
            ctx.fields.display(value, index).text,
            size=min(max(column * 0.22, 9), 12),
            color=color,
            ha="center",
            weight="bold",
        )
