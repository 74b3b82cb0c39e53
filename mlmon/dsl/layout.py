"""Automatic grid layout: rows of panels become ``gridPos`` on Grafana's 24-column grid.

A :func:`row` holds panels side by side; widths not given are shared evenly,
and a row wraps onto a new line when its panels do not fit in 24 columns. A
panel that already has a ``gridPos`` keeps it (the override), and takes no
room in the flow: the validator reports it if it overlaps another.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import attr
from grafanalib.core import GridPos, Panel, RowPanel

from mlmon.dsl.overlay import Overlay
from mlmon.errors import SourceError

GRID_COLUMNS = 24
DEFAULT_HEIGHT = 8


@dataclass(frozen=True)
class Cell:
    """A panel with its size on the grid (``None``: share the row / use the row's height)."""

    panel: Panel
    width: int | None = None
    height: int | None = None


@dataclass(frozen=True)
class Row:
    """Panels laid out side by side, under an optional (collapsible) row header."""

    title: str | None
    cells: tuple[Cell, ...]
    height: int = DEFAULT_HEIGHT
    collapsed: bool = False
    json: Mapping[str, Any] | None = (
        None  # row-panel JSON the helper does not model (repeat, gridPos, id)
    )


def cell(panel: Panel, width: int | None = None, height: int | None = None) -> Cell:
    """Give ``panel`` an explicit width (1–24 columns) and/or height (grid units of 30 px)."""
    title = getattr(panel, "title", "")
    if width is not None and not 1 <= width <= GRID_COLUMNS:
        raise SourceError(f"width {width} is outside 1..{GRID_COLUMNS}", item=title)
    if height is not None and height < 1:
        raise SourceError(f"height {height} must be at least 1", item=title)
    return Cell(panel, width, height)


def row(
    title: str | None,
    *panels: Panel | Cell,
    height: int = DEFAULT_HEIGHT,
    collapsed: bool = False,
    json: Mapping[str, Any] | None = None,
) -> Row:
    """A row of panels; ``title=None`` lays them out without a row header.

    ``json`` is merged over the row header's JSON (see :mod:`mlmon.dsl.overlay`),
    e.g. ``{"repeat": "instance"}``.
    """
    cells = tuple(p if isinstance(p, Cell) else Cell(p) for p in panels)
    if collapsed and title is None:
        raise SourceError("a collapsed row needs a title (it is the only thing shown)")
    if json and title is None:
        raise SourceError("row JSON needs a row header: give the row a title")
    return Row(title, cells, height, collapsed, json)


def _widths(cells: Sequence[Cell]) -> list[int]:
    fixed = sum(c.width or 0 for c in cells)
    free = [c for c in cells if c.width is None]
    share, extra = divmod(max(GRID_COLUMNS - fixed, 0), len(free)) if free else (0, 0)
    widths = []
    for c in cells:
        if c.width is not None:
            widths.append(c.width)
        else:
            # The first panels take the remainder so the row fills all 24 columns.
            widths.append(max(share + (1 if extra > 0 else 0), 1))
            extra -= 1
    return widths


def _flow(cells: Sequence[Cell], row_height: int, y: int) -> tuple[list[Panel], int]:
    placed: list[Panel] = []
    flowing = [c for c in cells if getattr(c.panel, "gridPos", None) is None]
    x, line_height = 0, 0
    for c, width in zip(flowing, _widths(flowing)):
        height = c.height or row_height
        if x + width > GRID_COLUMNS:
            x, y = 0, y + line_height
            line_height = 0
        placed.append(attr.evolve(c.panel, gridPos=GridPos(h=height, w=width, x=x, y=y)))
        x += width
        line_height = max(line_height, height)
    pinned = [c.panel for c in cells if getattr(c.panel, "gridPos", None) is not None]
    return placed + pinned, y + line_height


def place(rows: Iterable[Row]) -> list[Panel]:
    """Panels (and row headers) with their ``gridPos`` set, top to bottom."""
    panels: list[Panel] = []
    y = 0
    for r in rows:
        if r.title is None:
            placed, y = _flow(r.cells, r.height, y)
            panels.extend(placed)
            continue
        header_y, y = y, y + 1
        placed, end = _flow(r.cells, r.height, y)
        header = RowPanel(
            title=r.title,
            gridPos=GridPos(h=1, w=GRID_COLUMNS, x=0, y=header_y),
            collapsed=r.collapsed,
            panels=placed if r.collapsed else [],
        )
        panels.append(Overlay(header, dict(r.json)) if r.json else header)
        if r.collapsed:
            y = header_y + 1  # a collapsed row's panels live inside it and take no room
        else:
            panels.extend(placed)
            y = end
    return panels
