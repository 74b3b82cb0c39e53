"""The metric table in docs/catalog.md is the catalog, rendered (python -m exporter.catalog_table --update docs/catalog.md)."""

from __future__ import annotations

import subprocess
import sys

from exporter import catalog
from exporter.catalog_table import section, update
from tests.support.processes import ROOT


def test_docs_table_matches_the_catalog():
    readme = (ROOT / "docs" / "catalog.md").read_text()
    assert section() in readme, (
        "stale metric table in docs/catalog.md: run python -m exporter.catalog_table --update docs/catalog.md"
    )
    for metric in catalog.METRICS:
        assert f"| `{metric.name}` |" in readme


def test_update_rewrites_only_the_table(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text(
        "intro\n<!-- section:catalog-table -->\nold\n<!-- /section:catalog-table -->\nend\n"
    )
    result = subprocess.run(
        [sys.executable, "-m", "exporter.catalog_table", "--update", str(readme)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert result.returncode == 0 and "updated" in result.stdout
    assert readme.read_text() == f"intro\n{section()}\nend\n"
    assert update(readme) is False
