"""Grafana's reference files in ``../shared/grafana/`` (beside the clone): for checks against them only.

``MLMON_SHARED_DIR`` stands in for ``../shared`` (a missing path runs the suite as a bare clone
would). Without the files only those checks skip; under ``CI=true`` they fail instead.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.support.processes import IN_CI, ROOT

SHARED_GRAFANA = Path(os.environ.get("MLMON_SHARED_DIR") or ROOT.parent / "shared") / "grafana"


def grafana_reference_path(name: str) -> Path:
    """The path of ``shared/grafana/NAME``; skips the test when it is missing (fails under CI=true)."""
    path = SHARED_GRAFANA / name
    if path.is_file():
        return path
    reason = f"Grafana reference file {path} is missing (CI checks out shared/ beside the clone)"
    if IN_CI:
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)
