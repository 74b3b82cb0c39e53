"""Pie chart / donut: one slice per series (its reduced value), legend with value and percent."""

from __future__ import annotations

from mlmon.preview import colors
from mlmon.preview.fields import reduce
from mlmon.preview.layout import Box
from mlmon.preview.panels.context import PanelContext, Unsupported

LEGEND_ROW = 18


def draw(ctx: PanelContext) -> None:
    calc = ctx.reduce_calc()
    series = ctx.series()
    values = [reduce(s.values, calc) for s in series]
    slices = [
        (s.name, v, _color(ctx, i, s))
        for i, (s, v) in enumerate(zip(series, values))
        if v is not None and v > 0
    ]
    total = sum(v for _, v, _ in slices)
    legend = ctx.options.get("legend") or {}
    placement = legend.get("placement", "right")
    show_legend = legend.get("displayMode", "list") != "hidden" and legend.get("showLegend", True)
    content = ctx.content
    if show_legend and placement == "right":
        legend_box = Box(content.x + content.w * 0.5, content.y, content.w * 0.5, content.h)
        pie_box = Box(content.x, content.y, content.w * 0.5, content.h)
    elif show_legend:
        height = min(LEGEND_ROW * (len(series) + 1) + 4, content.h * 0.4)
        legend_box = Box(content.x, content.y + content.h - height, content.w, height)
        pie_box = Box(content.x, content.y, content.w, content.h - height)
    else:
        legend_box, pie_box = None, content
    if total <= 0:
        ctx.canvas.message(pie_box, "0 in every slice")
    else:
        side = min(pie_box.w, pie_box.h)
        ax = ctx.canvas.axes(
            Box(pie_box.x + (pie_box.w - side) / 2, pie_box.y + (pie_box.h - side) / 2, side, side)
        )
        donut = ctx.options.get("pieType", "pie") == "donut"
        ax.pie(
            [v for _, v, _ in slices],
            colors=[c for _, _, c in slices],
            startangle=90,
            counterclock=False,
            wedgeprops={"width": 0.42 if donut else 1.0, "linewidth": 1, "edgecolor": colors.PANEL},
        )
        ax.set_aspect("equal")
        labels = ctx.options.get("displayLabels") or []
        if labels:
            ctx.notes.append("slice labels not drawn (the legend shows the values)")
    if legend_box is not None:
        _legend(
            ctx, legend_box, series, values, total, [str(v) for v in legend.get("values") or []]
        )


def _color(ctx: PanelContext, index: int, series) -> str:
    config = ctx.fields.for_field(series.name, series.ref_id)
    if config.color_mode == "fixed":
        return colors.resolve(config.fixed_color)
    return colors.palette_color(index)


def _legend(ctx: PanelContext, box: Box, series, values, total: float, columns: list[str]) -> None:
    unknown = [c for c in columns if c not in ("value", "percent")]
    if unknown:
        raise Unsupported(f"legend values {unknown}")
    canvas = ctx.canvas
    y = box.y + (box.h - LEGEND_ROW * (len(series) + (1 if columns else 0))) / 2 + LEGEND_ROW / 2
    column_width = 66
    name_width = box.w - column_width * len(columns) - 22
    if columns:
        for i, column in enumerate(columns):
            x = box.x + box.w - column_width * (len(columns) - i - 1)
            canvas.text(x, y, column.capitalize(), size=11, color=colors.NAMED["blue"], ha="right")
        y += LEGEND_ROW
    for index, (s, value) in enumerate(zip(series, values)):
        canvas.rect(Box(box.x + 2, y - 5, 10, 10), _color(ctx, index, s), rounded=True)
        canvas.text(box.x + 18, y, canvas.truncate(s.name, name_width, 12), size=12)
        for i, column in enumerate(columns):
            x = box.x + box.w - column_width * (len(columns) - i - 1)
            if column == "value":
                text = ctx.fields.display(value, index).text if value is not None else "-"
            else:
                text = f"{round(100 * value / total)}%" if value is not None and total > 0 else "-"
            canvas.text(x, y, text, size=12, ha="right")
        y += LEGEND_ROW
