"""The demo's alert delivery: Alertmanager with the generated routing, and a local webhook sink that prints what arrives.

When Alertmanager is installed (Debian: ``prometheus-alertmanager``), the demo
starts it on 127.0.0.1 with ``generated/alerts/alertmanager/alertmanager.yml``
— routes, receivers and templates exactly as generated, group timings
shortened — and resolves every contact point's environment reference to a
sink on 127.0.0.1, so nothing leaves the machine and a newcomer sees each
notification arrive (``alert: [FIRING] DataDriftDetected ... -> ml-team``)
and resolve. Rules are compiled from ``alerts_src/`` with ``for`` and the
evaluation interval at 10 s, so alerts fire within a demo run.
"""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import yaml

from mlmon.alerts.alertmanager import with_timings
from mlmon.alerts.compiler import ALERTMANAGER_FILE, PROMETHEUS_DIR, compile_alerts
from mlmon.alerts.envrefs import referenced, resolve
from mlmon.demo.services import Service, ServiceGroup, pick_port

BINARIES = ("prometheus-alertmanager", "alertmanager")  # Debian's name, upstream's
DEMO_TIMINGS = {"group_wait": "5s", "group_interval": "10s", "repeat_interval": "1h"}
DEMO_FOR = "10s"


def describe(payload: Any) -> list[tuple[tuple[str, str], str]]:
    """``[(key, line)]`` for a notification the sink received: one per alert (key: fingerprint
    and status, so a group re-sent with one more alert prints only the new one)."""
    if not isinstance(payload, dict):
        return []
    if "alerts" in payload and "receiver" in payload:  # Alertmanager's webhook payload
        found = []
        for alert in payload["alerts"]:
            labels = alert.get("labels", {})
            status = str(alert.get("status", "?"))
            where = " ".join(
                f"{k}={labels[k]}" for k in ("model_name", "feature", "endpoint") if k in labels
            )
            summary = alert.get("annotations", {}).get("summary", "")
            line = (
                f"alert: [{status.upper()}] {labels.get('alertname')} {where} "
                f"-> {payload['receiver']} (webhook): {summary}"
            )
            found.append(((str(alert.get("fingerprint")), status), line))
        return found
    if "routing_key" in payload and "event_action" in payload:  # PagerDuty Events v2
        summary = payload.get("payload", {}).get("summary", "")
        action = str(payload["event_action"])
        line = f"page:  [{action.upper()}] {summary} -> oncall-pager (PagerDuty)"
        return [((str(payload.get("dedup_key")), action), line)]
    return []  # Slack copies of the webhook's notifications


class Sink:
    """Prints what Alertmanager delivers; every contact point of the demo posts here."""

    def __init__(self, say: Callable[[str], None]):
        self.count = 0
        self._seen: set[tuple[str, str]] = set()
        self._lock = threading.Lock()
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                self.send_response(200)
                self.end_headers()
                try:
                    found = describe(json.loads(body))
                except ValueError:
                    found = []
                with sink._lock:
                    for key, line in found:
                        if key not in sink._seen:
                            sink._seen.add(key)
                            sink.count += 1
                            say(line)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, name="demo-sink", daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class DemoAlerting:
    def __init__(self, sink: Sink, port: int, rule_files: list[Path]):
        self.sink = sink
        self.targets = [f"127.0.0.1:{port}"]
        self.url = f"http://127.0.0.1:{port}"
        self.rule_files = rule_files


def local_config(generated: Path, sink_url: str) -> dict:
    """The generated config with demo timings, every reference pointing at the sink, and no email."""
    text = (generated / ALERTMANAGER_FILE).read_text()
    env = {name: f"{sink_url}/{name}" for name in referenced(text)}
    document = with_timings(yaml.safe_load(resolve(text, env)), **DEMO_TIMINGS)
    for receiver in document.get("receivers", []):
        receiver.pop("email_configs", None)  # the demo sends no mail
    return document


def start_alerting(
    root: Path, state_dir: Path, group: ServiceGroup, say: Callable[[str], None]
) -> DemoAlerting | None:
    """Start the sink and Alertmanager; None (with a line saying why) when it cannot run."""
    binary = next((found for name in BINARIES if (found := shutil.which(name))), None)
    generated = root / "generated"
    if binary is None:
        say(
            "Alertmanager: not installed, alerts are not delivered "
            "(Debian/Ubuntu: apt-get install prometheus-alertmanager)"
        )
        return None
    if not (generated / ALERTMANAGER_FILE).is_file():
        say(f"Alertmanager: {ALERTMANAGER_FILE} not generated (no alerts_src/routing.py), skipped")
        return None
    workdir = state_dir / "alertmanager"
    workdir.mkdir(parents=True, exist_ok=True)
    rules_dir = state_dir / "alert-rules"
    files = compile_alerts(root / "alerts_src", for_override=DEMO_FOR, interval_override=DEMO_FOR)
    rule_files: list[Path] = []
    for name, data in files.items():
        if name.startswith(PROMETHEUS_DIR + "/"):
            path = rules_dir / Path(name).name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            rule_files.append(path)
    sink = Sink(say)
    config = workdir / "alertmanager.yml"
    config.write_text(yaml.safe_dump(local_config(generated, sink.url), sort_keys=False))
    templates = generated / Path(ALERTMANAGER_FILE).parent / "templates"
    if templates.is_dir():
        shutil.copytree(templates, workdir / "templates", dirs_exist_ok=True)
    port = pick_port(9093)
    say(
        "starting Alertmanager (the generated routing; every contact point posts to a local sink) ..."
    )
    group.start(
        Service(
            "Alertmanager",
            [
                binary,
                f"--config.file={config}",
                f"--storage.path={workdir / 'data'}",
                f"--web.listen-address=127.0.0.1:{port}",
                "--cluster.listen-address=",
                "--log.level=warn",
            ],
            state_dir / "logs" / "alertmanager.log",
            f"http://127.0.0.1:{port}/-/ready",
            cwd=workdir,
        )
    )
    say(
        f"alert rules: compiled from alerts_src/ with for={DEMO_FOR} and evaluated every {DEMO_FOR}, "
        "so alerts fire during the demo; notifications are printed as they arrive"
    )
    return DemoAlerting(sink, port, sorted(rule_files))
