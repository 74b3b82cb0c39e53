"""Is the model API answering, fast and without errors? (its own /metrics, via the instrumentation)"""

from mlmon.alerts import Severity, alert_rule, rule_group
from mlmon.dsl import query as q

LATENCY_CEILING_SECONDS = 2.0
ERROR_RATE_CEILING = 0.05
# Probes and scrapes are not user traffic.
USER_ENDPOINTS = {"endpoint": q.NotRe("/health|/metrics")}

group = rule_group(
    "api",
    [
        alert_rule(
            "ApiLatencyHigh",
            q.histogram_mean(
                "api_request_duration_seconds", by=("endpoint",), window="5m", **USER_ENDPOINTS
            ),
            above=LATENCY_CEILING_SECONDS,
            for_="1m",
            severity=Severity.WARNING,
            summary="Average latency of {{ $labels.endpoint }} above 2 s",
            description="Requests to {{ $labels.endpoint }} took {{ $value | humanizeDuration }} on average over 5 minutes.",
            runbook=(
                "Check: the API Performance panels (request rate, active requests, inference time) and host "
                "CPU/memory. Do: scale out or back off the traffic; if inference time rose, check the model "
                "version and its input sizes."
            ),
        ),
        alert_rule(
            "ApiLatencyP95High",
            q.histogram_quantile(
                0.95,
                "api_request_duration_seconds",
                by=("endpoint",),
                window="5m",
                **USER_ENDPOINTS,
            ),
            above=LATENCY_CEILING_SECONDS,
            for_="5m",
            severity=Severity.WARNING,
            summary="95th percentile latency of {{ $labels.endpoint }} above 2 s",
            description=(
                "One request in 20 to {{ $labels.endpoint }} takes longer than {{ $value | humanizeDuration }} "
                "(p95 over 5 minutes), while the average may still look fine."
            ),
            runbook=(
                "Check: whether slow requests share an input pattern or coincide with garbage collection, cold "
                "starts or a saturated worker pool (api_active_requests). Do: as for ApiLatencyHigh."
            ),
        ),
        alert_rule(
            "ApiErrorRateHigh",
            q.rate(
                "api_requests_total", "5m", by=("endpoint",), status=q.Re("5.."), **USER_ENDPOINTS
            )
            / q.rate("api_requests_total", "5m", by=("endpoint",), **USER_ENDPOINTS),
            above=ERROR_RATE_CEILING,
            for_="5m",
            severity=Severity.CRITICAL,
            summary="More than 5% of requests to {{ $labels.endpoint }} fail",
            description="{{ $value | humanizePercentage }} of requests to {{ $labels.endpoint }} returned a 5xx status over 5 minutes.",
            runbook=(
                "Check: the API logs for the failing endpoint and the model API's /health. Do: roll back a bad "
                "release, restore the dependency that fails, or restart the service."
            ),
        ),
    ],
    labels={"team": "platform"},
)
