"""The metric catalog is well-formed and keeps the seed's required names and labels."""

import pytest

from exporter import catalog

# Names and labels from the user's original description (seed "Metrics Reference").
SEED = {
    "model_accuracy": {"model_name", "version"},
    "model_precision": {"model_name", "version"},
    "model_recall": {"model_name", "version"},
    "model_f1_score": {"model_name", "version"},
    "data_drift_detected": {"feature"},
    "data_drift_pvalue": {"feature"},
    "drift_columns_count": set(),
    "data_quality_score": set(),
    "missing_values_count": {"column"},
    "data_completeness": {"column"},
    "outliers_count": {"column"},
    "api_requests_total": {"method", "endpoint", "status"},
    "api_request_duration_seconds": {"method", "endpoint"},
    "prediction_latency_seconds": set(),
    "daily_predictions_total": set(),
    "api_active_requests": set(),
    "prediction_value_distribution": set(),
    "model_inference_time_seconds": set(),
    "model_memory_usage_bytes": set(),
}


@pytest.mark.parametrize("name,labels", sorted(SEED.items()))
def test_seed_metrics_keep_their_names_and_labels(name, labels):
    metric = catalog.get(name)
    assert labels <= set(metric.labels), f"{name} lost a seed label"


def test_regression_metrics_exist():
    for name in ("model_mae", "model_rmse", "model_r2", "model_mape"):
        assert catalog.get(name).labels == ("model_name", "version")


def test_histogram_series_resolve_to_their_metric():
    assert catalog.get("api_request_duration_seconds_bucket").name == "api_request_duration_seconds"
    with pytest.raises(KeyError, match="did you mean api_requests_total"):
        catalog.get("api_request_total")


def test_bad_declarations_are_rejected():
    with pytest.raises(ValueError, match="must end in _total"):
        catalog.Metric(
            "requests",
            catalog.MetricType.COUNTER,
            "h",
            (),
            catalog.Unit.COUNT,
            catalog.Family.API,
            catalog.Source.API,
        )
    with pytest.raises(ValueError, match="buckets"):
        catalog.Metric(
            "lat_seconds",
            catalog.MetricType.HISTOGRAM,
            "h",
            (),
            catalog.Unit.SECONDS,
            catalog.Family.API,
            catalog.Source.API,
        )


def test_enumerable_label_values():
    requests = catalog.get("api_requests_total")
    assert requests.allows_label_value("status", "200")
    assert not requests.allows_label_value("status", "2xx")
    assert requests.allows_label_value("endpoint", "/anything")  # not enumerable
