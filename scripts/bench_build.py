#!/usr/bin/env python3
"""Benchmark `mlmon build` from a cold process (part of `make bench`).

Measures, as the median of several runs, the wall time of:

- baseline: a cold `python -c "import grafanalib.core"` (the floor any build pays);
- `mlmon build` of every dashboard and alert rule of the project (target: ≤ 1.5 s);
- `mlmon build --only dashboards` of the project's dashboards;
- `mlmon build --only dashboards` of 100 generated dashboards (copies of the
  project's with their own uid and title), to show how the build scales.

Outputs go to a temporary directory; the repository is not touched.
Figures are printed as seconds and as ratios to the baseline; nothing is asserted.
"""

from __future__ import annotations

import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUNS = 5
GENERATED_DASHBOARDS = 100
TARGET_SECONDS = 1.5


def wall(args: list[str], runs: int = RUNS) -> float:
    """Median wall time of running ``args`` from the project root (each run a fresh process)."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(
            args, cwd=ROOT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def generate_sources(target: Path, count: int) -> None:
    """``count`` dashboard modules: the project's, each copy with its own uid and title."""
    originals = sorted(
        p for p in (ROOT / "dashboards_src").glob("*.py") if not p.name.startswith("_")
    )
    target.mkdir(parents=True)
    for index in range(count):
        original = originals[index % len(originals)]
        text = re.sub(
            r'uid="([^"]+)"', rf'uid="bench{index:03d}-\1"', original.read_text(), count=1
        )
        text = re.sub(
            r'title="([^"]+)",\n    uid=', rf'title="\1 #{index}",\n    uid=', text, count=1
        )
        (target / f"d{index:03d}_{original.name}").write_text(text)


def main() -> int:
    mlmon = [sys.executable, "-m", "mlmon", "build"]
    with tempfile.TemporaryDirectory(prefix="mlmon-bench-") as tmp:
        tmp_path = Path(tmp)
        baseline = wall([sys.executable, "-c", "import grafanalib.core"])
        everything = wall(mlmon + ["--out", str(tmp_path / "all")])
        project = wall(mlmon + ["--only", "dashboards", "--out", str(tmp_path / "project")])
        generate_sources(tmp_path / "src", GENERATED_DASHBOARDS)
        many = wall(
            mlmon
            + [
                "--only",
                "dashboards",
                "--src",
                str(tmp_path / "src"),
                "--out",
                str(tmp_path / "many"),
            ],
            runs=3,
        )
        built = len(list((tmp_path / "many" / "dashboards").glob("*.json")))
    dashboards = len(
        [p for p in (ROOT / "dashboards_src").glob("*.py") if not p.name.startswith("_")]
    )
    per_dashboard = (many - project) / (GENERATED_DASHBOARDS - dashboards)
    print(f"baseline  python -c 'import grafanalib.core' (cold)     {baseline:6.3f} s   1.00x")
    print(
        f"mlmon build, all dashboards + alerts (cold)          {everything:6.3f} s  {everything / baseline:5.2f}x"
        f"   target <= {TARGET_SECONDS} s: {'met' if everything <= TARGET_SECONDS else 'NOT met'}"
    )
    print(
        f"mlmon build --only dashboards, {dashboards} dashboards           {project:6.3f} s  {project / baseline:5.2f}x"
    )
    print(
        f"mlmon build --only dashboards, {built} dashboards         {many:6.3f} s  {many / baseline:5.2f}x"
    )
    print(
        f"  marginal cost per dashboard                        {per_dashboard * 1000:6.1f} ms "
        f"{per_dashboard / baseline:5.2f}x"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
