#!/usr/bin/env python3
"""Benchmark `mlmon lint` (static): how its cost compares to just reading the files it lints.

Baseline, measured in the same run: reading and parsing the same JSON/YAML
files. Reported as ratios (lint time / parse time) for the project's
generated/ and for a synthetic 400-panel dashboard (to catch quadratic rules).
"""

from __future__ import annotations

import copy
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mlmon.lint import lint_paths  # noqa: E402

FIXTURE = ROOT / "tests" / "lint" / "fixtures" / "clean" / "model_service.json"


def timed(function, repeat: int) -> float:
    """Median seconds per call over ``repeat`` calls."""
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def parse_all(files: list[Path]) -> None:
    for path in files:
        text = path.read_text()
        json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)


def big_dashboard(panels: int) -> dict:
    base = json.loads(FIXTURE.read_text())
    template = next(p for p in base["panels"] if p.get("title") == "Error ratio")
    base["panels"] = []
    for i in range(panels):
        panel = copy.deepcopy(template)
        panel.update(
            id=i + 1,
            title=f"Panel {i}",
            gridPos={"x": (i % 3) * 8, "y": (i // 3) * 6, "w": 8, "h": 6},
        )
        base["panels"].append(panel)
    return base


def report(name: str, files: list[Path], paths: list[Path], repeat: int) -> float:
    baseline = timed(lambda: parse_all(files), repeat)
    lint = timed(lambda: lint_paths(paths), repeat)
    print(
        f"{name}: {len(files)} files; parse {baseline * 1000:.1f} ms (baseline), lint {lint * 1000:.1f} ms, "
        f"ratio {lint / baseline:.1f}x"
    )
    return lint


def main() -> int:
    generated = ROOT / "generated"
    files = [p for p in sorted(generated.rglob("*")) if p.suffix in (".json", ".yml", ".yaml")]
    if files:
        report("generated/", files, [generated], repeat=5)
    with tempfile.TemporaryDirectory() as tmp:
        seconds = {}
        for panels in (100, 400):
            path = Path(tmp) / f"big{panels}.json"
            path.write_text(json.dumps(big_dashboard(panels)))
            seconds[panels] = report(
                f"synthetic {panels}-panel dashboard", [path], [path], repeat=3
            )
        print(
            f"scaling: 4x the panels takes {seconds[400] / seconds[100]:.1f}x the time (linear would be 4.0x)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
