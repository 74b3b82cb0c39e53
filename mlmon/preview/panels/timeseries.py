"""Time series: lines, fills, stacked areas or bars, threshold lines, a unit axis and Grafana's legend."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import numpy as np
from matplotlib.ticker import FixedLocator, MaxNLocator

from mlmon.preview import colors, fields, units
from mlmon.preview.canvas import px_to_pt
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
    colored = [(s, _series_color(ctx, i)) for i, s in enumerate(series)]
    _plot(ctx, plot, colored, stacked=stacking == "normal")
    if legend_box is not None:
        _legend(ctx, legend_box, colored, calcs)


def _series_color(ctx: PanelContext, index: int) -> str:
    f = ctx.fields
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
    plot_box = box.inset(AXIS_LEFT, 4, 6, AXIS_BOTTOM)
    ax = ctx.canvas.axes(plot_box)
    line_width = px_to_pt(float(custom.get("lineWidth", 1)) + 0.4)
    fill = float(custom.get("fillOpacity", 0)) / 100
    bars = custom.get("drawStyle") == "bars"
    baseline: dict[float, float] = {}
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
        if bars:
            # One line per bar (a LineCollection) draws far faster than a Rectangle per bar.
            width_px = _step(s.times, ctx) * 0.6 * plot_box.w / ctx.time_range.seconds
            ax.vlines(
                s.times,
                below,
                top,
                color=color,
                alpha=max(fill, 0.5),
                linewidth=px_to_pt(max(width_px, 1)),
            )
        else:
            ax.plot(s.times, top, color=color, linewidth=line_width, solid_joinstyle="round")
            if fill > 0:
                ax.fill_between(s.times, below, top, color=color, alpha=fill, linewidth=0)
        finite = top[np.isfinite(top)]
        if finite.size:
            low, high = min(low, float(finite.min())), max(high, float(finite.max()))
    if (bars or stacked) and math.isfinite(low):
        low = min(low, 0.0)  # bars and stacks grow from zero
    _thresholds(ctx, ax)
    _axes(ctx, ax, plot_box, low, high)


def _step(times: np.ndarray, ctx: PanelContext) -> float:
    if times.size > 1:
        return float(np.median(np.diff(times)))
    return ctx.time_range.seconds / 100


def _thresholds(ctx: PanelContext, ax) -> None:
    style = (ctx.fields.custom.get("thresholdsStyle") or {}).get("mode", "off")
    if style == "off":
        return
    if style not in ("line", "dashed", "area", "line+area", "dashed+area", "series"):
        ctx.notes.append(f"thresholds style {style!r} not drawn")
        return
    steps = ctx.fields.steps
    if ctx.fields.threshold_mode == "percentage":
        ctx.notes.append("percentage thresholds not drawn on the graph")
        return
    for index, step in enumerate(steps):
        if "area" in style:
            upper = steps[index + 1].value if index + 1 < len(steps) else 1e300
            ax.axhspan(max(step.value, -1e300), upper, color=step.color, alpha=0.12, linewidth=0)
        if step.value == -math.inf or style == "area":
            continue
        ax.axhline(
            step.value,
            color=step.color,
            linewidth=px_to_pt(1.2),
            linestyle=(0, (4, 3)) if style.startswith("dashed") else "-",
            alpha=0.9,
        )


def _axes(ctx: PanelContext, ax, box: Box, low: float, high: float) -> None:
    f = ctx.fields
    ax.set_xlim(ctx.time_range.start, ctx.time_range.end)
    if not math.isfinite(low):
        low, high = 0.0, 1.0
    y_min = f.min if f.min is not None else low
    y_max = f.max if f.max is not None else high
    if y_max <= y_min:
        y_min, y_max = (y_min - 1, y_max + 1) if y_min else (0.0, 1.0)
    elif f.max is None:
        y_max += (y_max - y_min) * 0.05
    if f.min is None and y_min < 0:
        y_min -= (y_max - y_min) * 0.05
    ax.set_ylim(y_min, y_max)
    ax.yaxis.set_major_locator(MaxNLocator(nbins=max(int(box.h / 36), 2)))
    ticks = [t for t in ax.get_yticks() if y_min - 1e-12 <= t <= y_max + 1e-12]
    ax.yaxis.set_major_locator(FixedLocator(ticks))
    ax.set_yticklabels(units.axis_labels(ticks, f.unit, f.decimals))
    x_ticks, x_labels = _time_ticks(ctx.time_range.start, ctx.time_range.end, box.w)
    ax.xaxis.set_major_locator(FixedLocator(x_ticks))
    ax.set_xticklabels(x_labels)
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.grid(True, color=colors.GRID, linewidth=px_to_pt(1))
    ax.set_axisbelow(True)
    ax.tick_params(colors=colors.TEXT_WEAK, labelsize=px_to_pt(11), length=0, pad=3)


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
