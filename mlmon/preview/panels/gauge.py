"""Gauge: a 240° dial per series from min to max, the threshold colours on its rim, the value in the middle."""

from __future__ import annotations

import math

from matplotlib.patches import Wedge

from mlmon.preview import colors
from mlmon.preview.fields import reduce
from mlmon.preview.layout import Box
from mlmon.preview.panels.context import PanelContext
from mlmon.preview.panels.stat import _cells

START, SPAN = 210.0, 240.0  # degrees, counter-clockwise from the x axis; the dial runs clockwise


def draw(ctx: PanelContext) -> None:
    calc = ctx.reduce_calc()
    series = ctx.series()
    values = [reduce(s.values, calc) for s in series]
    finite = [v for v in values if v is not None]
    low = ctx.fields.min if ctx.fields.min is not None else min(finite + [0.0])
    high = ctx.fields.max if ctx.fields.max is not None else max(finite + [100.0])
    show_markers = ctx.options.get("showThresholdMarkers", True)
    for index, (s, value, cell) in enumerate(
        zip(series, values, _cells(ctx.content, len(series), "auto"))
    ):
        name = s.name if len(series) > 1 else None
        dial(ctx, cell, value, low, high, name, show_markers, index)


def _angle(value: float, low: float, high: float) -> float:
    share = 0.0 if high == low else min(max((value - low) / (high - low), 0.0), 1.0)
    return START - share * SPAN


def dial(
    ctx: PanelContext,
    cell: Box,
    value: float | None,
    low: float,
    high: float,
    name: str | None,
    markers: bool,
    index: int,
) -> None:
    canvas, f = ctx.canvas, ctx.fields
    side = min(cell.w, cell.h * 1.15)
    box = Box(cell.x + (cell.w - side) / 2, cell.y + (cell.h - side) / 2 + side * 0.06, side, side)
    ax = canvas.axes(box)
    ax.set_xlim(-1, 1)
    ax.set_ylim(-1, 1)
    ax.set_aspect("equal")
    ax.axis("off")
    radius, width = 0.9, 0.2
    shown = f.display(value, index)
    ax.add_patch(
        Wedge((0, 0), radius, START - SPAN, START, width=width, facecolor=colors.GRID, linewidth=0)
    )
    if value is not None:
        ax.add_patch(
            Wedge(
                (0, 0),
                radius,
                _angle(value, low, high),
                START,
                width=width,
                facecolor=shown.color,
                linewidth=0,
            )
        )
    if markers:
        steps = f.steps
        for i, step in enumerate(steps):
            begin = max(step.value, low) if step.value != -math.inf else low
            end = steps[i + 1].value if i + 1 < len(steps) else high
            end = min(end, high)
            if f.threshold_mode == "percentage":
                begin = (
                    low + (high - low) * max(step.value, 0) / 100
                    if step.value != -math.inf
                    else low
                )
                end = low + (high - low) * (steps[i + 1].value / 100 if i + 1 < len(steps) else 1)
            if end <= begin:
                continue
            ax.add_patch(
                Wedge(
                    (0, 0),
                    radius + 0.08,
                    _angle(end, low, high),
                    _angle(begin, low, high),
                    width=0.05,
                    facecolor=step.color,
                    linewidth=0,
                )
            )
    text = shown.text or f.no_value
    size = canvas.fit_text(
        text, Box(0, 0, side * 0.55, side * 0.3), max_size=side * 0.17, min_size=10
    )
    canvas.text(
        box.x + side / 2,
        box.y + side / 2,
        text,
        size=size,
        color=shown.color if value is not None else colors.TEXT_WEAK,
        ha="center",
        weight="bold",
    )
    if name:
        canvas.text(
            box.x + side / 2,
            box.y + side * 0.82,
            canvas.truncate(name, side, 12),
            size=12,
            ha="center",
        )
