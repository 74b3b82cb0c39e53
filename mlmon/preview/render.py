"""Render dashboards: run every panel's queries, lay the panels out on the grid, draw them, write one PNG each."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mlmon.errors import MlmonError
from mlmon.preview import colors, data, templating, timerange
from mlmon.preview.canvas import Canvas
from mlmon.preview.fields import FieldConfig
from mlmon.preview.layout import PADDING, Box, Placed, place
from mlmon.preview.panels import DRAWERS, NEEDS_NO_DATA
from mlmon.preview.panels.context import PanelContext, Unsupported

DEFAULT_WIDTH = 1600
QUERY_WORKERS = 8


class PreviewError(MlmonError):
    """A dashboard file that cannot be previewed (the CLI exits with 2)."""


@dataclass(frozen=True)
class PreviewOptions:
    prometheus_url: str
    time_range: timerange.TimeRange
    variables: Mapping[str, Sequence[str]] = field(default_factory=dict)
    width: int = DEFAULT_WIDTH
    scrape_interval: float | None = (
        None  # None: ask Prometheus (what Grafana's data source is set to)
    )


@dataclass
class QueryOutcome:
    ref_id: str
    expr: str
    instant: bool
    series: int
    error: str | None = None
    params: dict[str, float] = field(default_factory=dict)


@dataclass
class PanelPreview:
    id: int | None
    title: str
    type: str
    description: str
    box: Box
    state: (
        str  # ok, no-data, error, unsupported, row, collapsed (inside a collapsed row: not drawn)
    )
    message: str = ""
    queries: list[QueryOutcome] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class DashboardPreview:
    uid: str
    title: str
    source: str
    png: str  # file name in the output directory
    width: int
    height: int
    time_range: str
    variables: dict[str, str]
    rendered_at: float
    panels: list[PanelPreview]

    def to_json(self) -> dict[str, Any]:
        out = {k: v for k, v in self.__dict__.items() if k != "panels"}
        out["panels"] = [
            {
                **{k: v for k, v in p.__dict__.items() if k not in ("box", "queries")},
                "box": p.box.__dict__,
                "queries": [q.__dict__ for q in p.queries],
            }
            for p in self.panels
        ]
        return out


Log = Callable[[str], None]


def load(path: Path) -> dict[str, Any]:
    try:
        document = json.loads(path.read_text())
    except OSError as exc:
        raise PreviewError(f"{path}: cannot read it ({exc.strerror})") from None
    except json.JSONDecodeError as exc:
        raise PreviewError(f"{path}: not JSON (line {exc.lineno}: {exc.msg})") from None
    # `mlmon pull` and Grafana's export API wrap the model in {"dashboard": ...}.
    if isinstance(document, dict) and isinstance(document.get("dashboard"), dict):
        document = document["dashboard"]
    if not isinstance(document, dict) or not isinstance(document.get("panels"), list):
        raise PreviewError(
            f'{path}: not a Grafana dashboard (no "panels" list); pass a file from generated/dashboards/'
        )
    return document


class Renderer:
    def __init__(self, options: PreviewOptions, log: Log) -> None:
        self.options = options
        self.log = log
        self.client = data.PrometheusClient(options.prometheus_url)
        self._scrape: float | None = options.scrape_interval

    def scrape_interval(self) -> float:
        if self._scrape is None:
            self._scrape = self.client.scrape_interval().total_seconds()
        return self._scrape

    def render(
        self, dashboard: Mapping[str, Any], source: str, out_dir: Path, name: str
    ) -> DashboardPreview:
        opts = self.options
        started = time.time()
        placed, height = place(dashboard["panels"], opts.width)
        scrape = self.scrape_interval()
        range_ = opts.time_range
        # Variables are resolved once per dashboard with the dashboard-wide interval.
        base = timerange.panel_interval(range_.seconds, opts.width, scrape)
        builtins = templating.builtin_macros(
            range_.seconds, base, timerange.rate_interval(base, scrape)
        )
        variables = templating.resolve_variables(
            dashboard,
            opts.variables,
            lambda label, match: self.client.label_values_between(
                label, match, range_.start, range_.end
            ),
            builtins,
        )
        plans: dict[int, tuple[list[data.QueryPlan], list[str]]] = {}
        for index, item in enumerate(placed):
            panel = item.panel
            if panel.get("type") == "row" or panel.get("type") not in DRAWERS:
                continue
            interval = timerange.panel_interval(range_.seconds, max(int(item.box.w), 1), scrape)
            macros = templating.builtin_macros(
                range_.seconds, interval, timerange.rate_interval(interval, scrape)
            )
            plans[index] = data.plan_targets(panel, variables, macros, interval, range_)
        results = self._run_all(plans)
        canvas = Canvas(opts.width, height)
        self._header(canvas, dashboard, variables)
        previews = [
            self._panel(canvas, item, plans.get(i), results.get(i, []), source)
            for i, item in enumerate(placed)
        ]
        # Grafana keeps a collapsed row's panels out of sight (and unqueried) until it is opened.
        for item in placed:
            if item.hidden_panels:
                row_title = str(item.panel.get("title") or "")
                previews += [
                    PanelPreview(
                        inner.get("id"),
                        str(inner.get("title") or ""),
                        str(inner.get("type", "?")),
                        str(inner.get("description") or ""),
                        item.box,
                        "collapsed",
                        f"inside the collapsed row {row_title!r}",
                    )
                    for inner in item.panel.get("panels") or []
                ]
        png = f"{name}.png"
        _write_png(canvas, out_dir / png)
        return DashboardPreview(
            uid=str(dashboard.get("uid") or name),
            title=str(dashboard.get("title") or name),
            source=source,
            png=png,
            width=opts.width,
            height=height,
            time_range=range_.label(),
            variables={n: v.display() for n, v in variables.items()},
            rendered_at=started,
            panels=previews,
        )

    def _run_all(
        self, plans: Mapping[int, tuple[list[data.QueryPlan], list[str]]]
    ) -> dict[int, list[data.TargetResult]]:
        jobs = [(index, plan) for index, (panel_plans, _) in plans.items() for plan in panel_plans]
        with ThreadPoolExecutor(QUERY_WORKERS, thread_name_prefix="preview-query") as pool:
            answers = list(
                pool.map(lambda job: data.run(self.client, job[1], self.options.time_range), jobs)
            )
        results: dict[int, list[data.TargetResult]] = {}
        for (index, _), answer in zip(jobs, answers):
            results.setdefault(index, []).append(answer)
        return results

    # -- drawing ----------------------------------------------------------------------
    def _header(
        self,
        canvas: Canvas,
        dashboard: Mapping[str, Any],
        variables: Mapping[str, templating.Variable],
    ) -> None:
        opts = self.options
        canvas.text(PADDING, 22, str(dashboard.get("title", "")), size=20, weight="bold")
        stamp = datetime.fromtimestamp(opts.time_range.end, UTC).strftime("%Y-%m-%d %H:%M UTC")
        canvas.text(
            opts.width - PADDING,
            22,
            f"{opts.time_range.label()}  ·  to {stamp}",
            size=14,
            ha="right",
            color=colors.TEXT,
        )
        shown = "    ".join(f"{name}: {v.display()}" for name, v in variables.items())
        canvas.text(PADDING, 48, shown, size=13, color=colors.TEXT_WEAK)
        canvas.text(
            opts.width - PADDING,
            48,
            "mlmon preview (matplotlib), not a Grafana screenshot",
            size=12,
            ha="right",
            color=colors.TEXT_WEAK,
        )

    def _panel(
        self,
        canvas: Canvas,
        item: Placed,
        plan: tuple[list[data.QueryPlan], list[str]] | None,
        results: list[data.TargetResult],
        source: str,
    ) -> PanelPreview:
        panel, box = item.panel, item.box
        kind = str(panel.get("type", "?"))
        title = str(panel.get("title") or "")
        preview = PanelPreview(
            panel.get("id"), title, kind, str(panel.get("description") or ""), box, "ok"
        )
        preview.queries = [
            QueryOutcome(r.ref_id, r.expr, r.instant, len(r.series), r.error, r.params)
            for r in results
        ]
        if kind == "row":
            arrow = "▸" if panel.get("collapsed") else "▾"
            suffix = f"  ({item.hidden_panels} panels)" if panel.get("collapsed") else ""
            canvas.text(
                box.x + 4, box.y + box.h / 2 + 2, f"{arrow} {title}{suffix}", size=16, weight="bold"
            )
            preview.state = "row"
            return preview
        where = f"{source}: panel {title!r}" + (
            f" (id {panel.get('id')})" if panel.get("id") is not None else ""
        )
        if kind not in DRAWERS:
            return self._placeholder(
                canvas, preview, f"panel type {kind!r} is not drawn by mlmon preview", where
            )
        fields = FieldConfig.of(panel)
        problems = list((plan or ([], []))[1])
        failed = [r for r in results if r.error]
        problems += [f"query {r.ref_id} failed: {r.error}" for r in failed]
        content = canvas.panel(box, title)
        ctx = PanelContext(canvas, panel, box, content, results, fields, self.options.time_range)
        if problems and not data.has_data(results):
            canvas.message(content, "\n".join(problems), color=colors.NAMED["red"], size=13)
            preview.state, preview.message = "error", "; ".join(problems)
            for problem in problems:
                self.log(f"{where}: {problem}")
            return preview
        if kind not in NEEDS_NO_DATA and not data.has_data(results):
            canvas.message(content, fields.no_value, size=18)
            preview.state, preview.message = "no-data", fields.no_value
            return preview
        mark = _Mark(canvas)
        try:
            DRAWERS[kind](ctx)
        except Unsupported as exc:
            mark.rollback()
            return self._placeholder(
                canvas, preview, f"{kind}: {exc} is not drawn by mlmon preview", where
            )
        notes = problems + fields.unsupported(panel) + ctx.notes
        if notes:
            canvas.text(
                box.x + box.w - 10,
                box.y + 16,
                "⚠",
                size=14,
                color=colors.NAMED["orange"],
                ha="right",
            )
            preview.notes = notes
            for note in notes:
                self.log(f"{where}: {note}")
        return preview

    def _placeholder(
        self, canvas: Canvas, preview: PanelPreview, reason: str, where: str
    ) -> PanelPreview:
        content = canvas.panel(preview.box, preview.title, background=colors.PANEL)
        canvas.rect(content, colors.NAMED["orange"], alpha=0.08)
        canvas.message(content, f"Not shown: {reason}", color=colors.NAMED["orange"], size=13)
        preview.state, preview.message = "unsupported", reason
        self.log(f"{where}: {reason}")
        return preview


class _Mark:
    """What the figure holds before a drawer runs, so a drawer that gives up leaves nothing behind."""

    def __init__(self, canvas: Canvas) -> None:
        figure = canvas.figure
        self.figure = figure
        self.counts = (
            len(figure.texts),
            len(figure.patches),
            len(figure.artists),
            len(figure.axes),
        )

    def rollback(self) -> None:
        texts, patches, artists, axes = self.counts
        figure = self.figure
        for artist in figure.texts[texts:] + figure.patches[patches:] + figure.artists[artists:]:
            artist.remove()
        for ax in figure.axes[axes:]:
            ax.remove()


def _write_png(canvas: Canvas, path: Path) -> None:
    # Written aside and renamed: a page served while rendering never shows half a picture.
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "wb") as handle:
        canvas.save(handle)
    os.replace(tmp, path)


def output_name(dashboard: Mapping[str, Any], path: Path) -> str:
    uid = str(dashboard.get("uid") or path.stem)
    return "".join(c if c.isalnum() or c in "-_" else "-" for c in uid)


def render_files(
    paths: Sequence[Path],
    options: PreviewOptions,
    out_dir: Path,
    log: Log,
    progress: Log | None = None,
) -> list[DashboardPreview]:
    """Render every dashboard file in ``paths`` into ``out_dir``; PreviewError for a file that is not a dashboard."""
    dashboards = [(path, load(path)) for path in paths]
    out_dir.mkdir(parents=True, exist_ok=True)
    renderer = Renderer(options, log)
    renderer.scrape_interval()  # PrometheusUnavailable before any work when the URL is wrong
    previews = []
    for path, dashboard in dashboards:
        if progress:
            progress(f"rendering {path} ...")
        previews.append(
            renderer.render(dashboard, str(path), out_dir, output_name(dashboard, path))
        )
    return previews
