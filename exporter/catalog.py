"""The metric catalog: every metric mlmon's exporter and instrumentation serve.

This module is the single source of truth. The exporter registers its
collectors from it, the API instrumentation creates its metrics from it, the
dashboard and alert DSLs in ``mlmon`` build PromQL from it, and ``mlmon lint``
proves that every query only names metrics and labels declared here.

One declaration per metric. Names follow Prometheus conventions: base units,
``_total`` for counters, ``_seconds``/``_bytes`` suffixes. The names and labels
required by the user's original description (``model_accuracy{model_name,
version}``, ``data_drift_detected{feature}``, ...) are kept exactly; where a
label was added (``model_name`` on drift and quality series) it disambiguates
series from several models and its cardinality is bounded by the number of
models times the number of features.

This module must stay importable with only the standard library: the exporter
container and any model service import it.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType


class MetricType(str, enum.Enum):
    COUNTER = "counter"
    GAUGE = "gauge"
    HISTOGRAM = "histogram"


class Unit(str, enum.Enum):
    """What a metric's value measures; the dashboard DSL maps it to a Grafana unit."""

    SECONDS = "seconds"
    BYTES = "bytes"
    RATIO = "ratio"  # a share in [0, 1]
    COUNT = "count"  # a number of things (rows, requests, features)
    TIMESTAMP = "timestamp"  # seconds since the Unix epoch
    BOOLEAN = "boolean"  # 0 or 1
    PVALUE = "pvalue"  # a probability in [0, 1], small means "different"
    SCORE = "score"  # a dimensionless statistic (R², KS D, PSI, effect size)
    TARGET = "target"  # in the unit of the model's target (MAE, RMSE, predictions)


class Family(str, enum.Enum):
    MODEL = "model"
    DRIFT = "drift"
    QUALITY = "quality"
    API = "api"
    BUSINESS = "business"
    EXPORTER = "exporter"


class Source(str, enum.Enum):
    """Which process serves the metric (and so which Prometheus job has it)."""

    EXPORTER = "exporter"  # python -m exporter, computed from the prediction log
    API = "api"  # the model API's own /metrics, via exporter.instrumentation


@dataclass(frozen=True)
class Metric:
    name: str
    type: MetricType
    help: str
    labels: tuple[str, ...]
    unit: Unit
    family: Family
    source: Source
    # Histogram upper bounds (without +Inf); None for other types.
    buckets: tuple[float, ...] | None = None
    # For labels whose values are enumerable: a regular expression (fully
    # matched) that every value must satisfy. Used by the exporter's tests and
    # by `mlmon lint` to check label values written in queries.
    label_values: Mapping[str, str] = field(default_factory=dict)
    # For tasks: which model task the metric belongs to ("classification",
    # "regression", or None when it applies to both).
    task: str | None = None

    def __post_init__(self) -> None:
        if not _NAME.fullmatch(self.name):
            raise ValueError(f"metric name {self.name!r} is not a valid Prometheus name")
        if self.type is MetricType.COUNTER and not self.name.endswith("_total"):
            raise ValueError(f"counter {self.name!r} must end in _total")
        if (self.type is MetricType.HISTOGRAM) != (self.buckets is not None):
            raise ValueError(f"{self.name}: buckets are required for histograms and only for them")
        unknown = set(self.label_values) - set(self.labels)
        if unknown:
            raise ValueError(f"{self.name}: label_values for undeclared labels {sorted(unknown)}")
        object.__setattr__(self, "label_values", MappingProxyType(dict(self.label_values)))

    @property
    def series_names(self) -> tuple[str, ...]:
        """The sample names Prometheus stores for this metric."""
        if self.type is MetricType.HISTOGRAM:
            return (f"{self.name}_bucket", f"{self.name}_sum", f"{self.name}_count")
        return (self.name,)

    def allows_label_value(self, label: str, value: str) -> bool:
        pattern = self.label_values.get(label)
        return pattern is None or re.fullmatch(pattern, value) is not None


_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")

MODEL_LABELS = ("model_name", "version")

# Enumerable label values (regular expressions, fully matched).
HTTP_STATUS = r"[1-5][0-9]{2}"
HTTP_METHOD = r"GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS|OTHER"  # OTHER: any other method, bounded
DRIFT_TESTS = r"ks|chi2"
SKIP_REASONS = r"too_few_rows|low_expected_count|no_reference|no_current_values|constant_reference"
VIOLATION_KINDS = r"wrong_type|unknown_category|out_of_range|missing_required|unknown_field"
EXPORTER_STAGES = r"open_db|read|performance|drift|quality|business|config"
WINDOWS = r"reference|current|labelled"
TASKS = r"classification|regression"

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# House prices span about 50k to 2M; the buckets are log-spaced over that range.
PREDICTION_VALUE_BUCKETS = (
    50_000.0,
    100_000.0,
    150_000.0,
    200_000.0,
    250_000.0,
    300_000.0,
    400_000.0,
    500_000.0,
    750_000.0,
    1_000_000.0,
    1_500_000.0,
    2_000_000.0,
)


def _m(name, type_, help_, labels, unit, family, source, **kw) -> Metric:
    return Metric(
        name,
        MetricType(type_),
        help_,
        tuple(labels),
        Unit(unit),
        Family(family),
        Source(source),
        **kw,
    )


METRICS: tuple[Metric, ...] = (
    # --- model performance (exporter, over labelled rows of the current window)
    _m(
        "model_accuracy",
        "gauge",
        "Classification: share of correct predictions. Regression: share of predictions within the "
        "relative tolerance of the actual value (default 10%).",
        MODEL_LABELS,
        "ratio",
        "model",
        "exporter",
    ),
    _m(
        "model_precision",
        "gauge",
        "Macro-averaged precision over classes (classification models).",
        MODEL_LABELS,
        "ratio",
        "model",
        "exporter",
        task="classification",
    ),
    _m(
        "model_recall",
        "gauge",
        "Macro-averaged recall over classes (classification models).",
        MODEL_LABELS,
        "ratio",
        "model",
        "exporter",
        task="classification",
    ),
    _m(
        "model_f1_score",
        "gauge",
        "Macro-averaged F1 score over classes (classification models).",
        MODEL_LABELS,
        "ratio",
        "model",
        "exporter",
        task="classification",
    ),
    _m(
        "model_mae",
        "gauge",
        "Mean absolute error, in the target's unit (regression models).",
        MODEL_LABELS,
        "target",
        "model",
        "exporter",
        task="regression",
    ),
    _m(
        "model_rmse",
        "gauge",
        "Root mean squared error, in the target's unit (regression models).",
        MODEL_LABELS,
        "target",
        "model",
        "exporter",
        task="regression",
    ),
    _m(
        "model_r2",
        "gauge",
        "Coefficient of determination R² (regression models; can be negative).",
        MODEL_LABELS,
        "score",
        "model",
        "exporter",
        task="regression",
    ),
    _m(
        "model_mape",
        "gauge",
        "Mean absolute percentage error as a ratio (regression models; rows with actual 0 skipped).",
        MODEL_LABELS,
        "ratio",
        "model",
        "exporter",
        task="regression",
    ),
    _m(
        "model_info",
        "gauge",
        "Always 1; carries the model's task so dashboards can show the right panels.",
        ("model_name", "version", "task"),
        "boolean",
        "model",
        "exporter",
        label_values={"task": TASKS},
    ),
    _m(
        "monitoring_window_rows",
        "gauge",
        "Rows in the window each statistic is computed over: reference data, current window, "
        "and current rows that have ground truth (labelled).",
        ("model_name", "window"),
        "count",
        "model",
        "exporter",
        label_values={"window": WINDOWS},
    ),
    # --- data drift (exporter, current window vs reference)
    _m(
        "data_drift_detected",
        "gauge",
        "1 when the feature's distribution differs from the reference after multiple-testing "
        "correction (Bonferroni by default), else 0.",
        ("model_name", "feature"),
        "boolean",
        "drift",
        "exporter",
    ),
    _m(
        "data_drift_pvalue",
        "gauge",
        "Raw (uncorrected) p-value of the feature's drift test; NaN when the test was skipped.",
        ("model_name", "feature", "test"),
        "pvalue",
        "drift",
        "exporter",
        label_values={"test": DRIFT_TESTS},
    ),
    _m(
        "data_drift_statistic",
        "gauge",
        "The drift test's statistic: KS D for numeric features, chi-square for categorical ones.",
        ("model_name", "feature", "test"),
        "score",
        "drift",
        "exporter",
        label_values={"test": DRIFT_TESTS},
    ),
    _m(
        "data_drift_effect_size",
        "gauge",
        "Size of the shift: Wasserstein distance over the reference's standard deviation (numeric), "
        "Cramér's V (categorical).",
        ("model_name", "feature", "test"),
        "score",
        "drift",
        "exporter",
        label_values={"test": DRIFT_TESTS},
    ),
    _m(
        "data_drift_psi",
        "gauge",
        "Population stability index over the reference's decile bins (numeric) or categories.",
        ("model_name", "feature"),
        "score",
        "drift",
        "exporter",
    ),
    _m(
        "data_drift_test_skipped",
        "gauge",
        "1 when the feature's drift test was skipped in the last cycle, with the reason as a label.",
        ("model_name", "feature", "reason"),
        "boolean",
        "drift",
        "exporter",
        label_values={"reason": SKIP_REASONS},
    ),
    _m(
        "data_missing_rate_pvalue",
        "gauge",
        "P-value of a two-proportion test of the feature's missing rate, current window vs reference.",
        ("model_name", "feature"),
        "pvalue",
        "drift",
        "exporter",
    ),
    _m(
        "drift_columns_count",
        "gauge",
        "Number of features with drift detected (after correction).",
        ("model_name",),
        "count",
        "drift",
        "exporter",
    ),
    # --- data quality (exporter, current window)
    _m(
        "data_quality_score",
        "gauge",
        "Overall data quality in [0, 1]: the mean over columns of the share of valid, present, "
        "non-outlier values (formula in docs/statistics.md).",
        ("model_name",),
        "ratio",
        "quality",
        "exporter",
    ),
    _m(
        "missing_values_count",
        "gauge",
        "Missing values (absent, null, NaN, ±inf) per column in the current window.",
        ("model_name", "column"),
        "count",
        "quality",
        "exporter",
    ),
    _m(
        "data_completeness",
        "gauge",
        "Share of present (non-missing) values per column in the current window, 0 to 1.",
        ("model_name", "column"),
        "ratio",
        "quality",
        "exporter",
    ),
    _m(
        "outliers_count",
        "gauge",
        "Values outside the reference's IQR fences (Q1 - 3·IQR, Q3 + 3·IQR) per numeric column in the current window.",
        ("model_name", "column"),
        "count",
        "quality",
        "exporter",
    ),
    _m(
        "schema_violations_count",
        "gauge",
        "Values that break the feature schema, per column and kind, in the current window.",
        ("model_name", "column", "kind"),
        "count",
        "quality",
        "exporter",
        label_values={"kind": VIOLATION_KINDS},
    ),
    # --- API (model API process, via exporter.instrumentation)
    _m(
        "api_requests_total",
        "counter",
        "HTTP requests handled, by route template and status code.",
        ("method", "endpoint", "status"),
        "count",
        "api",
        "api",
        label_values={"status": HTTP_STATUS, "method": HTTP_METHOD},
    ),
    _m(
        "api_request_duration_seconds",
        "histogram",
        "HTTP request latency by route template.",
        ("method", "endpoint"),
        "seconds",
        "api",
        "api",
        buckets=LATENCY_BUCKETS,
        label_values={"method": HTTP_METHOD},
    ),
    _m("api_active_requests", "gauge", "HTTP requests in progress.", (), "count", "api", "api"),
    _m(
        "prediction_log_dropped_total",
        "counter",
        "Predictions not written to the prediction log because the writer's queue was full.",
        (),
        "count",
        "api",
        "api",
    ),
    _m(
        "model_inference_time_seconds",
        "histogram",
        "Time spent in the model's predict call.",
        ("model_name",),
        "seconds",
        "business",
        "api",
        buckets=LATENCY_BUCKETS,
    ),
    _m(
        "model_memory_usage_bytes",
        "gauge",
        "Measured size of the loaded model (its serialised, pickled size).",
        MODEL_LABELS,
        "bytes",
        "business",
        "api",
    ),
    # --- business and API metrics derived from the prediction log (exporter)
    _m(
        "prediction_latency_seconds",
        "histogram",
        "End-to-end prediction latency as logged by the model service, from the prediction log.",
        ("model_name",),
        "seconds",
        "api",
        "exporter",
        buckets=LATENCY_BUCKETS,
    ),
    _m(
        "daily_predictions_total",
        "counter",
        "Predictions logged (use increase(...[1d]) for the daily count).",
        ("model_name",),
        "count",
        "business",
        "exporter",
    ),
    _m(
        "prediction_value_distribution",
        "histogram",
        "Distribution of predicted values of regression models, from the prediction log.",
        ("model_name",),
        "target",
        "business",
        "exporter",
        buckets=PREDICTION_VALUE_BUCKETS,
    ),
    _m(
        "actuals_received_total",
        "counter",
        "Ground-truth values received for logged predictions.",
        ("model_name",),
        "count",
        "business",
        "exporter",
    ),
    _m(
        "label_lag_seconds",
        "gauge",
        "Age of the oldest prediction in the current window that still has no ground truth.",
        ("model_name",),
        "seconds",
        "business",
        "exporter",
    ),
    # --- the exporter's own health
    _m(
        "exporter_last_success_timestamp_seconds",
        "gauge",
        "When the last export cycle completed without error.",
        (),
        "timestamp",
        "exporter",
        "exporter",
    ),
    _m(
        "exporter_cycle_duration_seconds",
        "gauge",
        "Duration of the last export cycle.",
        (),
        "seconds",
        "exporter",
        "exporter",
    ),
    _m(
        "exporter_cycles_total",
        "counter",
        "Export cycles run.",
        (),
        "count",
        "exporter",
        "exporter",
    ),
    _m(
        "exporter_errors_total",
        "counter",
        "Export cycle errors by stage.",
        ("stage",),
        "count",
        "exporter",
        "exporter",
        label_values={"stage": EXPORTER_STAGES},
    ),
)


def _index(metrics: Iterable[Metric]) -> Mapping[str, Metric]:
    by_name: dict[str, Metric] = {}
    for metric in metrics:
        if metric.name in by_name:
            raise ValueError(f"metric {metric.name!r} is declared twice")
        by_name[metric.name] = metric
    return MappingProxyType(by_name)


CATALOG: Mapping[str, Metric] = _index(METRICS)

# Sample name (e.g. "api_request_duration_seconds_bucket") -> its metric.
SERIES: Mapping[str, Metric] = MappingProxyType(
    {series: metric for metric in METRICS for series in metric.series_names}
)


def get(name: str) -> Metric:
    """Return the metric called ``name`` (or one of its histogram series); KeyError names close matches."""
    try:
        return CATALOG[name]
    except KeyError:
        pass
    try:
        return SERIES[name]
    except KeyError:
        import difflib

        close = difflib.get_close_matches(name, list(SERIES), n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise KeyError(
            f"metric {name!r} is not in the metric catalog (exporter/catalog.py){hint}"
        ) from None


def by_source(source: Source | str) -> tuple[Metric, ...]:
    source = Source(source)
    return tuple(m for m in METRICS if m.source is source)


def by_family(family: Family | str) -> tuple[Metric, ...]:
    family = Family(family)
    return tuple(m for m in METRICS if m.family is family)
