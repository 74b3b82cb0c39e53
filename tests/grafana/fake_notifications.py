"""The fake Grafana's alerting notification endpoints: contact points, the policy tree, mute timings, templates.

Mirrors what the client depends on: secure settings come back redacted, a
policy tree naming an unknown contact point or mute timing is refused (400),
POSTing an existing uid/name is refused, PUT of a missing one is 404.
"""

from __future__ import annotations

import copy
from typing import Any

REDACTED = "[REDACTED]"
SECURE_SETTINGS = {
    "slack": {"url", "token"},
    "pagerduty": {"integrationKey"},
    "webhook": {"password", "authorization_credentials"},
    "teams": set(),
    "email": set(),
}
DEFAULT_POLICY = {"receiver": "grafana-default-email", "group_by": ["grafana_folder", "alertname"]}


class Notifications:
    def __init__(self) -> None:
        self.contact_points: dict[str, dict[str, Any]] = {}  # uid -> body, as sent
        self.policy: dict[str, Any] = copy.deepcopy(DEFAULT_POLICY)
        self.mute_timings: dict[str, dict[str, Any]] = {}
        self.templates: dict[str, dict[str, Any]] = {}

    def handle(self, method: str, rest: list[str], body: Any) -> tuple[int, Any] | None:
        """``rest`` is the path after /v1/provisioning/; None when it is not one of these endpoints."""
        kind, name = rest[0], (rest[1] if len(rest) > 1 else None)
        if kind == "contact-points":
            return self._contact_points(method, name, body)
        if kind == "policies" and name is None:
            return self._policies(method, body)
        if kind == "mute-timings":
            return self._named(self.mute_timings, "mute timing", method, name, body, created=201)
        if kind == "templates":
            return self._templates(method, name, body)
        return None

    def _contact_points(self, method: str, uid: str | None, body: Any) -> tuple[int, Any]:
        if method == "GET" and uid is None:
            return 200, [self._redacted(p) for p in self.contact_points.values()]
        if method == "POST" and uid is None:
            if body.get("uid") in self.contact_points:
                return 400, {"message": f"contact point uid {body['uid']!r} already exists"}
            self.contact_points[body["uid"]] = copy.deepcopy(body)
            return 202, self._redacted(body)
        if method == "PUT" and uid:
            if uid not in self.contact_points:
                return 404, {"message": "contact point not found"}
            self.contact_points[uid] = copy.deepcopy({**body, "uid": uid})
            return 202, {"message": "contactpoint updated"}
        return 405, {"message": f"{method} not supported"}

    @staticmethod
    def _redacted(point: dict[str, Any]) -> dict[str, Any]:
        secure = SECURE_SETTINGS.get(point["type"], set())
        settings = {k: (REDACTED if k in secure else v) for k, v in point["settings"].items()}
        return {**copy.deepcopy(point), "settings": settings, "provenance": "api"}

    def _policies(self, method: str, body: Any) -> tuple[int, Any]:
        if method == "GET":
            return 200, {**copy.deepcopy(self.policy), "provenance": "api"}
        if method == "PUT":
            names = {p["name"] for p in self.contact_points.values()}
            for route in _walk(body):
                if route.get("receiver") not in names:
                    return 400, {"message": f"receiver {route.get('receiver')!r} does not exist"}
                for timing in route.get("mute_time_intervals") or []:
                    if timing not in self.mute_timings:
                        return 400, {"message": f"mute time interval {timing!r} does not exist"}
            self.policy = copy.deepcopy(body)
            return 202, {"message": "policies updated"}
        return 405, {"message": f"{method} not supported"}

    def _named(
        self,
        store: dict[str, dict[str, Any]],
        what: str,
        method: str,
        name: str | None,
        body: Any,
        created: int,
    ) -> tuple[int, Any]:
        if method == "GET" and name is None:
            return 200, [{**copy.deepcopy(v), "provenance": "api"} for v in store.values()]
        if method == "POST" and name is None:
            if body["name"] in store:
                return 409, {"message": f"{what} {body['name']!r} already exists"}
            store[body["name"]] = copy.deepcopy(body)
            return created, body
        if method == "PUT" and name:
            if name not in store:
                return 404, {"message": f"{what} not found"}
            store[name] = copy.deepcopy({**body, "name": name})
            return 200, body
        return 405, {"message": f"{method} not supported"}

    def _templates(self, method: str, name: str | None, body: Any) -> tuple[int, Any]:
        if method == "GET" and name is None:
            return 200, [{**t, "provenance": "api"} for t in self.templates.values()]
        if method == "PUT" and name:
            self.templates[name] = {"name": name, "template": body["template"]}
            return 202, {**self.templates[name], "provenance": "api"}
        return 405, {"message": f"{method} not supported"}


def _walk(route: dict[str, Any]):
    yield route
    for child in route.get("routes") or []:
        yield from _walk(child)
