"""Has the input distribution moved away from the reference (training) data?"""

from mlmon.alerts import Severity, alert_rule, rule_group
from mlmon.dsl import query as q

group = rule_group(
    "data-drift",
    [
        alert_rule(
            "DataDriftDetected",
            # 1 when the feature's test is significant after multiple-testing correction.
            q.series("data_drift_detected"),
            above=0,
            for_="1m",
            severity=Severity.WARNING,
            summary="Data drift in feature {{ $labels.feature }} of {{ $labels.model_name }}",
            description=(
                "The distribution of feature {{ $labels.feature }} seen by model {{ $labels.model_name }} "
                "differs from the reference data (drift test significant after multiple-testing correction) "
                "for at least 1 minute."
            ),
            runbook=(
                "Check: the Data Drift dashboard for this feature (p-value, effect size, PSI) and whether an "
                "upstream change (new source, unit change, bug) explains it. Do: fix the upstream data if it is "
                "wrong; if the shift is real, watch accuracy once ground truth arrives and retrain if it drops."
            ),
        ),
    ],
    labels={"team": "ml"},
)
