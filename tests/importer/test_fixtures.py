"""Every fixture (our own dashboards in the shapes of real public ones) imports, builds and keeps its queries.

For each file in tests/importer/fixtures/: `mlmon import` writes a module and
catalog.yml, `mlmon build` compiles it, the output validates against
Grafana's official schema (when ../shared is present; only that check is
skipped without it), and the panels, targets and every query expression of
the input are all in the output. `mlmon lint` on the output reports no
catalog finding: the families the import declared are known.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from tests.dashboards.support import _grafana_validator, mlmon
from tests.support.processes import IN_CI
from tests.support.shared import SHARED_GRAFANA

GRAFANA_SCHEMA = SHARED_GRAFANA / "dashboard.jsonschema.json"

FIXTURES = sorted((Path(__file__).parent / "fixtures").glob("*.json"))

# Where Grafana's official schema (a generated, partly stale file) disagrees with what Grafana
# itself writes, errors at these JSON paths are not reported (docs/importing.md lists them):
SCHEMA_QUIRKS = (
    # a field override's matcher options and property values are any JSON ("byName": a string),
    # the schema types both as objects;
    re.compile(r"fieldConfig/overrides/\d+/(matcher/options|properties/\d+/value)$"),
    # panel links are data links {title, url, targetBlank}; the schema reuses the dashboard link
    # type, which requires type, icon, tags... .
    re.compile(r"^panels/\d+(/panels/\d+)?/links/\d+$"),
)


def _input_panels(data: dict) -> list[dict]:
    """Every non-row panel of an input dashboard: in legacy rows, collapsed rows or at the top."""
    data = data.get("dashboard", data)
    found: list[dict] = []
    elements = data.get("__elements") or {}

    def walk(panels: list[dict]) -> None:
        for panel in panels:
            if panel.get("repeatPanelId") or panel.get("repeatIteration"):
                continue  # a copy Grafana saved while repeating: not part of the source
            library = (elements.get((panel.get("libraryPanel") or {}).get("uid")) or {}).get(
                "model"
            )
            if panel.get("type") == "row":
                walk(panel.get("panels") or [])
            else:
                found.append(library or panel)  # an exported library panel's model is in __elements

    walk(data.get("panels") or [])
    for row in data.get("rows") or []:
        if not row.get("repeatIteration"):
            walk(row.get("panels") or [])
    return found


def _output_panels(model: dict) -> list[dict]:
    return [
        p
        for top in model.get("panels") or []
        for p in [top, *(top.get("panels") or [])]
        if p.get("type") != "row"
    ]


def _expressions(panels: list[dict]) -> Counter[str]:
    return Counter(
        t["expr"]
        for p in panels
        for t in p.get("targets") or []
        if isinstance(t.get("expr"), str) and t["expr"]
    )


def _schema_errors(model: dict) -> list[str] | None:
    if not GRAFANA_SCHEMA.is_file():
        if IN_CI:
            pytest.fail(f"Grafana's reference schema is missing at {GRAFANA_SCHEMA}", pytrace=False)
        return None  # only this check is skipped without ../shared
    errors = []
    for error in _grafana_validator().iter_errors(model):
        # A panel is a oneOf: the deepest failing branch says what is actually wrong.
        deepest = max([error, *error.context], key=lambda e: len(e.absolute_path))
        path = "/".join(map(str, deepest.absolute_path))
        if not any(quirk.search(path) for quirk in SCHEMA_QUIRKS):
            errors.append(f"{path}: {deepest.message[:200]}")
    return errors


def test_the_corpus_covers_every_shape():
    names = {path.stem for path in FIXTURES}
    assert len(FIXTURES) >= 40
    for prefix in ("v1", "v2", "v3", "v4"):
        assert any(name.startswith(prefix) for name in names)
    for shape in (
        "rows",
        "graph",
        "singlestat",
        "table-old",
        "heatmap",
        "collapsed",
        "repeat",
        "library",
        "loki",
        "string-datasources",
        "ds-inputs",
    ):
        assert any(shape in name for name in names), shape


@pytest.mark.parametrize("fixture", FIXTURES, ids=lambda p: p.stem)
def test_fixture_imports_builds_and_keeps_every_query(fixture, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    data = json.loads(fixture.read_text())
    code, out, err = mlmon(capsys, "import", str(fixture), "-o", "dashboards_src/imported.py")
    assert code == 0, err
    source = (tmp_path / "dashboards_src" / "imported.py").read_text()
    assert mlmon(capsys, "build", "--only", "dashboards")[0] == 0
    [built_file] = (tmp_path / "generated" / "dashboards").glob("*.json")
    model = json.loads(built_file.read_text())

    wanted, got = _input_panels(data), _output_panels(model)
    assert len(got) == len(wanted)
    assert sum(len(p.get("targets") or []) for p in got) == sum(
        len(p.get("targets") or []) for p in wanted
    )
    assert _expressions(got) == _expressions(wanted)
    for expr in _expressions(wanted):
        assert json.dumps(expr, ensure_ascii=False) in source  # kept verbatim, as q.promql("...")

    errors = _schema_errors(model)
    assert errors is None or errors == [], errors

    code, out, _ = mlmon(capsys, "lint", "--format", "json", str(built_file))
    findings = json.loads(out)["findings"]
    assert [f for f in findings if f["rule"].startswith("catalog-")] == []
