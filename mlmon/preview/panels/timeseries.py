"""Time series: lines, fills, stacked areas or bars, threshold lines, a unit axis and Grafana's legend."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import numpy as np
from matplotlib.ticker import MaxNLocator

from mlmon.preview import colors, fields, units
from mlmon.preview.canvas import Plot
from mlmon.preview.layout import Box
from mlmon.preview.panels.context import PanelContext, Unsupported

LEGEND_ROW = 17
AXIS_LEFT = 62
AXIS_BOTTOM = 18
CALC_COLUMN = 74
_TIME_STEPS = (10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400)


def draw(ctx: PanelContext) -> None:
    custom = ctx.fields.custom
    series = [s for s in ctx.series() if s.values.size]
    stacking = (custom.get("stacking") or {}).get("mode") or "none"
    if stacking not in ("none", "normal"):
        raise Unsupported(f"stacking mode {stacking!r}")
    if (custom.get("scaleDistribution") or {}).get("type", "linear") != "linear":
        raise Unsupported("a logarithmic axis")
    if custom.get("gradientMode", "none") not in ("none", None):
        ctx.notes.append(f"gradient mode {custom['gradientMode']!r} drawn as a flat fill")
    legend = ctx.options.get("legend") or {}
    legend_mode = legend.get("displayMode", "list")
    show_legend = legend_mode != "hidden" and legend.get("showLegend", True)
    calcs = [str(c) for c in legend.get("calcs") or []] if legend_mode == "table" else []
    placement = legend.get("placement", "bottom")

    plot, legend_box = _split(ctx.content, len(series), show_legend, placement, calcs)
    colored = [(s, _series_color(ctx, i, s)) for i, s in enumerate(series)]
    _plot(ctx, plot, colored, stacked=stacking == "normal")
    if legend_box is not None:
        _legend(ctx, legend_box, colored, calcs)


def _series_color(ctx: PanelContext, index: int, series) -> str:
    f = ctx.fields.for_field(series.name, series.ref_id)
    if f.color_mode == "fixed":
        return colors.resolve(f.fixed_color)
    if f.color_mode == "thresholds":
        return f.steps[0].color
    return colors.palette_color(index)


def _split(
    content: Box, count: int, show: bool, placement: str, calcs: list[str]
) -> tuple[Box, Box | None]:
    if not show or not count:
        return content, None
    if placement == "right":
        width = min(content.w * 0.4, 160 + CALC_COLUMN * len(calcs))
        return (
            Box(content.x, content.y, content.w - width - 8, content.h),
            Box(content.x + content.w - width, content.y, width, content.h),
        )
    rows = count + (1 if calcs else 0)
    height = min(rows * LEGEND_ROW + 6, content.h * 0.42)
    return (
        Box(content.x, content.y, content.w, content.h - height),
        Box(content.x, content.y + content.h - height, content.w, height),
    )


def _plot(ctx: PanelContext, box: Box, colored: list, *, stacked: bool) -> None:
    custom = ctx.fields.custom
    plot_box = box.inset(AXIS_LEFT, 6, 8, AXIS_BOTTOM)
    line_width = float(custom.get("lineWidth", 1)) + 0.4
    fill = float(custom.get("fillOpacity", 0)) / 100
    bars = custom.get("drawStyle") == "bars"
    baseline: dict[float, float] = {}
    drawn = []  # (series, colour, low, high)
    low, high = math.inf, -math.inf
    for s, color in colored:
        values = s.values.astype(float)
        if stacked:
            below = np.array([baseline.get(t, 0.0) for t in s.times])
            top = below + np.nan_to_num(values)
            for t, v in zip(s.times, top):
                baseline[t] = v
        else:
            below, top = np.zeros_like(values), values
        drawn.append((s, color, below, top))
        finite = top[np.isfinite(top)]
        if finite.size:
            low, high = min(low, float(finite.min())), max(high, float(finite.max()))
    if (bars or stacked) and math.isfinite(low):
        low = min(low, 0.0)  # bars and stacks grow from zero
    y_range, y_ticks = _y_axis(ctx, plot_box, low, high)
    plot = Plot(ctx.canvas, plot_box, (ctx.time_range.start, ctx.time_range.end), y_range)
    x_ticks, x_labels = _time_ticks(ctx.time_range.start, ctx.time_range.end, plot_box.w)
    plot.rules(y_ticks, colors.GRID)
    plot.columns(x_ticks, colors.GRID)
    _thresholds(ctx, plot)
    if bars:
        for s, color, below, top in drawn:
            width = _step(s.times, ctx) * 0.6 * plot_box.w / ctx.time_range.seconds
            plot.bars(s.times, below, top, color, width, max(fill, 0.5))
    else:
        if fill > 0:
            plot.fills([(s.times, below, top, color) for s, color, below, top in drawn], fill)
        plot.lines([(s.times, top, color) for s, color, _, top in drawn], line_width)
    canvas, f = ctx.canvas, ctx.fields
    for tick, label in zip(y_ticks, units.axis_labels(y_ticks, f.unit, f.decimals)):
        canvas.text(
            plot_box.x - 6, plot.y_pixel(tick), label, size=11, color=colors.TEXT_WEAK, ha="right"
        )
    for tick, label in zip(x_ticks, x_labels):
        canvas.text(
            plot.x_pixel(tick),
            plot_box.y + plot_box.h + 10,
            label,
            size=11,
            color=colors.TEXT_WEAK,
            ha="center",
        )


def _step(times: np.ndarray, ctx: PanelContext) -> float:
    if times.size > 1:
        return float(np.median(np.diff(times)))
    return ctx.time_range.seconds / 100


def _thresholds(ctx: PanelContext, plot: Plot) -> None:
    style = (ctx.fields.custom.get("thresholdsStyle") or {}).get("mode", "off")
    if style == "off":
        return
    if style not in ("line", "dashed", "area", "line+area", "dashed+area"):
        ctx.notes.append(f"thresholds style {style!r} not drawn")
        return
    if ctx.fields.threshold_mode == "percentage":
        ctx.notes.append("percentage thresholds not drawn on the graph")
        return
    steps = ctx.fields.steps
    for index, step in enumerate(steps):
        if "area" in style:
            upper = steps[index + 1].value if index + 1 < len(steps) else plot.y1
            plot.band(max(step.value, plot.y0), min(upper, plot.y1), step.color, 0.12)
        if step.value != -math.inf and style != "area":
            plot.rules([step.value], step.color, 1.2, dashed=style.startswith("dashed"), zorder=4)


def _y_axis(
    ctx: PanelContext, box: Box, low: float, high: float
) -> tuple[tuple[float, float], list[float]]:
    """The axis range (min/max from the panel, else the data's) and its tick values."""
    f = ctx.fields
    if not math.isfinite(low):
        low, high = 0.0, 1.0
    y_min = f.min if f.min is not None else low
    y_max = f.max if f.max is not None else high
    if y_max <= y_min:
        y_min, y_max = (
            (y_min - abs(y_min) * 0.1 - 1e-9, y_max + abs(y_max) * 0.1 + 1) if y_min else (0.0, 1.0)
        )
    elif f.max is None:
        y_max += (y_max - y_min) * 0.05
    if f.min is None and y_min < 0:
        y_min -= (y_max - y_min) * 0.05
    # Bytes get round binary steps (64 KiB, not 39.0625 KiB), as Grafana's axis shows them.
    power = 1024.0 ** math.floor(math.log(max(abs(y_max), 1), 1024)) if f.unit == "bytes" else 1.0
    locator = MaxNLocator(nbins=max(int(box.h / 36), 2))
    ticks = np.asarray(locator.tick_values(y_min / power, y_max / power)) * power
    return (y_min, y_max), [float(t) for t in ticks if y_min - 1e-12 <= t <= y_max + 1e-12]


def _time_ticks(start: float, end: float, width: float) -> tuple[list[float], list[str]]:
    span = end - start
    wanted = max(int(width / 90), 2)
    step = next((s for s in _TIME_STEPS if span / s <= wanted), _TIME_STEPS[-1])
    first = math.ceil(start / step) * step
    ticks = [float(t) for t in np.arange(first, end + 1e-9, step)]
    fmt = "%H:%M:%S" if step < 60 else "%m/%d" if step >= 86400 else "%H:%M"
    return ticks, [datetime.fromtimestamp(t, UTC).strftime(fmt) for t in ticks]


def _legend(ctx: PanelContext, box: Box, colored: list, calcs: list[str]) -> None:
    canvas, f = ctx.canvas, ctx.fields
    y = box.y + LEGEND_ROW / 2 + 4
    name_width = box.w - CALC_COLUMN * len(calcs) - 22
    rows_fit = max(int((box.h - 4) / LEGEND_ROW) - (1 if calcs else 0), 1)
    if calcs:
        for i, calc in enumerate(calcs):
            x = box.x + box.w - CALC_COLUMN * (len(calcs) - i - 1) - 4
            canvas.text(
                x, y, fields.reducer_label(calc), size=11, color=colors.NAMED["blue"], ha="right"
            )
        y += LEGEND_ROW
    shown = colored if len(colored) <= rows_fit else colored[: rows_fit - 1]
    for s, color in shown:
        canvas.rect(Box(box.x + 2, y - 2, 14, 4), color)
        canvas.text(box.x + 22, y, canvas.truncate(s.name, name_width, 11), size=11)
        for i, calc in enumerate(calcs):
            value = fields.reduce(s.values, calc) if calc in fields.REDUCERS else None
            x = box.x + box.w - CALC_COLUMN * (len(calcs) - i - 1) - 4
            canvas.text(x, y, f.format(value) if value is not None else "-", size=11, ha="right")
        y += LEGEND_ROW
    hidden = len(colored) - len(shown)
    if hidden:
        canvas.text(
            box.x + 22,
            y,
            f"+ {hidden} more series (Grafana scrolls the legend)",
            size=11,
            color=colors.TEXT_WEAK,
        )
