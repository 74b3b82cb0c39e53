"""Is the model still right? Accuracy (task-aware) and, for regression, the size of its errors.

``model_accuracy`` is task-aware in the exporter: for classifiers it is the
share of correct predictions, for regression models the share of predictions
within the relative tolerance of the actual value (10% by default), so one
rule serves both tasks. Both are computed over labelled rows only.
"""

from mlmon.alerts import Severity, alert_rule, rule_group
from mlmon.dsl import query as q

ACCURACY_FLOOR = 0.85
MAPE_CEILING = 0.20

group = rule_group(
    "model-performance",
    [
        alert_rule(
            "ModelAccuracyLow",
            # max over 5m below the floor = below it for the whole 5 minutes (the seed's "max() of 5m").
            q.max_over_time("model_accuracy", "5m"),
            below=ACCURACY_FLOOR,
            for_="1m",
            severity=Severity.CRITICAL,
            summary="Accuracy of {{ $labels.model_name }} {{ $labels.version }} below 85% for 5 minutes",
            description=(
                "Best accuracy of model {{ $labels.model_name }} (version {{ $labels.version }}) over the last "
                "5 minutes is {{ $value | humanizePercentage }}, below the 85% floor. For regression models "
                "accuracy is the share of predictions within the tolerance of the actual value."
            ),
            runbook=(
                "Check: the Model Performance dashboard (labelled rows in monitoring_window_rows, drift, data "
                "quality, recent deployments). Do: if inputs drifted or are broken, fix the upstream data; if "
                "a new version regressed, roll back; if the world changed, retrain on recent labelled data."
            ),
        ),
        alert_rule(
            "ModelErrorHigh",
            q.avg_over_time("model_mape", "5m"),
            above=MAPE_CEILING,
            for_="5m",
            severity=Severity.WARNING,
            summary="Mean absolute percentage error of {{ $labels.model_name }} above 20%",
            description=(
                "Regression model {{ $labels.model_name }} (version {{ $labels.version }}) is off by "
                "{{ $value | humanizePercentage }} of the actual value on average over 5 minutes."
            ),
            runbook=(
                "Check: MAE/RMSE/R² panels and whether errors concentrate on some inputs (drift, outliers). "
                "Do: as for ModelAccuracyLow; a few huge errors with normal accuracy point to outliers."
            ),
        ),
    ],
    labels={"team": "ml"},
)
