"""A one-screen report of what the exporter and the API currently serve."""

from __future__ import annotations

import json
import math
import time
import urllib.request
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from prometheus_client.parser import text_string_to_metric_families


def scrape(url: str, timeout: float = 5.0) -> dict[str, list[tuple[dict[str, str], float]]]:
    """``{sample name: [(labels, value), ...]}`` from a /metrics endpoint."""
    with urllib.request.urlopen(url, timeout=timeout) as response:
        text = response.read().decode()
    samples: dict[str, list[tuple[dict[str, str], float]]] = defaultdict(list)
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[sample.name].append((sample.labels, sample.value))
    return samples


@dataclass
class ModelReport:
    name: str
    task: str = "?"
    window_rows: float = math.nan
    labelled_rows: float = math.nan
    scores: dict[str, float] = field(default_factory=dict)
    quality: float = math.nan
    drifted: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


# Which performance gauges to show, by task, with their display names.
_SCORES = {
    "regression": (("model_accuracy", "accuracy"), ("model_mae", "MAE"), ("model_r2", "R²")),
    "classification": (("model_accuracy", "accuracy"), ("model_f1_score", "F1")),
}


def model_reports(exporter: dict[str, list[tuple[dict[str, str], float]]]) -> list[ModelReport]:
    reports: dict[str, ModelReport] = {}

    def report(labels: dict[str, str]) -> ModelReport:
        name = labels.get("model_name", "?")
        return reports.setdefault(name, ModelReport(name))

    for labels, _ in exporter.get("model_info", []):
        report(labels).task = labels.get("task", "?")
    for labels, value in exporter.get("monitoring_window_rows", []):
        if labels.get("window") == "current":
            report(labels).window_rows = value
        elif labels.get("window") == "labelled":
            report(labels).labelled_rows = value
    for labels, value in exporter.get("data_quality_score", []):
        report(labels).quality = value
    for labels, value in exporter.get("data_drift_detected", []):
        if value == 1:
            report(labels).drifted.append(labels.get("feature", "?"))
    for labels, value in exporter.get("data_drift_test_skipped", []):
        if value == 1:
            report(labels).skipped.append(labels.get("feature", "?"))
    for rep in reports.values():
        for metric, display in _SCORES.get(rep.task, ()):
            for labels, value in exporter.get(metric, []):
                if labels.get("model_name") == rep.name:
                    rep.scores[display] = value
    return sorted(reports.values(), key=lambda r: r.name)


def _number(value: float) -> str:
    if math.isnan(value):
        return "n/a"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.2f}"


def _count(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{value:.0f}"


def format_report(reports: list[ModelReport]) -> list[str]:
    lines = []
    for rep in reports:
        scores = (
            "  ".join(f"{k} {_number(v)}" for k, v in rep.scores.items()) or "no ground truth yet"
        )
        drift = ", ".join(sorted(rep.drifted)) if rep.drifted else "none"
        if rep.skipped and not rep.drifted:
            drift += f" ({len(rep.skipped)} test(s) skipped: too few rows)"
        lines.append(
            f"  {rep.name:12s} ({rep.task}) window {_count(rep.window_rows)} rows, "
            f"{_count(rep.labelled_rows)} labelled | {scores} | quality {_number(rep.quality)} "
            f"| drifted: {drift}"
        )
    return lines or ["  the exporter has not reported any model yet"]


def api_line(api: dict[str, list[tuple[dict[str, str], float]]]) -> str:
    by_status: dict[str, float] = defaultdict(float)
    for labels, value in api.get("api_requests_total", []):
        if labels.get("endpoint") == "/predict":
            by_status[labels.get("status", "?")] += value
    dropped = sum(v for _, v in api.get("prediction_log_dropped_total", []))
    statuses = ", ".join(f"{status}: {count:.0f}" for status, count in sorted(by_status.items()))
    return f"  API /predict answers: {statuses or 'none yet'}; prediction-log rows dropped: {dropped:.0f}"


def alerts_line(alerts: list[dict], shown: int = 3) -> str:
    """The alerts Prometheus evaluates as pending or firing (``/api/v1/alerts``), firing first, by rule."""
    by_state: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for alert in alerts:
        labels = alert.get("labels") or {}
        detail = " ".join(
            labels[k] for k in ("model_name", "feature", "column", "endpoint") if labels.get(k)
        )
        by_state[str(alert.get("state", "?"))][labels.get("alertname", "?")].append(detail)
    parts = []
    for state in ("firing", "pending"):
        rules = by_state.get(state) or {}
        described = []
        for name, details in sorted(rules.items()):
            listed = sorted(d for d in details if d)
            more = f", +{len(listed) - shown} more" if len(listed) > shown else ""
            where = f" ({', '.join(listed[:shown])}{more})" if listed else ""
            described.append(f"{name} ×{len(details)}{where}")
        if described:
            parts.append(f"{state}: {'; '.join(described)}")
    return "  alerts " + (" | ".join(parts) if parts else "pending or firing: none")


def prometheus_alerts(prometheus_url: str, timeout: float = 5.0) -> list[dict]:
    with urllib.request.urlopen(f"{prometheus_url}/api/v1/alerts", timeout=timeout) as response:
        payload = json.loads(response.read())
    return list((payload.get("data") or {}).get("alerts") or [])


@dataclass(frozen=True)
class TrafficCounts:
    """What the simulated clients have sent and been answered, at one instant."""

    sent: int
    by_status: tuple[tuple[str, int], ...]
    predictions: int
    feedback: int
    transport_errors: int

    @property
    def in_flight(self) -> int:
        return self.sent - sum(n for _, n in self.by_status) - self.transport_errors

    def line(self) -> str:
        statuses = " ".join(f"{status}:{count}" for status, count in self.by_status)
        flight = f", {self.in_flight} awaiting an answer" if self.in_flight else ""
        return (
            f"{self.sent} requests ({statuses or 'none answered yet'}{flight}), "
            f"{self.predictions} predictions, {self.feedback} feedback"
        )


def traffic_counts(stats: object) -> TrafficCounts:
    """A copy of a simulator's ``SimulationStats`` (retried: another thread may add a status meanwhile)."""
    for _ in range(5):
        try:
            by_status = tuple(sorted(dict(stats.by_status).items()))  # type: ignore[attr-defined]
            break
        except RuntimeError:  # the dict grew while being copied
            continue
    else:
        by_status = ()
    return TrafficCounts(
        stats.requests_sent,  # type: ignore[attr-defined]
        by_status,
        stats.predictions_accepted,  # type: ignore[attr-defined]
        stats.feedback_sent,  # type: ignore[attr-defined]
        stats.transport_errors,  # type: ignore[attr-defined]
    )


def consistent_snapshot(
    stats: object,
    scrape_api: Callable[[], dict[str, list[tuple[dict[str, str], float]]]],
    tries: int = 20,
) -> tuple[TrafficCounts, dict[str, list[tuple[dict[str, str], float]]]]:
    """The clients' counts and the API's metrics taken while no request was in flight, so both tell the same
    story; after ``tries`` attempts the last pair is returned (its line says how many were in flight)."""
    counts = traffic_counts(stats)
    api = scrape_api()
    for _ in range(tries):
        before = traffic_counts(stats)
        if before.in_flight == 0:
            api = scrape_api()
            counts = traffic_counts(stats)
            if counts == before:
                return counts, api
        time.sleep(0.01)
    return counts, api
