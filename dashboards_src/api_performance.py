"""API Performance: throughput, errors and latency of the model API, and the business metrics it serves."""

from mlmon.dsl import panels as p
from mlmon.dsl import query as q
from mlmon.dsl import units
from mlmon.dsl import variables as var
from mlmon.dsl.dashboard import dashboard as build_dashboard
from mlmon.dsl.layout import cell, row
from mlmon.dsl.query import Re

ENDPOINT = {"endpoint": "$endpoint"}
MODEL = {"model_name": "$model"}
ERROR_RATIO_STEPS = (("green", None), ("orange", 0.01), ("red", 0.05))

# "or ... * 0": with no 5xx at all the ratio is 0%, not "No data" (rate() of a series that never existed).
all_requests = q.rate("api_requests_total", by=(), **ENDPOINT)
error_ratio = (
    q.rate("api_requests_total", by=(), status=Re("5.."), **ENDPOINT).or_(all_requests * 0)
    / all_requests
)
by_endpoint = q.rate("api_requests_total", by=("endpoint",), **ENDPOINT)
error_ratio_by_endpoint = (
    q.rate("api_requests_total", by=("endpoint",), status=Re("5.."), **ENDPOINT).or_(
        by_endpoint * 0
    )
    / by_endpoint
)

overview = row(
    None,
    p.stat(
        "Request rate",
        "HTTP requests per second at the selected endpoints, all status codes.",
        q.rate("api_requests_total", by=(), **ENDPOINT),
        graph=True,
        decimals=2,
    ),
    p.stat(
        "Error ratio (5xx)",
        "Share of requests answered with a 5xx status; above 1% is orange, above 5% red.",
        error_ratio,
        steps=ERROR_RATIO_STEPS,
        graph=True,
        decimals=2,
    ),
    p.stat(
        "p95 latency",
        "95th percentile of request latency at the selected endpoints.",
        q.histogram_quantile(0.95, "api_request_duration_seconds", **ENDPOINT),
        graph=True,
    ),
    p.stat(
        "Active requests now",
        "HTTP requests in progress at the last scrape.",
        q.sum(q.series("api_active_requests")),
        steps=(("green", None), ("orange", 10), ("red", 50)),
    ),
    p.stat(
        "Dropped log writes",
        "Predictions not written to the prediction log in the selected range because "
        "the writer's queue was full: monitoring is missing those rows.",
        q.sum(q.increase("prediction_log_dropped_total", "$__range")),
        steps=(("green", None), ("red", 1)),
    ),
    p.stat(
        "Orphan feedback removed",
        "Ground-truth values removed in the selected range because no prediction with their "
        "request_id arrived within the retention (PREDICTION_LOG_ORPHAN_TTL / _MAX): clients "
        "sending feedback for ids the API never issued.",
        q.sum(q.increase("prediction_log_orphan_actuals_removed_total", "$__range")),
        steps=(("green", None), ("orange", 1)),
    ),
    height=5,
)

throughput = row(
    "Throughput and errors",
    p.timeseries(
        "Requests by endpoint and status",
        "HTTP requests per second by route template and status code.",
        (
            q.rate("api_requests_total", by=("endpoint", "status"), **ENDPOINT),
            "{{endpoint}} {{status}}",
        ),
        stack=True,
    ),
    p.timeseries(
        "Error ratio by endpoint",
        "Share of 5xx responses per route; the lines mark 1% and 5%.",
        (error_ratio_by_endpoint, "{{endpoint}}"),
        steps=ERROR_RATIO_STEPS,
        show_thresholds=True,
        min=0,
    ),
    p.timeseries(
        "Active requests",
        "HTTP requests in progress, sampled at each scrape.",
        (q.sum(q.series("api_active_requests")), "in progress"),
        steps=units.NEUTRAL_STEPS,
    ),
)

latency = row(
    "Latency",
    p.timeseries(
        "Latency percentiles by endpoint",
        "95th and 50th percentile of request latency per route, from the request-duration histogram.",
        (
            q.histogram_quantile(
                0.95, "api_request_duration_seconds", by=("endpoint",), **ENDPOINT
            ),
            "p95 {{endpoint}}",
        ),
        (
            q.histogram_quantile(0.5, "api_request_duration_seconds", by=("endpoint",), **ENDPOINT),
            "p50 {{endpoint}}",
        ),
        show_thresholds=True,
    ),
    p.timeseries(
        "Mean latency by endpoint",
        "Average request latency per route (sum of durations over count).",
        (
            q.histogram_mean("api_request_duration_seconds", by=("endpoint",), **ENDPOINT),
            "{{endpoint}}",
        ),
    ),
    p.timeseries(
        "Model inference time",
        "50th and 95th percentile of the time spent in the model's predict call, by model: the part of "
        "latency the model itself is responsible for.",
        (
            q.histogram_quantile(0.5, "model_inference_time_seconds", by=("model_name",), **MODEL),
            "p50 {{model_name}}",
        ),
        (
            q.histogram_quantile(0.95, "model_inference_time_seconds", by=("model_name",), **MODEL),
            "p95 {{model_name}}",
        ),
    ),
)

business = row(
    "Business and resources",
    p.timeseries(
        "Daily predictions",
        "Predictions logged over the previous 24 hours, by model (a rolling daily count).",
        (
            q.increase("daily_predictions_total", "1d", by=("model_name",), **MODEL),
            "{{model_name}}",
        ),
    ),
    cell(
        p.bargauge(
            "Prediction value distribution",
            "How many predictions fell in each bucket of predicted value over the selected time range "
            "(regression models). A shift here often precedes measurable drift in accuracy.",
            (
                q.increase("prediction_value_distribution_bucket", "$__range", by=("le",), **MODEL),
                "{{le}}",
            ),
            unit="short",
            min=0,
            max=None,
            steps=units.NEUTRAL_STEPS,
            heatmap=True,
        ),
        width=10,
    ),
    p.timeseries(
        "Model memory usage",
        "Measured size of each loaded model object in memory.",
        (
            q.max(q.series("model_memory_usage_bytes", **MODEL), by=("model_name", "version")),
            "{{model_name}} {{version}}",
        ),
        min=0,
    ),
)

dashboard = build_dashboard(
    title="API Performance",
    uid="mlmon-api-performance",
    description="Throughput, errors and latency of the model API; predictions, inference time and memory of its models.",
    variables=[var.endpoint(), var.model()],
    tags=["api"],
    rows=[overview, throughput, latency, business],
)
