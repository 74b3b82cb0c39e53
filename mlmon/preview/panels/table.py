"""Table: instant results as rows, shaped by the panel's transformations (merge, organize), with cell colours."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from mlmon.preview import colors
from mlmon.preview.fields import FieldConfig
from mlmon.preview.layout import Box
from mlmon.preview.panels.context import PanelContext, Unsupported
from mlmon.preview.panels.stat import text_on

ROW = 28
Row = dict[str, Any]


def frames(ctx: PanelContext) -> list[tuple[list[str], list[Row]]]:
    """One frame per target, as Grafana's table format builds it: Time, the labels, then the value."""
    results = [r for r in ctx.results if r.series or r.table]
    out = []
    for result in results:
        if not result.table:
            raise Unsupported("a time-series query in a table panel (set format: table)")
        value_column = "Value" if len(ctx.results) == 1 else f"Value #{result.ref_id}"
        labels = sorted({k for s in result.series for k in s.labels})
        columns = ["Time", *labels, value_column]
        rows = []
        for s in result.series:
            row: Row = {
                "Time": float(s.times[-1]) if s.times.size else None,
                value_column: s.last_not_null(),
            }
            row.update({k: s.labels.get(k, "") for k in labels})
            rows.append(row)
        out.append((columns, rows))
    return out


def _merge(frames_: Sequence[tuple[list[str], list[Row]]]) -> tuple[list[str], list[Row]]:
    columns: list[str] = []
    for cols, _ in frames_:
        columns += [c for c in cols if c not in columns]
    values = [c for c in columns if c == "Value" or c.startswith("Value #")]
    keys = [c for c in columns if c not in values and c != "Time"]
    merged: dict[tuple, Row] = {}
    for _, rows in frames_:
        for row in rows:
            key = tuple(row.get(k, "") for k in keys)
            merged.setdefault(key, {}).update({k: v for k, v in row.items() if v is not None})
    return columns, list(merged.values())


def _organize(
    columns: list[str], rows: list[Row], options: Mapping[str, Any]
) -> tuple[list[str], list[Row]]:
    excluded = {name for name, hide in (options.get("excludeByName") or {}).items() if hide}
    order = options.get("indexByName") or {}
    rename = options.get("renameByName") or {}
    kept = [c for c in columns if c not in excluded]
    position = {c: order.get(c, len(columns) + i) for i, c in enumerate(kept)}
    kept.sort(key=position.__getitem__)
    renamed = [rename.get(c) or c for c in kept]
    new_rows = [{rename.get(c) or c: row.get(c) for c in kept} for row in rows]
    return renamed, new_rows


def shaped(ctx: PanelContext) -> tuple[list[str], list[Row], set[str]]:
    """The columns and rows Grafana shows, and which columns hold the queried values."""
    frames_ = frames(ctx)
    transformations = [t for t in ctx.panel.get("transformations") or [] if not t.get("disabled")]
    value_columns = {
        c for cols, _ in frames_ for c in cols if c == "Value" or c.startswith("Value #")
    }
    if frames_ and (len(frames_) == 1 or any(t.get("id") == "merge" for t in transformations)):
        columns, rows = _merge(frames_) if len(frames_) > 1 else frames_[0]
    elif not frames_:
        columns, rows = [], []
    else:
        raise Unsupported(
            "several queries without a merge transformation (Grafana shows one frame at a time)"
        )
    for transformation in transformations:
        kind = transformation.get("id")
        if kind == "merge":
            continue
        if kind != "organize":
            raise Unsupported(f"transformation {kind!r}")
        options = transformation.get("options") or {}
        rename = options.get("renameByName") or {}
        value_columns = {rename.get(c) or c for c in value_columns}
        columns, rows = _organize(columns, rows, options)
    return columns, rows, value_columns


CELL_TYPES = ("auto", "color-background", "color-text", "color-background-solid")


def _cell_type(config: FieldConfig) -> str:
    custom = config.custom
    cell = (custom.get("cellOptions") or {}).get("type") or custom.get("displayMode") or "auto"
    if cell not in CELL_TYPES:
        raise Unsupported(f"cell type {cell!r}")
    return str(cell)


def draw(ctx: PanelContext) -> None:
    columns, rows, value_columns = shaped(ctx)
    configs = [ctx.fields.for_field(column) for column in columns]
    cell_types = [_cell_type(config) for config in configs]
    for sort in (ctx.options.get("sortBy") or [])[:1]:
        name = sort.get("displayName")
        if name in columns:
            rows.sort(
                key=lambda r: (r.get(name) is None, r.get(name)), reverse=bool(sort.get("desc"))
            )
    canvas, content = ctx.canvas, ctx.content
    displays = [
        [_display(config, row.get(c), c in value_columns) for c, config in zip(columns, configs)]
        for row in rows
    ]
    widths = _widths(columns, displays, content.w)
    x = content.x
    for column, width in zip(columns, widths):
        canvas.text(
            x + 6,
            content.y + ROW / 2,
            canvas.truncate(column, width - 10, 13),
            size=13,
            color=colors.NAMED["blue"],
            weight="bold",
        )
        x += width
    canvas.rect(Box(content.x, content.y + ROW - 1, content.w, 1), colors.PANEL_BORDER)
    fits = max(int((content.h - ROW) / ROW), 1)
    shown = displays if len(displays) <= fits else displays[: fits - 1]
    for index, cells in enumerate(shown):
        y = content.y + ROW * (index + 1)
        x = content.x
        for (text, color), width, cell_type in zip(cells, widths, cell_types):
            text_color = colors.TEXT
            if cell_type.startswith("color-background"):
                canvas.rect(Box(x, y + 1, width, ROW - 2), color)
                text_color = text_on(color)
            elif cell_type == "color-text":
                text_color = color
            canvas.text(
                x + 6, y + ROW / 2, canvas.truncate(text, width - 10, 13), size=13, color=text_color
            )
            x += width
    if len(shown) < len(displays):
        y = content.y + ROW * (len(shown) + 1)
        canvas.text(
            content.x + 6,
            y + ROW / 2,
            f"+ {len(displays) - len(shown)} more rows (Grafana scrolls)",
            size=12,
            color=colors.TEXT_WEAK,
        )


def _display(config: FieldConfig, value: Any, is_value: bool) -> tuple[str, str]:
    if is_value:
        shown = config.display(value if value is None else float(value))
        return shown.text, shown.color
    shown = config.display("" if value is None else str(value))
    return shown.text, shown.color


def _widths(columns: list[str], displays: list[list[tuple[str, str]]], total: float) -> list[float]:
    wanted = []
    for i, column in enumerate(columns):
        longest = max([len(column)] + [len(row[i][0]) for row in displays])
        wanted.append(max(longest * 8 + 16, 60))
    scale = total / sum(wanted) if wanted else 1
    return [w * scale for w in wanted]
