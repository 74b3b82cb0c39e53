"""Run the demo: build, start API + exporter + Prometheus, simulate traffic with a drift episode, report."""

from __future__ import annotations

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
from typing import TextIO

from mlmon.demo.services import Service, ServiceError, ServiceGroup, pick_port
from mlmon.demo.summary import api_line, format_report, model_reports, scrape

DRIFT_FEATURE = "living_area_sqft"
# Without --duration the drift episode starts after a minute and lasts two.
OPEN_ENDED_DRIFT = (60.0, 180.0)
# A run's simulator bound when the user stops it with Ctrl-C instead of --duration.
OPEN_ENDED_SECONDS = 24 * 3600.0


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

    def start_services(self, group: ServiceGroup) -> None:
        opts = self.options
        db = opts.state_dir / "metrics.db"
        for stale in (db, db.with_name("metrics.db-wal"), db.with_name("metrics.db-shm")):
            stale.unlink(missing_ok=True)  # each demo starts from a fresh prediction log
        api_port, exporter_port = pick_port(8000), pick_port(8001)
        python = sys.executable
        self.say("starting the API (trains both models) ...")
        group.start(
            Service(
                "API",
                [python, "-m", "ml_api"],
                self.logs / "api.log",
                f"http://127.0.0.1:{api_port}/health",
                cwd=opts.root,
                env={
                    "API_HOST": "127.0.0.1",
                    "API_PORT": str(api_port),
                    "METRICS_DB_PATH": str(db),
                },
            )
        )
        self.urls["api"] = f"http://127.0.0.1:{api_port}"
        self.say("starting the exporter ...")
        group.start(
            Service(
                "exporter",
                [python, "-m", "exporter"],
                self.logs / "exporter.log",
                f"http://127.0.0.1:{exporter_port}/metrics",
                cwd=opts.root,
                env={
                    "METRICS_DB_PATH": str(db),
                    "PROMETHEUS_PORT": str(exporter_port),
                    "EXPORTER_BIND_ADDRESS": "127.0.0.1",
                    "EXPORT_INTERVAL": f"{opts.export_interval:g}",
                    "EXPORTER_WINDOW_SECONDS": f"{opts.window_seconds:g}",
                },
            )
        )
        self.urls["exporter"] = f"http://127.0.0.1:{exporter_port}"
        prometheus = shutil.which("prometheus")
        if prometheus is None:
            self.say(
                "Prometheus: not installed, skipped (Debian/Ubuntu: apt-get install prometheus)"
            )
            return
        from mlmon.demo.alerting import start_alerting

        self.alerting = start_alerting(opts.root, opts.state_dir, group, self.say)
        self.say("starting Prometheus ...")
        prom_port = pick_port(9090)
        config = self._write_prometheus_config(api_port, exporter_port)
        group.start(
            Service(
                "Prometheus",
                [
                    prometheus,
                    f"--config.file={config}",
                    f"--storage.tsdb.path={opts.state_dir / 'prometheus-data'}",
                    f"--web.listen-address=127.0.0.1:{prom_port}",
                    "--storage.tsdb.retention.time=1d",
                    "--log.level=warn",
                ],
                self.logs / "prometheus.log",
                f"http://127.0.0.1:{prom_port}/-/ready",
                cwd=opts.state_dir,
            )
        )
        self.urls["prometheus"] = f"http://127.0.0.1:{prom_port}"

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
        self.say(f"  state and logs  {self.options.state_dir}")
        self.say("")

    def report(self, elapsed: float, simulated: Callable[[], str]) -> None:
        self.say(f"[{elapsed:5.0f}s] {simulated()}")
        try:
            self.say(api_line(scrape(self.urls["api"] + "/metrics")))
            for line in format_report(model_reports(scrape(self.urls["exporter"] + "/metrics"))):
                self.say(line)
        except OSError as exc:
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
        with ServiceGroup() as group:
            try:
                self.start_services(group)
            except ServiceError as exc:
                self.say(f"error: {exc}")
                return 1
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
            code = self._watch(group, worker, started, simulator.progress)
            self.stop_requested.set()
            worker.join(30)
            self.say("")
            self.say("final state:")
            self.report(time.monotonic() - started, simulator.progress)
            self.say("stopping Prometheus, the exporter and the API ...")
        self.say("stopped. Run `make demo` again to start over.")
        return code

    def _watch(
        self,
        group: ServiceGroup,
        worker: threading.Thread,
        started: float,
        progress: Callable[[], str],
    ) -> int:
        next_report = started + min(self.options.report_every, (self.options.duration or 1e9) / 2)
        while worker.is_alive() and not self.stop_requested.is_set():
            try:
                group.check_alive()
            except ServiceError as exc:
                self.say(f"error: {exc}")
                return 1
            if time.monotonic() >= next_report:
                next_report += self.options.report_every
                self.report(time.monotonic() - started, progress)
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
