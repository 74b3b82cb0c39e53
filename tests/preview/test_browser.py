"""The preview pages in headless Debian chromium: every panel rendered, no console errors, no failed loads."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from PIL import Image

from mlmon.preview.serve import PreviewServer
from tests.preview.browser import Chromium

pytestmark = [pytest.mark.prometheus, pytest.mark.slow]

PANELS = """JSON.stringify({
  image: (() => { const i = document.querySelector('.dashboard img');
                  const r = i.getBoundingClientRect();
                  return {complete: i.complete, natural: i.naturalWidth, x: r.x, y: r.y + scrollY, w: r.width, h: r.height}; })(),
  panels: [...document.querySelectorAll('section.panel')].map(s => {
    const r = s.getBoundingClientRect();
    return {title: s.querySelector('h2').textContent, state: s.dataset.state, x: r.x, y: r.y + scrollY, w: r.width, h: r.height};
  })
})"""


def test_every_page_renders_every_panel_without_console_errors(rendered, tmp_path):
    _, out, manifest = rendered
    with PreviewServer(out) as server, Chromium(tmp_path / "profile") as browser:
        browser.open(server.url)
        thumbnails = browser.evaluate(
            "JSON.stringify([...document.images].map(i => [i.alt, i.complete && i.naturalWidth > 0]))"
        )
        assert sorted(json.loads(thumbnails)) == sorted(
            [e["title"], True] for e in manifest.values()
        )
        for entry in manifest.values():
            page = server.url + entry["png"].replace(".png", ".html")
            browser.open(page)
            shown = json.loads(browser.evaluate(PANELS))
            image = shown["image"]
            assert image["complete"] and image["natural"] == entry["width"], page
            expected = [
                p["title"] for p in entry["panels"] if p["state"] not in ("row", "collapsed")
            ]
            assert sorted(p["title"] for p in shown["panels"]) == sorted(expected)
            screenshot = np.asarray(
                Image.open(io.BytesIO(browser.screenshot())).convert("RGB")
            ).astype(int)
            for panel in shown["panels"]:
                # Inside the picture, and with something drawn where the page puts it.
                assert panel["w"] > 20 and panel["h"] > 20, panel
                assert (
                    image["x"] - 1 <= panel["x"]
                    and panel["x"] + panel["w"] <= image["x"] + image["w"] + 1
                )
                assert (
                    image["y"] - 1 <= panel["y"]
                    and panel["y"] + panel["h"] <= image["y"] + image["h"] + 1
                )
                region = screenshot[
                    int(panel["y"]) + 2 : int(panel["y"] + panel["h"]) - 2,
                    int(panel["x"]) + 2 : int(panel["x"] + panel["w"]) - 2,
                ]
                assert region.size and region.std() > 5, (
                    f"{page}: panel {panel['title']!r} is blank"
                )
        assert browser.problems() == []


def test_the_browser_check_sees_a_broken_page(tmp_path):
    # The check above can fail: a missing picture and a script error are both reported.
    (tmp_path / "index.html").write_text(
        '<!doctype html><img src="gone.png"><script>console.error("boom"); missing();</script>'
    )
    with PreviewServer(tmp_path) as server, Chromium(tmp_path / "profile") as browser:
        browser.open(server.url)
        problems = browser.problems()
    assert any("boom" in p for p in problems)
    assert any("missing" in p or "Uncaught" in p for p in problems)
    assert any("gone.png" in p for p in problems)
