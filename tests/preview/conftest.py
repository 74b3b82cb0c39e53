"""The preview of the project's dashboards, drawn from the shared fed Prometheus (``tests/conftest.py``)."""

from __future__ import annotations

import json

import pytest

from mlmon.cli import main


@pytest.fixture(scope="session")
def rendered(fed_prometheus, tmp_path_factory):
    """``mlmon preview`` of the project's dashboards: (exit code, output directory, {source: manifest entry})."""
    out = tmp_path_factory.mktemp("preview")
    code = main(["preview", "--prometheus", fed_prometheus.url, "--from", "3m", "--out", str(out)])
    manifest = json.loads((out / "preview.json").read_text())
    return code, out, {entry["source"]: entry for entry in manifest}
