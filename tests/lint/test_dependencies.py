"""The linter stays a leaf: importing every module of mlmon.lint loads neither the demo nor the reference API."""

from __future__ import annotations

import subprocess
import sys

from tests.support.processes import ROOT

PROBE = """
import importlib, pkgutil, sys
import mlmon.lint, mlmon.lint.rules
for package in (mlmon.lint, mlmon.lint.rules):
    for info in pkgutil.iter_modules(package.__path__):
        importlib.import_module(f"{package.__name__}.{info.name}")
print(sorted(m for m in sys.modules if m.split(".")[0] == "ml_api" or m.startswith("mlmon.demo")))
"""


def test_lint_does_not_depend_on_the_demo_or_the_reference_api():
    result = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]", result.stdout
