"""The static pages next to the PNGs: index.html linking every dashboard, one page per dashboard.

A dashboard page shows the PNG with one element per panel laid over it (its
title, type, state and description on hover), and below it a table of the
panels with the queries that ran, as Prometheus received them.
"""

from __future__ import annotations

import html
import json
import os
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from mlmon.preview import colors
from mlmon.preview.render import DashboardPreview, PanelPreview

MANIFEST = "preview.json"

STYLE = f"""
:root {{ color-scheme: dark; }}
body {{ background: {colors.BACKGROUND}; color: {colors.TEXT}; font: 14px/1.45 Inter, "Helvetica Neue", Arial, sans-serif; margin: 0 16px 32px; }}
a {{ color: {colors.NAMED["blue"]}; }}
header {{ display: flex; gap: 24px; align-items: baseline; flex-wrap: wrap; padding: 12px 0; }}
header h1 {{ font-size: 20px; margin: 0; }}
.meta {{ color: {colors.TEXT_WEAK}; }}
.dashboards {{ display: grid; grid-template-columns: repeat(auto-fill, minmax(360px, 1fr)); gap: 16px; list-style: none; padding: 0; }}
.dashboards li {{ background: {colors.PANEL}; border: 1px solid {colors.PANEL_BORDER}; border-radius: 4px; padding: 10px; }}
.dashboards img {{ width: 100%; height: auto; display: block; margin-bottom: 8px; }}
.dashboard {{ position: relative; width: 100%; }}
.dashboard img {{ width: 100%; height: auto; display: block; }}
.panel {{ position: absolute; box-sizing: border-box; border: 1px solid transparent; border-radius: 4px; }}
.panel:hover, .panel:target {{ border-color: {colors.NAMED["blue"]}; }}
.panel h2 {{ position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); margin: 0; }}
table.panels {{ border-collapse: collapse; width: 100%; margin-top: 24px; }}
table.panels th, table.panels td {{ border-bottom: 1px solid {colors.PANEL_BORDER}; padding: 6px 8px; text-align: left; vertical-align: top; }}
table.panels code {{ white-space: pre-wrap; word-break: break-all; color: {colors.TEXT_WEAK}; }}
.state-no-data {{ color: {colors.TEXT_WEAK}; }}
.state-error {{ color: {colors.NAMED["red"]}; }}
.state-unsupported {{ color: {colors.NAMED["orange"]}; }}
"""


def _page(title: str, body: str, refresh: int | None) -> str:
    meta = f'<meta http-equiv="refresh" content="{refresh}">' if refresh else ""
    return (
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">{meta}\n'
        '<link rel="icon" href="data:,">\n'  # no favicon request, no 404 in the console
        f"<title>{html.escape(title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n"
    )


def _stamp(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _image(preview: DashboardPreview) -> str:
    # The render time in the URL: a refreshed page never shows a cached older picture.
    return f"{html.escape(preview.png)}?v={int(preview.rendered_at)}"


def _page_name(preview: DashboardPreview) -> str:
    return preview.png.removesuffix(".png") + ".html"


def index(previews: Sequence[DashboardPreview], prometheus: str, refresh: int | None) -> str:
    items = []
    for p in previews:
        panels = [x for x in p.panels if x.state not in ("row", "collapsed")]
        counts = {
            state: sum(1 for x in panels if x.state == state)
            for state in ("no-data", "error", "unsupported")
        }
        summary = f"{len(panels)} panels" + "".join(
            f", {n} {state.replace('-', ' ')}" for state, n in counts.items() if n
        )
        items.append(
            f'<li><a href="{html.escape(_page_name(p))}"><img src="{_image(p)}" alt="{html.escape(p.title)}" '
            f'width="{p.width}" height="{p.height}"></a>'
            f'<a href="{html.escape(_page_name(p))}">{html.escape(p.title)}</a> '
            f'<span class="meta">{summary}</span></li>'
        )
    rendered = _stamp(max((p.rendered_at for p in previews), default=0))
    body = (
        f'<header><h1>mlmon preview</h1><span class="meta">{len(previews)} dashboards from '
        f"{html.escape(prometheus)}, rendered {rendered}"
        + (f"; this page reloads every {refresh} s" if refresh else "")
        + '</span></header>\n<ul class="dashboards">\n'
        + "\n".join(items)
        + "\n</ul>"
    )
    return _page("mlmon preview", body, refresh)


def _panel_element(p: DashboardPreview, panel: PanelPreview, index: int) -> str:
    box = panel.box

    def pct(value: float, total: float) -> str:
        return f"{100 * value / total:.3f}%"

    style = f"left:{pct(box.x, p.width)};top:{pct(box.y, p.height)};width:{pct(box.w, p.width)};height:{pct(box.h, p.height)}"
    tooltip = panel.description or panel.title
    return (
        f'<section class="panel" id="panel-{index}" data-panel-id="{panel.id if panel.id is not None else ""}" '
        f'data-type="{html.escape(panel.type)}" data-state="{panel.state}" style="{style}" '
        f'title="{html.escape(tooltip)}"><h2>{html.escape(panel.title)}</h2></section>'
    )


def _panel_row(panel: PanelPreview, index: int) -> str:
    queries = "<br>".join(
        f"<code>{html.escape(q.ref_id)} ({'instant' if q.instant else 'range'}, {q.series} series"
        f"{', error: ' + html.escape(q.error) if q.error else ''}): {html.escape(q.expr)}</code>"
        for q in panel.queries
    )
    state = panel.state.replace("-", " ") + (
        f": {html.escape(panel.message)}" if panel.message and panel.state != "no-data" else ""
    )
    notes = "<br>".join(html.escape(n) for n in panel.notes)
    return (
        f'<tr><td><a href="#panel-{index}">{html.escape(panel.title)}</a></td><td>{html.escape(panel.type)}</td>'
        f'<td class="state-{panel.state}">{state}</td><td>{queries}</td><td>{notes}</td></tr>'
    )


def dashboard_page(p: DashboardPreview, refresh: int | None) -> str:
    drawn = [
        (i, panel) for i, panel in enumerate(p.panels) if panel.state not in ("row", "collapsed")
    ]
    listed = [(i, panel) for i, panel in enumerate(p.panels) if panel.state != "row"]
    variables = ", ".join(f"{html.escape(k)} = {html.escape(v)}" for k, v in p.variables.items())
    body = (
        f'<header><h1>{html.escape(p.title)}</h1><span class="meta">{html.escape(p.time_range)}; {variables}; '
        f"rendered {_stamp(p.rendered_at)} from {html.escape(p.source)}</span>"
        f'<a href="index.html">all dashboards</a></header>\n'
        f'<div class="dashboard"><img src="{_image(p)}" width="{p.width}" height="{p.height}" '
        f'alt="{html.escape(p.title)}">\n'
        + "\n".join(_panel_element(p, panel, i) for i, panel in drawn)
        + '\n</div>\n<table class="panels"><thead><tr><th>Panel</th><th>Type</th><th>State</th>'
        "<th>Queries as sent to Prometheus</th><th>Not shown faithfully</th></tr></thead><tbody>\n"
        + "\n".join(_panel_row(panel, i) for i, panel in listed)
        + "\n</tbody></table>"
    )
    return _page(f"{p.title} — mlmon preview", body, refresh)


def _write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def write_site(
    out_dir: Path, previews: Sequence[DashboardPreview], prometheus: str, refresh: int | None = None
) -> Path:
    """index.html, one page per dashboard and preview.json (the panels' states) in ``out_dir``."""
    for p in previews:
        _write(out_dir / _page_name(p), dashboard_page(p, refresh))
    _write(out_dir / MANIFEST, json.dumps([p.to_json() for p in previews], indent=1))
    _write(out_dir / "index.html", index(previews, prometheus, refresh))
    return out_dir / "index.html"


def placeholder(out_dir: Path, message: str, refresh: int) -> Path:
    """An index.html that says what is coming (before the first previews exist)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "index.html"
    body = f"<header><h1>mlmon preview</h1></header><p>{html.escape(message)}</p>"
    _write(path, _page("mlmon preview", body, refresh))
    return path
