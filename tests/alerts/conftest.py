"""Fixtures for the alert tests: the compiled project rules and Grafana's reference schemas."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlmon.alerts.compiler import compile_alerts
from tests.support.processes import ROOT
from tests.support.shared import grafana_reference_path

ALERTS_SRC = ROOT / "alerts_src"


@pytest.fixture(scope="session")
def compiled() -> dict[str, bytes]:
    """compile_alerts() of the project's alerts_src/, keyed by path under generated/."""
    return compile_alerts(ALERTS_SRC)


def write_tree(files: dict[str, bytes], root: Path) -> Path:
    for relative, content in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    return root


def grafana_reference(name: str) -> dict:
    """A file of ../shared/grafana/ (beside the clone); skipped locally, a failure under CI=true."""
    return json.loads(grafana_reference_path(name).read_text())
