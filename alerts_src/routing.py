"""Who gets which alert: contact points, the notification policy tree, mute timings and message templates.

Every rule carries ``severity`` (alert_rule) and ``team`` (its rule group's
labels); the series add ``model_name``, ``feature``, ``endpoint``... Critical
alerts page the on-call engineer *and* reach the owning team; everything else
goes to the team only. Secrets are environment variable names (Env), never
values: set them where Grafana or Alertmanager runs (stack/.env).
"""

from mlmon.alerts.routing import (
    ContactPoint,
    Email,
    Env,
    MuteTiming,
    PagerDuty,
    Policy,
    Route,
    Routing,
    Slack,
    Teams,
    Template,
    TimeInterval,
    Webhook,
)

# One message for Slack, Teams, email and PagerDuty, in Grafana and in Alertmanager alike:
# both render notifications from the same data (.Status, .Alerts, .CommonLabels...).
MESSAGES = Template(
    "mlmon",
    """\
{{ define "mlmon.title" }}[{{ .Status | toUpper }}{{ if eq .Status "firing" }}:{{ .Alerts.Firing | len }}{{ end }}] {{ .CommonLabels.alertname }}{{ if .CommonLabels.model_name }} ({{ .CommonLabels.model_name }}){{ end }}{{ end }}

{{ define "mlmon.text" }}{{ range .Alerts }}{{ .Annotations.summary }}
{{ .Annotations.description }}
Runbook: {{ .Annotations.runbook }}
{{ end }}{{ end }}
""",
)

routing = Routing(
    contact_points=[
        ContactPoint(
            "ml-team",
            [
                # The ML platform's incident webhook (e.g. its retraining or ticketing service).
                Webhook(url=Env("MLMON_ML_WEBHOOK_URL")),
                Slack(url=Env("MLMON_ML_SLACK_WEBHOOK_URL"), channel="#ml-alerts"),
            ],
        ),
        ContactPoint(
            "platform-team",
            [
                Webhook(url=Env("MLMON_PLATFORM_WEBHOOK_URL")),
                Teams(url=Env("MLMON_PLATFORM_TEAMS_WEBHOOK_URL")),
            ],
        ),
        ContactPoint(
            "oncall-pager",
            [
                PagerDuty(
                    routing_key=Env("MLMON_PAGERDUTY_ROUTING_KEY"),
                    # https://events.pagerduty.com/v2/enqueue in production.
                    url=Env("MLMON_PAGERDUTY_EVENTS_URL"),
                )
            ],
        ),
        ContactPoint(
            "mlops-email",
            [
                Email(
                    to=("mlops@example.org",),
                    sender="mlmon@example.org",
                    smarthost="localhost:25",
                    username="mlmon",
                    password=Env("MLMON_SMTP_PASSWORD"),
                )
            ],
        ),
    ],
    policy=Policy(
        # Whatever no route below takes (a rule without a team) still reaches a person.
        receiver="mlops-email",
        group_by=("alertname", "model_name"),
        group_wait="30s",
        group_interval="5m",
        repeat_interval="4h",
        routes=[
            # Critical: page now, and go on to the owning team's route too.
            Route(
                receiver="oncall-pager",
                matchers={"severity": "critical"},
                group_wait="10s",
                repeat_interval="1h",
                continue_=True,
            ),
            # Model, drift and data-quality alerts: one notification per model and feature.
            Route(
                receiver="ml-team",
                matchers={"team": "ml"},
                group_by=("alertname", "model_name", "feature"),
            ),
            # The API and the monitoring pipeline; warnings wait for Monday.
            Route(
                receiver="platform-team",
                matchers={"team": "platform"},
                group_by=("alertname", "endpoint"),
                routes=[
                    Route(
                        receiver="platform-team",
                        matchers={"severity": "warning"},
                        mute_timings=("weekends",),
                    )
                ],
            ),
        ],
    ),
    mute_timings=[MuteTiming("weekends", [TimeInterval(weekdays=("saturday", "sunday"))])],
    templates=[MESSAGES],
)
