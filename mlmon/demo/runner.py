"""Run the demo: build, start API + exporter + Prometheus, simulate traffic with a drift episode, report."""

from __future__ import annotations

import contextlib
import importlib.util
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from mlmon.demo.services import Service, ServiceError, ServiceGroup, pick_port
from mlmon.demo.summary import (
    alerts_line,
    api_line,
    consistent_snapshot,
    format_report,
    model_reports,
    prometheus_alerts,
    scrape,
)

if TYPE_CHECKING:  # matplotlib loads only when the dashboards page is drawn
    from mlmon.demo.previews import DemoPreviews
    from mlmon.preview.serve import PreviewServer

DRIFT_FEATURE = "living_area_sqft"
# Without --duration the drift episode starts after a minute and lasts two.
OPEN_ENDED_DRIFT = (60.0, 180.0)
# A run's simulator bound when the user stops it with Ctrl-C instead of --duration.
OPEN_ENDED_SECONDS = 24 * 3600.0
# Seconds after the traffic starts when the dashboards page gets its first pictures.
FIRST_PREVIEW = 20.0


@dataclass(frozen=True)
class DemoOptions:
    root: Path  # the project (dashboards_src/, generated/)
    state_dir: Path
    duration: float | None = None
    rate: float = 20.0
    report_every: float = 10.0
    build: bool = True
    export_interval: float = 2.0
    window_seconds: float = 30.0
    preview_every: float = 60.0  # seconds between redraws of the dashboards page; 0 turns it off


def drift_episode(duration: float | None) -> tuple[float, float]:
    """When the drift starts and ends: the middle 40% of a bounded run."""
    if duration is None:
        return OPEN_ENDED_DRIFT
    return round(duration * 0.3, 1), round(duration * 0.7, 1)


class Demo:
    def __init__(self, options: DemoOptions, out: TextIO = sys.stdout):
        self.options = options
        self.out = out
        self.logs = options.state_dir / "logs"
        self.stop_requested = threading.Event()
        self.urls: dict[str, str] = {}
        self.ports: dict[str, int] = {}
        self.previews: DemoPreviews | None = None

    def say(self, line: str = "") -> None:
        print(line, file=self.out, flush=True)

    # -- steps -----------------------------------------------------------------
    def build(self) -> None:
        if not self.options.build:
            return
        if importlib.util.find_spec("mlmon.commands.build") is None:
            self.say("build: skipped (`mlmon build` is not part of this checkout yet)")
            return
        self._run_step("build", [sys.executable, "-m", "mlmon", "build"])

    def push(self) -> None:
        if not os.environ.get("GRAFANA_URL"):
            self.say(
                "push: skipped (set GRAFANA_URL and GRAFANA_TOKEN, or GRAFANA_USER/GRAFANA_PASSWORD, "
                "to upload the dashboards to your Grafana)"
            )
            return
        if importlib.util.find_spec("mlmon.commands.push") is None:
            self.say("push: skipped (`mlmon push` is not part of this checkout yet)")
            return
        self._run_step("push", [sys.executable, "-m", "mlmon", "push"])

    def _run_step(self, name: str, args: list[str]) -> None:
        log = self.logs / f"{name}.log"
        with open(log, "wb") as handle:
            code = subprocess.call(
                args, cwd=self.options.root, stdout=handle, stderr=subprocess.STDOUT
            )
        if code == 0:
            self.say(f"{name}: ok (log {log})")
        else:
            self.say(
                f"{name}: failed with exit code {code}; the demo goes on without it (log {log})"
            )

    def service_steps(self) -> list[Callable[[ServiceGroup], None]]:
        """The services in start order (stopped in reverse). Each step starts one, waits until it serves
        and records its URL in ``self.urls``; to add a service to the demo, add its step here."""
        return [self._start_api, self._start_exporter, self._start_prometheus]

    def start_services(self, group: ServiceGroup) -> None:
        for step in self.service_steps():
            step(group)

    @property
    def _db(self) -> Path:
        return self.options.state_dir / "metrics.db"

    def _start_api(self, group: ServiceGroup) -> None:
        db = self._db
        for stale in (db, db.with_name("metrics.db-wal"), db.with_name("metrics.db-shm")):
            stale.unlink(missing_ok=True)  # each demo starts from a fresh prediction log
        self.say("starting the API (trains both models) ...")
        _, port = group.start_on_port(
            lambda port: Service(
                "API",
                [sys.executable, "-m", "ml_api"],
                self.logs / "api.log",
                f"http://127.0.0.1:{port}/health",
                cwd=self.options.root,
                env={"API_HOST": "127.0.0.1", "API_PORT": str(port), "METRICS_DB_PATH": str(db)},
            ),
            8000,
        )
        self.ports["api"] = port
        self.urls["api"] = f"http://127.0.0.1:{port}"

    def _start_exporter(self, group: ServiceGroup) -> None:
        opts = self.options
        self.say("starting the exporter ...")
        _, port = group.start_on_port(
            lambda port: Service(
                "exporter",
                [sys.executable, "-m", "exporter"],
                self.logs / "exporter.log",
                f"http://127.0.0.1:{port}/metrics",
                cwd=opts.root,
                env={
                    "METRICS_DB_PATH": str(self._db),
                    "PROMETHEUS_PORT": str(port),
                    "EXPORTER_BIND_ADDRESS": "127.0.0.1",
                    "EXPORT_INTERVAL": f"{opts.export_interval:g}",
                    "EXPORTER_WINDOW_SECONDS": f"{opts.window_seconds:g}",
                },
            ),
            8001,
        )
        self.ports["exporter"] = port
        self.urls["exporter"] = f"http://127.0.0.1:{port}"

    def _start_prometheus(self, group: ServiceGroup) -> None:
        opts = self.options
        prometheus = shutil.which("prometheus")
        if prometheus is None:
            self.say(
                "Prometheus: not installed, skipped (Debian/Ubuntu: apt-get install prometheus)"
            )
            return
        from mlmon.demo.alerting import start_alerting

        self.alerting = start_alerting(opts.root, opts.state_dir, group, self.say)
        self.say("starting Prometheus ...")
        config = self._write_prometheus_config(self.ports["api"], self.ports["exporter"])
        # A fresh TSDB each run: an earlier run's series and pending alerts would show as this run's.
        data = opts.state_dir / "prometheus-data"
        shutil.rmtree(data, ignore_errors=True)
        _, port = group.start_on_port(
            lambda port: Service(
                "Prometheus",
                [
                    prometheus,
                    f"--config.file={config}",
                    f"--storage.tsdb.path={data}",
                    f"--web.listen-address=127.0.0.1:{port}",
                    "--storage.tsdb.retention.time=1d",
                    "--log.level=warn",
                ],
                self.logs / "prometheus.log",
                f"http://127.0.0.1:{port}/-/ready",
                cwd=opts.state_dir,
            ),
            9090,
        )
        self.ports["prometheus"] = port
        self.urls["prometheus"] = f"http://127.0.0.1:{port}"

    def start_previews(self) -> PreviewServer | None:
        """The dashboards page (previews drawn from the demo's Prometheus), served on 127.0.0.1."""
        opts = self.options
        if not opts.preview_every:
            return None
        if "prometheus" not in self.urls:
            self.say("dashboards page: skipped (the previews are drawn from Prometheus)")
            return None
        if importlib.util.find_spec("matplotlib") is None:
            self.say("dashboards page: skipped (needs matplotlib: pip install 'mlmon[preview]')")
            return None
        from mlmon.demo.previews import DemoPreviews
        from mlmon.preview.serve import PreviewServer

        out = opts.state_dir / "preview"
        self.previews = DemoPreviews(
            opts.root / "generated" / "dashboards",
            out,
            self.urls["prometheus"],
            self.logs / "preview.log",
        )
        self.previews.write_placeholder(min(FIRST_PREVIEW, opts.preview_every))
        server = PreviewServer(out, pick_port(8050))
        self.urls["dashboards"] = server.url.rstrip("/")
        return server

    def _write_prometheus_config(self, api_port: int, exporter_port: int) -> Path:
        from mlmon.promconfig import render_prometheus_config

        alerting = getattr(self, "alerting", None)
        rules = alerting.rule_files if alerting else self._checked_rule_files()
        text = render_prometheus_config(
            api_targets=[f"127.0.0.1:{api_port}"],
            exporter_targets=[f"127.0.0.1:{exporter_port}"],
            rule_files=[str(p) for p in rules],
            scrape_interval="2s",
            alertmanager_targets=alerting.targets if alerting else (),
        )
        path = self.options.state_dir / "prometheus.yml"
        tmp = path.with_suffix(".tmp")
        tmp.write_text(text)
        tmp.replace(path)  # never a half-written config
        return path

    def _checked_rule_files(self) -> list[Path]:
        rules = sorted(
            (self.options.root / "generated" / "alerts" / "prometheus").glob("*.rules.yml")
        )
        promtool = shutil.which("promtool")
        if not rules:
            return []
        if promtool is None:
            self.say(
                "alert rules: not loaded (promtool, which checks them first, is not installed)"
            )
            return []
        result = subprocess.run(
            [promtool, "check", "rules", *map(str, rules)], capture_output=True, text=True
        )
        if result.returncode != 0:
            self.say(
                f"alert rules: `promtool check rules` failed, Prometheus starts without them:\n{result.stdout[-800:]}"
            )
            return []
        self.say(
            f"alert rules: {len(rules)} file(s) from generated/alerts/prometheus/ loaded into Prometheus"
        )
        return rules

    def print_urls(self) -> None:
        u = self.urls
        self.say("")
        self.say(f"  API docs        {u['api']}/docs")
        self.say(f"  API metrics     {u['api']}/metrics")
        self.say(f"  exporter        {u['exporter']}/metrics")
        if "prometheus" in u:
            self.say(f"  Prometheus      {u['prometheus']}/graph?g0.expr=data_drift_detected")
        if "dashboards" in u:
            every = f"{self.options.preview_every:g} s"
            self.say(f"  dashboards      {u['dashboards']}/  (previews, redrawn every {every})")
        self.say(f"  state and logs  {self.options.state_dir}")
        self.say("")

    def report(self, elapsed: float, stats: object) -> None:
        """One status block: the clients' and the API's counts (taken at one instant), the exporter, alerts."""
        try:
            counts, api = consistent_snapshot(stats, lambda: scrape(self.urls["api"] + "/metrics"))
            self.say(f"[{elapsed:5.0f}s] {counts.line()}")
            self.say(api_line(api))
            for line in format_report(model_reports(scrape(self.urls["exporter"] + "/metrics"))):
                self.say(line)
            if "prometheus" in self.urls:
                self.say(alerts_line(prometheus_alerts(self.urls["prometheus"])))
        except (OSError, ValueError) as exc:
            self.say(f"  (could not read metrics: {exc})")

    # -- the whole run ------------------------------------------------------------
    def run(self) -> int:
        from ml_api.injections import parse_injection
        from ml_api.simulate import SimulationConfig, Simulator

        opts = self.options
        opts.state_dir.mkdir(parents=True, exist_ok=True)
        self.logs.mkdir(parents=True, exist_ok=True)
        self.say(f"mlmon demo: state in {opts.state_dir}; Ctrl-C stops everything")
        self.build()
        start, end = drift_episode(opts.duration)
        with ServiceGroup() as group, contextlib.ExitStack() as page:
            try:
                self.start_services(group)
            except ServiceError as exc:
                self.say(f"error: {exc}")
                return 1
            server = self.start_previews()
            if server is not None:
                page.enter_context(server)
            self.push()
            self.print_urls()
            config = SimulationConfig(
                url=self.urls["api"],
                rate=opts.rate,
                duration=opts.duration or OPEN_ENDED_SECONDS,
                feedback_delay=2.0,
                injections=(
                    parse_injection(f"drift:{DRIFT_FEATURE}@{start:g}-{end:g}"),
                    parse_injection("missing:0.05"),
                    parse_injection("malformed:0.02"),
                ),
            )
            self.say(
                f"traffic: {opts.rate:g} requests/s to both models, ground truth after 2 s, "
                f"drift in {DRIFT_FEATURE} from {start:g}s to {end:g}s, 5% rows with missing optional fields, "
                f"2% malformed requests"
                + (f"; ends after {opts.duration:g}s" if opts.duration else "")
            )
            simulator = Simulator(config, stop=self.stop_requested, log=lambda line: None)
            worker = threading.Thread(target=simulator.run, name="demo-traffic", daemon=True)
            started = time.monotonic()
            worker.start()
            code = self._watch(group, worker, started, simulator.stats)
            self.stop_requested.set()
            worker.join(30)
            self.say("")
            self.say("final state:")
            self.report(time.monotonic() - started, simulator.stats)
            if self.previews is not None:
                self.previews.wait()
                self.say("  " + self.previews.render())
                self.say(f"  dashboard previews kept in {self.previews.out_dir / 'index.html'}")
            self.say("stopping Prometheus, the exporter and the API ...")
        self.say("stopped. Run `make demo` again to start over.")
        return code

    def _watch(
        self,
        group: ServiceGroup,
        worker: threading.Thread,
        started: float,
        stats: object,
    ) -> int:
        opts = self.options
        next_report = started + min(opts.report_every, (opts.duration or 1e9) / 2)
        next_preview = started + min(FIRST_PREVIEW, opts.preview_every or 1e9)
        while worker.is_alive() and not self.stop_requested.is_set():
            try:
                group.check_alive()
            except ServiceError as exc:
                self.say(f"error: {exc}")
                return 1
            now = time.monotonic()
            if now >= next_report:
                next_report += opts.report_every
                self.report(now - started, stats)
            if self.previews is not None and now >= next_preview:
                next_preview += opts.preview_every
                self.previews.render_in_background(self.say)
            self.stop_requested.wait(0.5)
        return 0


def run_demo(options: DemoOptions, out: TextIO = sys.stdout) -> int:
    demo = Demo(options, out)

    def on_signal(signum: int, frame: object) -> None:
        demo.say("\nstopping (signal received) ...")
        demo.stop_requested.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        return demo.run()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
