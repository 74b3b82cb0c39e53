"""A one-screen report of what the exporter and the API currently serve."""

from __future__ import annotations

import math
import urllib.request
from collections import defaultdict
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
