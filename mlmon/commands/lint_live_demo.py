"""``mlmon lint --live-demo``: the live check against the demo stack, started for the occasion.

Lives in the CLI layer because it joins two rooms: the linter (``mlmon.lint``,
which knows nothing of the demo) and the demo's services (``mlmon.demo`` and
``ml_api``): the reference API, the exporter and a local Prometheus on
127.0.0.1, in a temporary state directory. Before
querying, the simulator sends a short burst of traffic with every kind of
trouble the dashboards show (5xx answers, malformed and incomplete requests,
an unseen category, drift, degraded ground truth), so a panel is reported only
when its query can never show data. Everything is stopped afterwards.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import promql_parser

from mlmon.errors import MlmonError
from mlmon.lint.engine import Report
from mlmon.lint.live import LiveCheck
from mlmon.lint.prometheus_api import QueryFailed

TRAFFIC = (
    "errors:0.1",
    "malformed:0.05",
    "unseen_category:0.05",
    "missing:0.1",
    "drift:living_area_sqft@1-3",
    "degraded:0.3",
)
REQUESTS = 600
READY_TIMEOUT = 90.0


class LiveDemoError(MlmonError):
    """The demo stack could not be started (the CLI exits with 2)."""


@contextmanager
def _faults_enabled() -> Iterator[None]:
    # The API honours the simulator's fault headers (503s) only with ML_API_FAULTS=1;
    # the demo's services inherit this process's environment.
    previous = os.environ.get("ML_API_FAULTS")
    os.environ["ML_API_FAULTS"] = "1"
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("ML_API_FAULTS", None)
        else:
            os.environ["ML_API_FAULTS"] = previous


def run_live_demo(
    paths: list[Path], report: Report, progress: Callable[[str], None], root: Path
) -> None:
    """Start the demo stack under ``root``, send traffic, run the live check on ``paths``, stop the stack."""
    from ml_api.injections import parse_injection
    from ml_api.simulate import SimulationConfig, Simulator
    from mlmon.demo.runner import Demo, DemoOptions
    from mlmon.demo.services import ServiceError, ServiceGroup

    if shutil.which("prometheus") is None:
        raise LiveDemoError(
            "--live-demo needs Prometheus (Debian: apt-get install prometheus); "
            "or run the live check against yours with --prometheus URL"
        )
    with (
        tempfile.TemporaryDirectory(prefix="mlmon-lint-live-") as state,
        _faults_enabled(),
        ServiceGroup() as group,
    ):
        # export_interval 1s and a window longer than the run keep every statistic available while querying
        options = DemoOptions(
            root=root,
            state_dir=Path(state),
            build=False,
            export_interval=1.0,
            window_seconds=3600.0,
        )
        demo = Demo(options, out=sys.stderr)
        try:
            demo.start_services(group)
        except ServiceError as exc:
            raise LiveDemoError(f"the demo stack did not start: {exc}") from None
        progress(f"traffic: {REQUESTS} requests with {', '.join(TRAFFIC)}")
        Simulator(
            SimulationConfig(
                url=demo.urls["api"],
                rate=200.0,
                count=REQUESTS,
                feedback_delay=0.1,
                seed=7,
                injections=tuple(parse_injection(spec) for spec in TRAFFIC),
            ),
            log=lambda line: None,
        ).run()
        check = LiveCheck(demo.urls["prometheus"], progress)
        _wait_for_samples(check)
        check.run(paths, report)
        progress("stopping the demo stack ...")


def _wait_for_samples(check: LiveCheck) -> None:
    """Until rate() over $__rate_interval has samples of the API's and the exporter's series."""
    window = promql_parser.display_duration(4 * check.api.scrape_interval())
    probes = (
        f"count(count_over_time(up[{window}]) >= 4) == 2",
        "count(model_accuracy)",
        f"count(rate(api_requests_total[{window}]))",
    )
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        try:
            if all(check.api.query(probe) for probe in probes):
                return
        except QueryFailed:
            pass
        time.sleep(0.5)
    raise LiveDemoError(
        f"the demo stack served no data within {READY_TIMEOUT:.0f}s (probes: {'; '.join(probes)})"
    )
