"""Contact points, the policy tree, mute timings and templates as Grafana provisioning-API bodies.

``generated/alerts/grafana/notifications.yml`` (file provisioning) is the one
input; :func:`api_bodies` turns it into the bodies of

- ``POST /api/v1/provisioning/contact-points`` / ``PUT .../contact-points/{uid}``
  (one body per integration: Grafana groups integrations by ``name``)
- ``PUT /api/v1/provisioning/policies`` (the whole tree)
- ``POST /api/v1/provisioning/mute-timings`` / ``PUT .../mute-timings/{name}``
- ``PUT /api/v1/provisioning/templates/{name}`` (body ``{"template": ...}``)

and :func:`resolve_env` fills the ``${NAME}`` secret references from the
environment of the pushing process, as Grafana does for provisioning files.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from mlmon.errors import MlmonError

_REFERENCE = re.compile(r"\$\{([A-Z_][A-Z0-9_]*)\}")


def api_bodies(document: Mapping[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """``{"contact_points": [...], "policies": [root], "mute_timings": [...], "templates": [...]}``."""
    contact_points = [
        {
            "uid": receiver["uid"],
            "name": point["name"],
            "type": receiver["type"],
            "settings": dict(receiver["settings"]),
            "disableResolveMessage": bool(receiver.get("disableResolveMessage", False)),
        }
        for point in document.get("contactPoints", [])
        for receiver in point.get("receivers", [])
    ]
    policies = [
        {k: v for k, v in policy.items() if k != "orgId"} for policy in document.get("policies", [])
    ]
    mute_timings = [
        {k: v for k, v in timing.items() if k != "orgId"}
        for timing in document.get("muteTimes", [])
    ]
    templates = [
        {"name": t["name"], "template": t["template"]} for t in document.get("templates", [])
    ]
    return {
        "contact_points": contact_points,
        "policies": policies,
        "mute_timings": mute_timings,
        "templates": templates,
    }


def resolve_env(value: Any, env: Mapping[str, str]) -> Any:
    """``value`` with every ``${NAME}`` replaced from ``env``; MlmonError naming the unset variables."""
    missing = sorted(set(_references(value)) - {k for k, v in env.items() if v})
    if missing:
        raise MlmonError(
            f"environment variable(s) {', '.join(missing)} not set: the contact points need them "
            "(set them before `mlmon push`)"
        )
    return _substitute(value, env)


def _references(value: Any) -> list[str]:
    if isinstance(value, str):
        return _REFERENCE.findall(value)
    if isinstance(value, Mapping):
        return [name for item in value.values() for name in _references(item)]
    if isinstance(value, list):
        return [name for item in value for name in _references(item)]
    return []


def _substitute(value: Any, env: Mapping[str, str]) -> Any:
    if isinstance(value, str):
        return _REFERENCE.sub(lambda m: env[m.group(1)], value)
    if isinstance(value, Mapping):
        return {k: _substitute(v, env) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, env) for v in value]
    return value
