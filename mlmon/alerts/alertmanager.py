"""Routing -> Alertmanager: ``alertmanager.yml`` and its template file.

Targets Alertmanager 0.25 and later (Debian's ``prometheus-alertmanager``,
checked by ``amtool check-config`` in the tests). Secrets are written as
environment references (:mod:`mlmon.alerts.envrefs`), resolved at start.
Microsoft Teams integrations are left out: Alertmanager has them from 0.26
on only, so Teams is delivered through Grafana (the generated file lists what
was left out in its header).
"""

from __future__ import annotations

from mlmon.alerts.envrefs import alertmanager_ref
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

TEMPLATES_DIR = (
    "templates"  # beside alertmanager.yml; Alertmanager resolves it against the config's directory
)


def value(setting: Setting) -> str:
    return alertmanager_ref(setting.name) if isinstance(setting, Env) else setting


def config(routing: Routing) -> dict:
    document: dict = {
        "route": _route(routing.policy, root=True),
        "receivers": [_receiver(point, routing) for point in routing.contact_points],
    }
    if routing.mute_timings:
        document["time_intervals"] = [m.to_dict() for m in routing.mute_timings]
    if routing.templates:
        document["templates"] = [f"{TEMPLATES_DIR}/*.tmpl"]
    return document


def left_out(routing: Routing) -> list[str]:
    """Integrations this output cannot carry, as ``contact point: kind`` (for the file header)."""
    return [
        f"{point.name}: {integration.kind}"
        for point in routing.contact_points
        for integration in point.integrations
        if isinstance(integration, Teams)
    ]


def template_files(routing: Routing) -> dict[str, str]:
    return {f"{TEMPLATES_DIR}/{t.name}.tmpl": t.text.rstrip("\n") + "\n" for t in routing.templates}


def _route(route: Route, root: bool = False) -> dict:
    data: dict = {"receiver": route.receiver}
    if route.label_matchers:
        data["matchers"] = [str(m) for m in route.label_matchers]
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
        data["routes"] = [_route(child) for child in route.routes]
    return data


def _receiver(point: ContactPoint, routing: Routing) -> dict:
    title = f'{{{{ template "{routing.title_template}" . }}}}'
    text = f'{{{{ template "{routing.text_template}" . }}}}'
    receiver: dict = {"name": point.name}
    resolved = point.send_resolved
    for integration in point.integrations:
        if isinstance(integration, Webhook):
            entry: dict = {"url": value(integration.url), "send_resolved": resolved}
            receiver.setdefault("webhook_configs", []).append(entry)
        elif isinstance(integration, Slack):
            entry = {
                "api_url": value(integration.url),
                "send_resolved": resolved,
                "title": title,
                "text": text,
            }
            if integration.channel:
                entry["channel"] = integration.channel
            receiver.setdefault("slack_configs", []).append(entry)
        elif isinstance(integration, PagerDuty):
            entry = {
                "routing_key": value(integration.routing_key),
                "url": value(integration.url),
                "send_resolved": resolved,
                "description": title,
            }
            receiver.setdefault("pagerduty_configs", []).append(entry)
        elif isinstance(integration, Email):
            entry = {
                "to": ", ".join(integration.to),
                "from": integration.sender,
                "smarthost": integration.smarthost,
                "send_resolved": resolved,
                "headers": {"Subject": title},
                "text": text,
            }
            if integration.username:
                entry["auth_username"] = integration.username
            if integration.password is not None:
                entry["auth_password"] = value(integration.password)
            receiver.setdefault("email_configs", []).append(entry)
        # Teams: see the module docstring.
    return receiver


def with_timings(document: dict, **timings: str) -> dict:
    """A copy of an alertmanager.yml document whose routes use ``timings`` (group_wait=...,
    group_interval=..., repeat_interval=...) wherever they set one: for demos and tests
    that cannot wait minutes, never for committed output."""
    unknown = set(timings) - {"group_wait", "group_interval", "repeat_interval"}
    if unknown:
        raise ValueError(f"not route timings: {', '.join(sorted(unknown))}")

    def rewrite(route: dict, root: bool) -> dict:
        copy = {k: v for k, v in route.items() if k != "routes"}
        for name, value in timings.items():
            if root or name in copy:
                copy[name] = value
        if "routes" in route:
            copy["routes"] = [rewrite(child, False) for child in route["routes"]]
        return copy

    return {**document, "route": rewrite(document["route"], True)}
