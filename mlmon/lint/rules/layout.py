"""layout-*: panels fit the 24-column grid, do not overlap, are not hidden in rows, have unique titles."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from mlmon.lint.dashboard import Dashboard, Panel
from mlmon.lint.findings import Finding, Level, Location
from mlmon.lint.registry import Rule

GRID_COLUMNS = 24


def _box(panel: Panel) -> tuple[int, int, int, int] | None:
    grid = panel.grid
    if grid is None:
        return None
    try:
        return (
            int(grid.get("x", 0)),
            int(grid.get("y", 0)),
            int(grid.get("w", 0)),
            int(grid.get("h", 0)),
        )
    except (TypeError, ValueError):
        return None


def _groups(dashboard: Dashboard) -> list[list[Panel]]:
    """Panels laid out together: the top level, and each row's nested panels (shown when it is expanded)."""
    groups: dict[str, list[Panel]] = defaultdict(list)
    for panel in dashboard.panels:
        if panel.row is None or panel.row.raw.get("panels") is not None:
            groups[panel.row.path if panel.row else ""].append(panel)
    return list(groups.values())


class LayoutGridBounds(Rule):
    name = "layout-grid-bounds"
    level = Level.ERROR
    description = "Every panel has a gridPos inside Grafana's 24-column grid (x >= 0, y >= 0, w, h >= 1, x + w <= 24)."
    hint = "fix gridPos: x + w must not exceed 24, and w and h must be at least 1"

    def check_dashboard(self, dashboard: Dashboard, where: Location) -> Iterable[Finding]:
        for panel in dashboard.panels:
            if panel.path.startswith(f"{dashboard.prefix}rows["):
                continue  # legacy rows size panels with "span", not gridPos
            box = _box(panel)
            if box is None:
                yield self.finding(dashboard.panel_location(panel), "panel has no valid gridPos")
                continue
            x, y, w, h = box
            if x < 0 or y < 0 or w < 1 or h < 1 or x + w > GRID_COLUMNS:
                yield self.finding(
                    dashboard.panel_location(panel),
                    f"gridPos x={x} y={y} w={w} h={h} is outside the 24-column grid",
                )


class LayoutOverlap(Rule):
    name = "layout-overlap"
    level = Level.WARNING  # Grafana pushes the later panel down on load: nothing is hidden
    description = (
        "No two panels occupy the same grid cells (checked at the top level and inside each row). "
        "A warning: Grafana moves the later panel down when it loads the dashboard, so every panel is "
        "shown, but not where the JSON puts it."
    )
    hint = "move one of the panels (change gridPos.y or gridPos.x) so they do not share cells"

    def check_dashboard(self, dashboard: Dashboard, where: Location) -> Iterable[Finding]:
        for group in _groups(dashboard):
            placed: list[tuple[Panel, tuple[int, int, int, int]]] = []
            for panel in group:
                box = _box(panel)
                if box is None:
                    continue
                other = next((p for p, b in placed if _overlap(box, b)), None)
                if other is not None:
                    yield self.finding(
                        dashboard.panel_location(panel),
                        f"overlaps panel {other.title!r} (id {other.id}) at gridPos {panel.grid}",
                    )
                placed.append((panel, box))


def _overlap(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> bool:
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    return ax < bx + bw and bx < ax + aw and ay < by + bh and by < ay + ah


class LayoutHiddenPanel(Rule):
    name = "layout-hidden-panel"
    level = Level.ERROR
    description = (
        "No panel is hidden by mistake: an expanded row keeps no panels of its own (Grafana does not "
        "show them). A collapsed row's panels are fine wherever their gridPos says: Grafana places them "
        "below the row when it is expanded."
    )
    hint = "move the panels after the row in the top-level panels list, or set the row's collapsed to true"

    def check_dashboard(self, dashboard: Dashboard, where: Location) -> Iterable[Finding]:
        nested: dict[int, list[Panel]] = defaultdict(list)
        for panel in dashboard.panels:
            if panel.row is not None:
                nested[id(panel.row)].append(panel)
        for row in dashboard.panels:
            if not row.is_row or row.collapsed or row.path.startswith(f"{dashboard.prefix}rows["):
                continue
            if nested.get(id(row)):
                titles = ", ".join(repr(p.title) for p in nested[id(row)])
                yield self.finding(
                    dashboard.panel_location(row),
                    f"expanded row holds panels Grafana will not show: {titles}",
                )


class LayoutUniqueTitles(Rule):
    name = "layout-unique-titles"
    level = Level.ERROR
    description = (
        "Panel titles are unique within a dashboard (rows among rows, panels among panels)."
    )
    hint = "rename one of the panels; titles identify panels in lint reports, alerts and links"

    def check_dashboard(self, dashboard: Dashboard, where: Location) -> Iterable[Finding]:
        seen: dict[tuple[bool, str], Panel] = {}
        for panel in dashboard.panels:
            title = panel.title.strip()
            if not title:
                continue
            key = (panel.is_row, title)
            if key in seen:
                yield self.finding(
                    dashboard.panel_location(panel),
                    f"title {title!r} is also used by {seen[key].path}",
                )
            else:
                seen[key] = panel


RULES = (LayoutGridBounds, LayoutOverlap, LayoutHiddenPanel, LayoutUniqueTitles)
