from tests.lint.support import clean_dashboard, findings, lint_data, set_expr


def test_job_and_instance_rules_are_off_by_default(tmp_path):
    report = lint_data(tmp_path, clean_dashboard())
    assert (
        findings(report, "target-job-matcher") == findings(report, "target-instance-matcher") == []
    )


def test_enabled_job_rule_reports_selectors_without_job_variable(tmp_path):
    config = "rules:\n  target-job-matcher: {enabled: true}\n"
    report = lint_data(tmp_path, clean_dashboard(), config=config)
    flagged = {f.location.panel for f in findings(report, "target-job-matcher")}
    assert flagged == {
        "Accuracy",
        "Request latency p95",
        "Error ratio",
        "Predictions per day",
        "Drift p-values",
    }


def test_enabled_instance_rule_passes_with_instance_variable(tmp_path):
    config = "rules:\n  target-instance-matcher: {enabled: true}\n"
    dashboard = clean_dashboard()
    for title in (
        "Accuracy",
        "Request latency p95",
        "Error ratio",
        "Predictions per day",
        "Drift p-values",
    ):
        set_expr(dashboard, title, 'model_accuracy{instance=~"$instance"}')
    assert findings(lint_data(tmp_path, dashboard, config=config), "target-instance-matcher") == []
