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

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote

import yaml

from mlmon.errors import MlmonError, SourceError

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


# -- push / diff -----------------------------------------------------------------------------------

NOTIFICATIONS_FILE = Path("alerts") / "grafana" / "notifications.yml"  # under generated/
KINDS = ("notification-template", "mute-timing", "contact-point", "notification-policy")
_BASE = "/v1/provisioning"
_SERVER_FIELDS = {"provenance", "version", "orgId", "orgID"}


def load_notifications(generated: Path) -> dict[str, Any] | None:
    """The provisioning document under ``generated/``; None when the project has no routing."""
    path = generated / NOTIFICATIONS_FILE
    if not path.is_file():
        return None
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise SourceError(
            f"invalid YAML: {exc}", source=str(path), hint="run `mlmon build`"
        ) from None
    if not isinstance(document, dict) or document.get("apiVersion") != 1:
        raise SourceError(
            "not a Grafana alerting provisioning document",
            source=str(path),
            hint="run `mlmon build`",
        )
    return document


def _clean(value: Any) -> Any:
    """Drop server-side fields and empty values, so Grafana's echo compares equal to what we sent."""
    if isinstance(value, Mapping):
        return {
            k: _clean(v)
            for k, v in value.items()
            if k not in _SERVER_FIELDS and v not in (None, [], {}, False, "")
        }
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def _changes(have: Any, want: Any, path: str = "") -> list[str]:
    if isinstance(have, Mapping) and isinstance(want, Mapping):
        lines = []
        for key in sorted(set(have) | set(want)):
            where = f"{path}.{key}" if path else key
            if key not in have:
                lines.append(f"    + {where}: {want[key]!r}")
            elif key not in want:
                lines.append(f"    - {where}: {have[key]!r}")
            else:
                lines.extend(_changes(have[key], want[key], where))
        return lines
    return [] if have == want else [f"    ~ {path}: {have!r} -> {want!r}"]


def _secret_keys(settings: Mapping[str, Any]) -> set[str]:
    return {k for k, v in settings.items() if isinstance(v, str) and _REFERENCE.search(v)}


class NotificationsApi:
    """The alerting provisioning endpoints, through the GrafanaClient's session, retries and errors."""

    def __init__(self, client: Any):
        self.client = client

    def get(self, what: str, path: str) -> Any:
        return self.client.request("GET", f"{_BASE}{path}", what=what, expect=(dict, list))

    def write(self, what: str, method: str, path: str, body: Any, disable_provenance: bool) -> Any:
        headers = {"X-Disable-Provenance": "true"} if disable_provenance else None
        return self.client.request(
            method.upper(),
            f"{_BASE}{path}",
            what=what,
            kind="rule-group",
            body=body,
            headers=headers,
            expect=None,  # some of these answer 202 with an empty body
        )


def plan_notifications(client: Any, document: Mapping[str, Any] | None) -> list[Any]:
    """One Action per template, mute timing, contact-point integration, and the policy tree.

    Four reads in all; unchanged resources are UNCHANGED actions (no write).
    Secret settings (``${NAME}``) are never compared (Grafana answers them
    redacted) and never shown: a rotated secret alone is not a change.
    """
    from mlmon.grafana.plan import CREATE, UNCHANGED, UPDATE, Action

    if not document:
        return []
    bodies = api_bodies(document)
    api = NotificationsApi(client)
    actions: list[Action] = []

    current_templates = {
        t["name"]: t for t in api.get("notification templates", "/templates") or []
    }
    for body in bodies["templates"]:
        have = current_templates.get(body["name"])
        op = CREATE if have is None else UPDATE
        diff = ["    + new template"] if have is None else []
        if have is not None:
            if str(have.get("template", "")).rstrip() == body["template"].rstrip():
                op = UNCHANGED
            else:
                diff = ["    ~ template text changed"]
        actions.append(Action("notification-template", body["name"], body["name"], op, diff, body))

    current_timings = {m["name"]: m for m in api.get("mute timings", "/mute-timings") or []}
    for body in bodies["mute_timings"]:
        have = current_timings.get(body["name"])
        if have is None:
            actions.append(
                Action(
                    "mute-timing",
                    body["name"],
                    body["name"],
                    CREATE,
                    ["    + new mute timing"],
                    body,
                )
            )
            continue
        diff = _changes(_clean(have), _clean(body))
        actions.append(
            Action(
                "mute-timing", body["name"], body["name"], UPDATE if diff else UNCHANGED, diff, body
            )
        )

    current_points = {p.get("uid"): p for p in api.get("contact points", "/contact-points") or []}
    for body in bodies["contact_points"]:
        have = current_points.get(body["uid"])
        label = f"{body['name']} ({body['type']})"
        if have is None:
            actions.append(
                Action("contact-point", body["uid"], label, CREATE, ["    + new integration"], body)
            )
            continue
        secret = _secret_keys(body["settings"])
        want = _clean(
            {**body, "settings": {k: v for k, v in body["settings"].items() if k not in secret}}
        )
        got = _clean(
            {
                **{k: have.get(k) for k in ("uid", "name", "type", "disableResolveMessage")},
                "settings": {
                    k: v
                    for k, v in (have.get("settings") or {}).items()
                    if k in body["settings"] and k not in secret
                },
            }
        )
        diff = _changes(got, want)
        actions.append(
            Action("contact-point", body["uid"], label, UPDATE if diff else UNCHANGED, diff, body)
        )

    for body in bodies["policies"]:
        have = api.get("notification policy tree", "/policies")
        diff = _changes(_clean(have or {}), _clean(body))
        actions.append(
            Action(
                "notification-policy",
                "tree",
                "root policy",
                UPDATE if diff else UNCHANGED,
                diff,
                body,
            )
        )
    return actions


def apply_notification(client: Any, action: Any, disable_provenance: bool) -> None:
    """Write one planned action; secrets are resolved from this process's environment now."""
    from mlmon.grafana.plan import CREATE

    api = NotificationsApi(client)
    body = resolve_env(action.payload, os.environ)
    what = f"{action.kind} {action.key!r}"
    if action.kind == "notification-template":
        path = f"/templates/{quote(action.key, safe='')}"
        api.write(what, "PUT", path, {"template": body["template"]}, disable_provenance)
    elif action.kind == "mute-timing":
        if action.op == CREATE:
            api.write(what, "POST", "/mute-timings", body, disable_provenance)
        else:
            api.write(
                what, "PUT", f"/mute-timings/{quote(action.key, safe='')}", body, disable_provenance
            )
    elif action.kind == "contact-point":
        if action.op == CREATE:
            api.write(what, "POST", "/contact-points", body, disable_provenance)
        else:
            api.write(
                what,
                "PUT",
                f"/contact-points/{quote(action.key, safe='')}",
                body,
                disable_provenance,
            )
    elif action.kind == "notification-policy":
        api.write(what, "PUT", "/policies", body, disable_provenance)
    else:  # pragma: no cover - plan_notifications makes no other kind
        raise ValueError(action.kind)


def check_secrets(actions: list[Any]) -> None:
    """MlmonError naming every unset variable the writes in ``actions`` need (before any write)."""
    payloads = [a.payload for a in actions if a.kind in KINDS and a.writes]
    resolve_env(payloads, os.environ)
