"""Are the inputs the model receives complete and well-formed?"""

from mlmon.alerts import Severity, alert_rule, rule_group
from mlmon.dsl import query as q

QUALITY_FLOOR = 0.90

group = rule_group(
    "data-quality",
    [
        alert_rule(
            "DataQualityLow",
            q.series("data_quality_score"),
            below=QUALITY_FLOOR,
            for_="5m",
            severity=Severity.WARNING,
            summary="Data quality of {{ $labels.model_name }} inputs below 90%",
            description=(
                "The data quality score of inputs to model {{ $labels.model_name }} is "
                "{{ $value | humanizePercentage }}: values are missing, invalid or outliers."
            ),
            runbook=(
                "Check: the Data Quality panels (completeness, missing values, outliers per column) to find the "
                "column. Do: fix the producer of that column; until then expect degraded predictions."
            ),
        ),
        alert_rule(
            "SchemaViolations",
            q.series("schema_violations_count"),
            above=0,
            for_="1m",
            severity=Severity.WARNING,
            summary="Schema violations ({{ $labels.kind }}) in column {{ $labels.column }} of {{ $labels.model_name }}",
            description=(
                "{{ $value }} values of column {{ $labels.column }} sent to model {{ $labels.model_name }} break "
                "the feature schema ({{ $labels.kind }}) in the current window."
            ),
            runbook=(
                "Check: recent requests for the column (wrong type, unknown category, out of range, missing, "
                "unknown field) and recent client releases. Do: fix the client; if the new values are legitimate, "
                "update the feature schema and the reference data."
            ),
        ),
    ],
    labels={"team": "ml"},
)
