"""The project's four dashboards rendered from a real Prometheus fed by the exporter and the reference API."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from mlmon.cli import main
from mlmon.preview import colors
from mlmon.preview.layout import CELL_HEIGHT, HEADER, MARGIN, PADDING, walk
from tests.support.processes import ROOT

pytestmark = [pytest.mark.prometheus, pytest.mark.slow]

DASHBOARDS = sorted((ROOT / "generated" / "dashboards").glob("*.json"))


class PanelSections(HTMLParser):
    """``{title: data-state}`` of the panel elements laid over a dashboard picture."""

    def __init__(self) -> None:
        super().__init__()
        self.panels: dict[str, str] = {}
        self._state: str | None = None
        self._in_title = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "section" and "panel" in (attributes.get("class") or ""):
            self._state = attributes.get("data-state")
        elif tag == "h2" and self._state is not None:
            self._in_title = True

    def handle_data(self, data):
        if self._in_title:
            self.panels[data] = self._state
            self._in_title, self._state = False, None


def _range_values(prometheus, expr: str, params: dict) -> list[float]:
    if "time" in params:
        result = prometheus.api("query", query=expr, time=str(params["time"]))["result"]
        points = [s["value"] for s in result] if isinstance(result, list) else [result]
    else:
        result = prometheus.api(
            "query_range",
            query=expr,
            start=str(params["start"]),
            end=str(params["end"]),
            step=str(params["step"]),
        )["result"]
        points = [p for s in result for p in s["values"]]
    return [float(p[1]) for p in points]


def test_every_dashboard_renders_without_failures(rendered):
    code, out, manifest = rendered
    assert code == 0
    assert sorted(Path(source).name for source in manifest) == [p.name for p in DASHBOARDS]
    assert sorted(p.name for p in out.glob("*.png")) == sorted(e["png"] for e in manifest.values())
    for entry in manifest.values():
        states = {p["title"]: p["state"] for p in entry["panels"]}
        assert not [t for t, s in states.items() if s in ("error", "unsupported")], states


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda p: p.stem)
def test_one_png_per_dashboard_with_the_grid_size_and_no_blank_panel(rendered, path):
    _, out, manifest = rendered
    entry = next(e for e in manifest.values() if e["uid"] == json.loads(path.read_text())["uid"])
    dashboard = json.loads(path.read_text())
    rows = max(p["gridPos"]["y"] + p["gridPos"]["h"] for p in dashboard["panels"])
    image = Image.open(out / entry["png"])
    assert image.format == "PNG"
    assert image.size == (1600, HEADER + rows * (CELL_HEIGHT + MARGIN) + PADDING)
    pixels = np.asarray(image.convert("RGB")).astype(int)
    panel_background = np.array([int(colors.PANEL[i : i + 2], 16) for i in (1, 3, 5)])
    for panel in entry["panels"]:
        if panel["state"] in ("row", "collapsed"):
            continue
        box = panel["box"]
        # The content below the title: something other than the panel's own background is drawn there.
        region = pixels[
            int(box["y"]) + 34 : int(box["y"] + box["h"]) - 4,
            int(box["x"]) + 4 : int(box["x"] + box["w"]) - 4,
        ]
        drawn = np.abs(region - panel_background).sum(axis=2) > 30
        share = drawn.mean()
        minimum = 0.002 if panel["state"] == "no-data" else 0.01
        assert share > minimum, (
            f"{path.name}: panel {panel['title']!r} ({panel['state']}) looks blank ({share:.4f})"
        )


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda p: p.stem)
def test_every_panel_is_in_the_html_with_its_title(rendered, path):
    _, out, manifest = rendered
    dashboard = json.loads(path.read_text())
    entry = next(e for e in manifest.values() if e["uid"] == dashboard["uid"])
    page = (out / entry["png"].replace(".png", ".html")).read_text()
    parser = PanelSections()
    parser.feed(page)
    titles = [p["title"] for p in walk(dashboard["panels"]) if p["type"] != "row"]
    assert sorted(parser.panels) == sorted(titles)
    assert f'src="{entry["png"]}?v=' in page
    index = (out / "index.html").read_text()
    assert dashboard["title"] in index and entry["png"].replace(".png", ".html") in index


def test_no_data_is_shown_only_where_the_queries_returned_nothing(rendered, fed_prometheus):
    _, _, manifest = rendered
    checked = {"no-data": 0, "ok": 0}
    for entry in manifest.values():
        for panel in entry["panels"]:
            if panel["state"] not in checked or not panel["queries"]:
                continue
            values = [
                v
                for q in panel["queries"]
                for v in _range_values(fed_prometheus, q["expr"], q["params"])
            ]
            has_data = any(not np.isnan(v) for v in values)
            if panel["state"] == "no-data":
                assert not has_data, (
                    f"{entry['title']}: {panel['title']!r} shows No data, yet its queries return {values[:5]}"
                )
            else:
                assert has_data, (
                    f"{entry['title']}: {panel['title']!r} is drawn, yet its queries return nothing"
                )
            checked[panel["state"]] += 1
    assert checked["ok"] > 40


def test_a_selected_model_narrows_every_query(fed_prometheus, tmp_path):
    code = main(
        [
            "preview",
            str(ROOT / "generated/dashboards/mlmon-data-drift.json"),
            "--prometheus",
            fed_prometheus.url,
            "--from",
            "3m",
            "--var",
            "model=house_price",
            "--out",
            str(tmp_path),
        ]
    )
    assert code == 0
    entry = json.loads((tmp_path / "preview.json").read_text())[0]
    assert entry["variables"]["model"] == "house_price" and entry["variables"]["feature"] == "All"
    exprs = [q["expr"] for p in entry["panels"] for q in p["queries"]]
    assert exprs and all("$" not in e for e in exprs)
    assert all('model_name=~"house_price"' in e for e in exprs if "model_name" in e)
    assert any('feature=~".*"' in e for e in exprs)
