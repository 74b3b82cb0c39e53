"""Routing -> Grafana: the alerting provisioning document for contact points, policies, mute timings, templates.

``generated/alerts/grafana/notifications.yml`` is what Grafana reads from
``provisioning/alerting/`` at start-up; ``mlmon push`` turns the same document
into provisioning-API bodies (:mod:`mlmon.grafana.notifications`).

Secrets are ``${NAME}``: Grafana expands environment variables in
provisioning files, and ``mlmon push`` expands them from its own environment.
Grafana configures SMTP server-wide (``[smtp]`` in grafana.ini), so an email
integration carries only its addresses here.
"""

from __future__ import annotations

from mlmon.alerts.envrefs import grafana_ref
from mlmon.alerts.routing import (
    ContactPoint,
    Email,
    Env,
    PagerDuty,
    Route,
    Routing,
    Setting,
    Slack,
    Teams,
    Webhook,
)
from mlmon.alerts.uids import shorten, slug

ORG_ID = 1


def value(setting: Setting) -> str:
    return grafana_ref(setting.name) if isinstance(setting, Env) else setting


def integration_uid(point: ContactPoint, index: int, kind: str) -> str:
    """Stable per integration: what lets ``mlmon push`` update one in place instead of adding a twin."""
    return shorten(f"mlmon-{slug(point.name)}-{kind}-{index}")


def provisioning_document(routing: Routing) -> dict:
    document: dict = {
        "apiVersion": 1,
        "contactPoints": [
            {"orgId": ORG_ID, "name": point.name, "receivers": _receivers(point, routing)}
            for point in routing.contact_points
        ],
        "policies": [{"orgId": ORG_ID, **route_body(routing.policy, routing)}],
    }
    if routing.mute_timings:
        document["muteTimes"] = [
            {"orgId": ORG_ID, **timing.to_dict()} for timing in routing.mute_timings
        ]
    if routing.templates:
        document["templates"] = [
            {"orgId": ORG_ID, "name": t.name, "template": t.text.rstrip("\n") + "\n"}
            for t in routing.templates
        ]
    return document


def _receivers(point: ContactPoint, routing: Routing) -> list[dict]:
    title = f'{{{{ template "{routing.title_template}" . }}}}'
    text = f'{{{{ template "{routing.text_template}" . }}}}'
    receivers = []
    for index, integration in enumerate(point.integrations):
        settings: dict[str, str | bool]
        if isinstance(integration, Webhook):
            settings = {"url": value(integration.url), "httpMethod": "POST"}
        elif isinstance(integration, Slack):
            settings = {"url": value(integration.url), "title": title, "text": text}
            if integration.channel:
                settings["recipient"] = integration.channel
        elif isinstance(integration, PagerDuty):
            settings = {
                "integrationKey": value(integration.routing_key),
                "url": value(integration.url),
                "summary": title,
            }
        elif isinstance(integration, Teams):
            settings = {"url": value(integration.url), "title": title, "message": text}
        elif isinstance(integration, Email):
            settings = {
                "addresses": ";".join(integration.to),
                "singleEmail": True,
                "subject": title,
                "message": text,
            }
        else:  # pragma: no cover - Routing refuses other types
            raise TypeError(type(integration).__name__)
        receivers.append(
            {
                "uid": integration_uid(point, index, integration.kind),
                "type": integration.kind,
                "settings": settings,
                "disableResolveMessage": not point.send_resolved,
            }
        )
    return receivers


def route_body(route: Route, routing: Routing, root: bool = True) -> dict:
    """A policy-tree node in the provisioning API's shape (``object_matchers``)."""
    data: dict = {"receiver": route.receiver}
    if route.label_matchers:
        data["object_matchers"] = [[m.label, m.op, m.value] for m in route.label_matchers]
    if route.group_by is not None:
        data["group_by"] = list(route.group_by)
    for name in ("group_wait", "group_interval", "repeat_interval"):
        if getattr(route, name) is not None:
            data[name] = getattr(route, name)
    if route.continue_ and not root:
        data["continue"] = True
    if route.mute_timings:
        data["mute_time_intervals"] = list(route.mute_timings)
    if route.routes:
        data["routes"] = [route_body(child, routing, root=False) for child in route.routes]
    return data
