"""Stat: one big reduced value per series, coloured by value mappings or thresholds, with an optional sparkline."""

from __future__ import annotations

import numpy as np
from matplotlib.colors import to_rgb

from mlmon.preview import colors
from mlmon.preview.canvas import Plot
from mlmon.preview.fields import reduce
from mlmon.preview.layout import Box
from mlmon.preview.panels.context import PanelContext, Unsupported


def text_on(background: str) -> str:
    """Dark or light text, whichever reads on ``background`` (Grafana picks by contrast too)."""
    r, g, b = to_rgb(background)
    luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return "#000000" if luminance > 0.62 else "#FFFFFF"


def draw(ctx: PanelContext) -> None:
    calc = ctx.reduce_calc()
    options = ctx.options
    color_mode = options.get("colorMode", "value")
    if color_mode not in ("value", "background", "background_solid", "none"):
        raise Unsupported(f"colour mode {color_mode!r}")
    text_mode = options.get("textMode", "auto")
    series = ctx.series()
    cells = _cells(ctx.content, len(series), options.get("orientation", "auto"))
    for index, (s, cell) in enumerate(zip(series, cells)):
        value = reduce(s.values, calc)
        config = ctx.fields.for_field(s.name, s.ref_id)
        shown = config.display(value, index)
        text = shown.text or config.no_value
        show_name = text_mode in ("name", "value_and_name") or (
            text_mode == "auto" and len(series) > 1
        )
        if text_mode == "name":
            text = ""
        draw_cell(
            ctx,
            cell,
            s.name if show_name else None,
            text,
            shown.color,
            color_mode,
            s.times,
            s.values,
        )


def _cells(content: Box, count: int, orientation: str) -> list[Box]:
    if count <= 1:
        return [content]
    horizontal = orientation == "vertical" or (orientation == "auto" and content.w >= content.h)
    # Grafana's auto layout: side by side in a wide panel, stacked in a tall one.
    if horizontal:
        width = content.w / count
        return [Box(content.x + i * width, content.y, width - 4, content.h) for i in range(count)]
    height = content.h / count
    return [Box(content.x, content.y + i * height, content.w, height - 4) for i in range(count)]


def draw_cell(
    ctx: PanelContext,
    cell: Box,
    name: str | None,
    text: str,
    color: str,
    color_mode: str,
    times: np.ndarray,
    values: np.ndarray,
) -> None:
    canvas = ctx.canvas
    graph = ctx.options.get("graphMode", "none") == "area" and values.size > 1
    text_color = color if color_mode == "value" else colors.TEXT
    if color_mode in ("background", "background_solid"):
        canvas.rect(cell, color, rounded=True)
        text_color = text_on(color)
    value_box = cell.inset(6, 4, 6, cell.h * (0.35 if graph else 0.05))
    if name:
        name_size = min(max(cell.h * 0.12, 10), 16)
        canvas.text(
            value_box.x + value_box.w / 2,
            value_box.y + name_size * 0.7,
            canvas.truncate(name, value_box.w, name_size),
            size=name_size,
            color=text_color if color_mode != "value" else colors.TEXT,
            ha="center",
        )
        value_box = value_box.inset(0, name_size * 1.4, 0, 0)
    size = canvas.fit_text(text, value_box, max_size=min(value_box.h * 0.75, 56), min_size=10)
    canvas.text(
        value_box.x + value_box.w / 2,
        value_box.y + value_box.h / 2,
        text,
        size=size,
        color=text_color,
        ha="center",
        weight="bold",
    )
    if graph:
        finite = np.isfinite(values)
        if finite.any():
            low, high = float(np.nanmin(values)), float(np.nanmax(values))
            spark = Plot(
                canvas,
                Box(cell.x, cell.y + cell.h * 0.62, cell.w, cell.h * 0.38),
                (ctx.time_range.start, ctx.time_range.end),
                (low, high + (high - low or 1) * 0.1),
            )
            line = text_color if color_mode != "value" else color
            spark.fills([(times, np.full_like(values, low), values, line)], 0.18)
            spark.lines([(times, values, line)], 1.4, alpha=0.9)
