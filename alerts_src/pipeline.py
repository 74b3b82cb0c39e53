"""Is the monitoring itself alive: the exporter, the flow of predictions and of ground truth?"""

from mlmon.alerts import Severity, alert_rule, rule_group
from mlmon.dsl import query as q
from mlmon.promconfig import EXPORTER_JOB

STALE_AFTER_SECONDS = 300  # 10 export cycles at the default EXPORT_INTERVAL of 30 s
LABEL_LAG_CEILING_SECONDS = 6 * 3600

group = rule_group(
    "pipeline",
    [
        alert_rule(
            "ExporterDown",
            q.up(EXPORTER_JOB),
            below=1,
            for_="1m",
            # Grafana: no `up` series at all means Prometheus does not scrape the exporter: alert too.
            no_data="Alerting",
            severity=Severity.CRITICAL,
            summary="Model exporter {{ $labels.instance }} is down",
            description=(
                "Prometheus cannot scrape the model exporter at {{ $labels.instance }}: model, drift and "
                "data-quality metrics are not updated and their alerts cannot fire."
            ),
            runbook=(
                "Check: the exporter process or container (logs, restarts) and that it listens on PROMETHEUS_PORT. "
                "Do: restart it; if it crashes on start, check METRICS_DB_PATH and the prediction log's schema."
            ),
        ),
        alert_rule(
            "ExporterStale",
            q.time() - q.series("exporter_last_success_timestamp_seconds"),
            above=STALE_AFTER_SECONDS,
            for_="1m",
            severity=Severity.WARNING,
            summary="Model exporter has not completed an export cycle for over 5 minutes",
            description=(
                "The exporter at {{ $labels.instance }} answers scrapes but its last successful export cycle was "
                "{{ $value | humanizeDuration }} ago: the metrics it serves are frozen."
            ),
            runbook=(
                "Check: exporter_errors_total by stage and the exporter log (database locked or missing, a failing "
                "statistic). Do: fix the failing stage; a locked database usually means a writer not in WAL mode."
            ),
        ),
        alert_rule(
            "NoPredictionsLogged",
            q.increase("daily_predictions_total", "30m", by=("model_name",)),
            below=1,
            for_="5m",
            severity=Severity.WARNING,
            summary="No predictions logged for {{ $labels.model_name }} in 30 minutes",
            description=(
                "Model {{ $labels.model_name }} logged no prediction in the last 30 minutes: the service is "
                "idle, down, or no longer writing the prediction log."
            ),
            runbook=(
                "Check: the model API's request rate and /health, and prediction_log_dropped_total. Do: restore "
                "the traffic or the API; if requests arrive but nothing is logged, check METRICS_DB_PATH."
            ),
        ),
        alert_rule(
            "GroundTruthLagging",
            q.series("label_lag_seconds"),
            above=LABEL_LAG_CEILING_SECONDS,
            for_="15m",
            severity=Severity.WARNING,
            summary="Ground truth for {{ $labels.model_name }} is more than 6 hours late",
            description=(
                "The oldest prediction of {{ $labels.model_name }} without an actual value is "
                "{{ $value | humanizeDuration }} old: accuracy metrics cover ever fewer rows and go stale."
            ),
            runbook=(
                "Check: the job that posts actual values (/feedback or log_actual) and actuals_received_total. "
                "Do: restart or fix that job; raise the threshold if labels legitimately take longer."
            ),
        ),
    ],
    labels={"team": "platform"},
)
