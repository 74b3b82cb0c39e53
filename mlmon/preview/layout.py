"""Grafana's 24-column grid in pixels: where each panel and row header of a dashboard goes."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

COLUMNS = 24
CELL_HEIGHT = 30  # Grafana's GRID_CELL_HEIGHT
MARGIN = 8  # Grafana's GRID_CELL_VMARGIN, also between columns
PADDING = 16  # around the grid, as the dashboard page has
HEADER = 64  # dashboard title, time range and variables above the grid


@dataclass(frozen=True)
class Box:
    x: float
    y: float
    w: float
    h: float

    def inset(
        self, left: float, top: float, right: float | None = None, bottom: float | None = None
    ) -> Box:
        right = left if right is None else right
        bottom = top if bottom is None else bottom
        return Box(
            self.x + left,
            self.y + top,
            max(self.w - left - right, 1),
            max(self.h - top - bottom, 1),
        )


@dataclass(frozen=True)
class Placed:
    panel: Mapping[str, Any]
    box: Box
    hidden_panels: int = 0  # panels inside a collapsed row


def walk(panels: list[Mapping[str, Any]]) -> Iterator[Mapping[str, Any]]:
    """Every panel, including those inside collapsed rows."""
    for panel in panels:
        yield panel
        yield from walk(panel.get("panels") or [])


def grid_bottom(panels: list[Mapping[str, Any]]) -> int:
    bottom = 0
    for panel in panels:
        pos = panel.get("gridPos") or {}
        bottom = max(bottom, int(pos.get("y", 0)) + int(pos.get("h", 0)))
    return bottom


def place(panels: list[Mapping[str, Any]], width: int) -> tuple[list[Placed], int]:
    """The panels shown when the dashboard opens (a collapsed row's panels stay inside it), and the page height."""
    column = (width - 2 * PADDING - (COLUMNS - 1) * MARGIN) / COLUMNS
    placed = []
    for panel in panels:
        pos = panel.get("gridPos") or {}
        x, y = int(pos.get("x", 0)), int(pos.get("y", 0))
        w, h = int(pos.get("w", 12)), int(pos.get("h", 8))
        box = Box(
            PADDING + x * (column + MARGIN),
            HEADER + y * (CELL_HEIGHT + MARGIN),
            w * column + (w - 1) * MARGIN,
            h * CELL_HEIGHT + (h - 1) * MARGIN,
        )
        hidden = (
            len(panel.get("panels") or [])
            if panel.get("type") == "row" and panel.get("collapsed")
            else 0
        )
        placed.append(Placed(panel, box, hidden))
    height = HEADER + grid_bottom(panels) * (CELL_HEIGHT + MARGIN) + PADDING
    return placed, int(height)
