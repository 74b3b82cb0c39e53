#!/usr/bin/env python3
"""Benchmark `mlmon preview`: drawing the project's four dashboards from a real Prometheus.

A demo stack (reference API, exporter, Debian Prometheus) runs in a temporary
directory with a burst of traffic, then the four dashboards in generated/ are
rendered several times. Baselines, measured in the same run:

* queries only: every panel's queries, exactly as the preview sends them, with no drawing;
* blank pictures: four empty figures of the same sizes encoded as PNG (the encoder's floor).

Budget (issue 16): all four dashboards in at most 5 s on the 2-core development machine.
"""

from __future__ import annotations

import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ml_api.injections import parse_injection  # noqa: E402
from ml_api.simulate import SimulationConfig, Simulator  # noqa: E402
from mlmon.demo.runner import Demo, DemoOptions  # noqa: E402
from mlmon.demo.services import ServiceGroup  # noqa: E402
from mlmon.preview import data  # noqa: E402
from mlmon.preview.canvas import Canvas  # noqa: E402
from mlmon.preview.render import PreviewOptions, Renderer, _write_png, load, output_name  # noqa: E402
from mlmon.preview.timerange import TimeRange  # noqa: E402

BUDGET_SECONDS = 5.0
REPEAT = 3
TRAFFIC = (
    "errors:0.1",
    "malformed:0.05",
    "missing:0.1",
    "drift:living_area_sqft@2-5",
    "degraded:0.3",
)


def median_seconds(function, repeat: int = REPEAT) -> float:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> int:
    if shutil.which("prometheus") is None:
        print("bench_preview: skipped (needs Debian's prometheus: apt-get install prometheus)")
        return 0
    files = sorted((ROOT / "generated" / "dashboards").glob("*.json"))
    dashboards = [(path, load(path)) for path in files]
    with tempfile.TemporaryDirectory(prefix="mlmon-bench-preview-") as tmp, ServiceGroup() as group:
        state = Path(tmp)
        demo = Demo(
            DemoOptions(
                root=ROOT,
                state_dir=state,
                build=False,
                export_interval=1.0,
                window_seconds=3600.0,
                preview_every=0,
            ),
            out=sys.stderr,
        )
        demo.start_services(group)
        Simulator(
            SimulationConfig(
                url=demo.urls["api"],
                rate=100.0,
                duration=20.0,
                feedback_delay=0.2,
                seed=5,
                injections=tuple(parse_injection(spec) for spec in TRAFFIC),
            ),
            log=lambda line: None,
        ).run()
        time.sleep(5)  # a few scrapes after the traffic
        options = PreviewOptions(demo.urls["prometheus"], TimeRange.parse("5m"))
        renderer = Renderer(options, log=lambda line: None)
        out = state / "preview"
        out.mkdir()

        def render_all() -> list:
            return [renderer.render(d, str(p), out, output_name(d, p)) for p, d in dashboards]

        previews = render_all()  # warm-up: imports, fonts, Prometheus caches
        panels = sum(1 for p in previews for panel in p.panels if panel.state != "row")
        queries = sum(len(panel.queries) for p in previews for panel in p.panels)

        def queries_only() -> None:
            for preview in previews:
                for panel in preview.panels:
                    for q in panel.queries:
                        plan = data.QueryPlan(
                            q.ref_id, q.expr, q.instant, None, q.params.get("step", 1.0)
                        )
                        data.run(renderer.client, plan, options.time_range)

        def blank_pictures() -> None:
            for preview in previews:
                _write_png(Canvas(preview.width, preview.height), out / "blank.png")

        total = median_seconds(render_all)
        baseline_queries = median_seconds(queries_only)
        baseline_blank = median_seconds(blank_pictures)
        sizes = {p.png: (out / p.png).stat().st_size for p in previews}
    print(f"{len(files)} dashboards, {panels} panels, {queries} queries; median of {REPEAT} runs")
    print(f"  queries only (baseline)      {baseline_queries:6.2f} s")
    print(f"  blank PNGs (baseline)        {baseline_blank:6.2f} s")
    print(
        f"  mlmon preview, all four      {total:6.2f} s  = {total / baseline_queries:.1f}x the queries, "
        f"{total / baseline_blank:.1f}x the blank PNGs; {total / len(files):.2f} s per dashboard"
    )
    print(f"  PNG sizes: {json.dumps({k: f'{v / 1024:.0f} KiB' for k, v in sizes.items()})}")
    within = total <= BUDGET_SECONDS
    print(f"  budget {BUDGET_SECONDS:g} s for all four: {'within' if within else 'OVER'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
