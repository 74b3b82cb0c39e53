"""A stateful in-memory Grafana behind ``responses``, strict about what it accepts.

Every request must match an operation of Grafana's OpenAPI description
(``../shared/grafana/grafana-http-api.openapi2.json``; ``/api/health`` is the one
documented endpoint missing from it), every JSON body must validate against that
operation's body schema, and every dashboard against Grafana's dashboard JSON
schema. Violations are recorded in ``violations`` (the fixture fails the test on
any) and answered with 422, so the client cannot mistake them for success.

Those reference files live outside the repository. Without them (a clone with
no ``../shared/``, or ``MLMON_SHARED_DIR`` pointing elsewhere) the fake still
behaves like Grafana and checks bodies are JSON, but cannot check them against
Grafana's schemas: ``validating`` is False, and only the tests that check the
validation itself (``require_schemas``) skip.

Behaviour mirrors Grafana where the client depends on it: dashboard versions and
412 ``version-mismatch``/``name-exists``/``plugin-dashboard``, folder 409s,
``folderUid`` required to stay out of the root, rule groups with server-assigned
fields, datasources, auth (401) and per-endpoint permissions (403). Faults
(5xx, 429 with ``Retry-After``, timeouts, connection errors) are queued per
method and path pattern.
"""

from __future__ import annotations

import copy
import itertools
import json
import re
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import jsonschema
import pytest
import requests
import responses

from tests.grafana.fake_notifications import Notifications
from tests.support.processes import IN_CI
from tests.support.shared import SHARED_GRAFANA

OPENAPI = SHARED_GRAFANA / "grafana-http-api.openapi2.json"
DASHBOARD_SCHEMA = SHARED_GRAFANA / "dashboard.jsonschema.json"
UNDOCUMENTED = {("GET", "/health")}  # real endpoint, absent from the published OpenAPI file
TIMESTAMP = "2026-01-01T00:00:00Z"


class _Spec:
    """Operations of the OpenAPI file as (method, path regex) -> body validator."""

    def __init__(self, path: Path):
        spec = json.loads(path.read_text())
        definitions = copy.deepcopy(spec["definitions"])
        # The generated file types Duration as int64 nanoseconds, but Grafana's Go model also
        # unmarshals duration strings ("5m"), which is what provisioning files and clients send.
        definitions["Duration"] = {"type": ["integer", "string"]}
        # The contact-point type enum carries a generator artefact: " webhook", with a space.
        kinds = definitions["EmbeddedContactPoint"]["properties"]["type"]
        kinds["enum"] = [kind.strip() for kind in kinds["enum"]]
        self.operations: list[tuple[str, re.Pattern[str], Any]] = []
        for template, ops in spec["paths"].items():
            regex = re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$")
            for method, op in ops.items():
                body = next(
                    (p["schema"] for p in op.get("parameters", []) if p.get("in") == "body"), None
                )
                validator = (
                    jsonschema.Draft4Validator({**body, "definitions": definitions})
                    if body
                    else None
                )
                self.operations.append((method.upper(), regex, validator))

    def find(self, method: str, path: str) -> tuple[bool, Any]:
        for op_method, regex, validator in self.operations:
            if op_method == method and regex.match(path):
                return True, validator
        return False, None


_spec_cache: dict[str, Any] = {}


def _spec() -> _Spec | None:
    """The OpenAPI operations, or None when the reference files are not there."""
    if not schemas_available():
        return None
    if "spec" not in _spec_cache:
        _spec_cache["spec"] = _Spec(OPENAPI)
        schema = json.loads(DASHBOARD_SCHEMA.read_text())
        _spec_cache["dashboard"] = jsonschema.Draft7Validator(schema)
    return _spec_cache["spec"]


def schemas_available() -> bool:
    return OPENAPI.is_file() and DASHBOARD_SCHEMA.is_file()


def require_schemas() -> None:
    """Skip the test when ../shared/grafana is missing; fail under CI=true, where it must be present."""
    if schemas_available():
        return
    reason = f"Grafana reference schemas not found in {SHARED_GRAFANA}"
    if IN_CI:
        pytest.fail(f"{reason}; CI must provide shared/ beside the clone", pytrace=False)
    pytest.skip(reason)


def _prometheus_duration(value: Any) -> str:
    """How Grafana echoes a rule's ``for``: Prometheus' model.Duration spelling (``300s`` -> ``5m``)."""
    if isinstance(value, str):
        units = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}
        seconds = sum(
            float(n) * units[u] for n, u in re.findall(r"(\d+(?:\.\d+)?)(ms|s|m|h|d|w|y)", value)
        )
    else:
        seconds = value / 1e9  # the OpenAPI file's int64 nanoseconds
    text, rest = "", int(seconds)
    for unit, size in (
        ("y", 31536000),
        ("w", 604800),
        ("d", 86400),
        ("h", 3600),
        ("m", 60),
        ("s", 1),
    ):
        if rest >= size:
            text += f"{rest // size}{unit}"
            rest %= size
    return text or "0s"


@dataclass
class Fault:
    """What to do instead of answering: an HTTP status (with headers) or an exception to raise.

    With ``after=True`` the request is processed first and only its answer is lost,
    like a proxy timing out on a write that Grafana did apply.
    """

    status: int = 500
    headers: dict[str, str] = field(default_factory=dict)
    raise_: type[Exception] | None = None
    after: bool = False
    body: str | None = None  # raw answer instead of {"message": "simulated <status>"}


class Reply(Exception):
    """Raised inside a handler to answer with an error status."""

    def __init__(self, code: int, message: str, **extra: Any):
        self.code = code
        self.body = {"message": message, **extra}


class FakeGrafana:
    url = "http://grafana.test:3000"

    def __init__(
        self,
        *,
        token: str | None = "glsa_fake_token_for_tests",
        user: str | None = None,
        password: str | None = None,
        latency: float = 0.0,
        version: str = "11.3.0",
        url: str | None = None,
    ):
        self.url = (
            url or FakeGrafana.url
        )  # may carry a sub-path, like Grafana behind a reverse proxy
        self.token, self.user, self.password = token, user, password
        self.latency = latency
        self.version = version
        self.folders: dict[str, dict[str, Any]] = {}
        self.dashboards: dict[str, dict[str, Any]] = {}  # uid -> {"dashboard", "meta", "versions"}
        self.rule_groups: dict[tuple[str, str], dict[str, Any]] = {}
        self.datasources: dict[str, dict[str, Any]] = {}
        self.notifications = Notifications()
        self.requests: list[tuple[str, str]] = []
        self.headers_seen: list[dict[str, str]] = []
        self.transport_seen: list[dict[str, Any]] = []  # verify/timeout each request was sent with
        self.violations: list[str] = []
        self.faults: list[tuple[str, re.Pattern[str], deque[Fault]]] = []
        self.forbidden: set[tuple[str, str]] = set()
        self.before_write: dict[str, Callable[[], None]] = {}
        self._ids = itertools.count(1)
        self._lock = threading.RLock()
        self.spec = _spec()
        self.validating = self.spec is not None

    # -- wiring --------------------------------------------------------------------------

    def install(self, mock: responses.RequestsMock) -> FakeGrafana:
        self.mock = mock  # tests add other hosts' answers to the same mock
        pattern = re.compile(re.escape(self.url) + r"/.*")
        for method in ("GET", "POST", "PUT", "DELETE", "PATCH"):
            mock.add_callback(method, pattern, callback=self._handle)
        return self

    # -- knobs for tests -----------------------------------------------------------------

    def fail(self, method: str, path_regex: str, *faults: Fault) -> None:
        """Answer the next matching requests with ``faults``, in order, then behave normally."""
        self.faults.append((method, re.compile(path_regex), deque(faults)))

    def forbid(self, method: str, path_prefix: str) -> None:
        self.forbidden.add((method, path_prefix))

    def ui_edit(
        self, uid: str, change: Callable[[dict[str, Any]], None], user: str = "alice"
    ) -> None:
        """Someone saves the dashboard in the UI: new version, no mlmon message."""
        with self._lock:
            entry = self.dashboards[uid]
            change(entry["dashboard"])
            self._bump(entry, message="", user=user)

    def writes(self) -> list[tuple[str, str]]:
        return [r for r in self.requests if r[0] in ("POST", "PUT", "DELETE", "PATCH")]

    def reads(self) -> list[tuple[str, str]]:
        return [r for r in self.requests if r[0] == "GET"]

    def count(self) -> Counter:
        return Counter(m for m, _ in self.requests)

    def reset_log(self) -> None:
        self.requests.clear()

    # -- request handling ----------------------------------------------------------------

    def _handle(self, request: requests.PreparedRequest):
        parts = urlsplit(request.url)
        prefix = urlsplit(self.url).path.rstrip("/") + "/api"
        path = unquote(parts.path)
        assert path.startswith(prefix + "/"), f"request outside {prefix}: {request.method} {path}"
        api_path = path[len(prefix) :]
        method = request.method
        self.requests.append((method, path))
        self.headers_seen.append(dict(request.headers))
        self.transport_seen.append(
            {k: getattr(request, "req_kwargs", {}).get(k) for k in ("verify", "timeout")}
        )
        if self.latency:
            time.sleep(
                self.latency
            )  # simulated network latency, outside the lock (benchmarks only)
        fault = self._next_fault(method, api_path)
        if fault is not None and not fault.after:
            return self._fail(fault, method, path)
        query = {k: v for k, v in parse_qs(parts.query).items()}
        try:
            body = json.loads(request.body) if request.body else None
        except ValueError:
            return self._violation(f"{method} {path}: body is not JSON")
        if self.spec is not None and (method, api_path) not in UNDOCUMENTED:
            known, validator = self.spec.find(method, api_path)
            if not known:
                return self._violation(f"{method} {path}: not an operation of Grafana's HTTP API")
            if validator is not None:
                errors = sorted(validator.iter_errors(body), key=str)
                if errors:
                    return self._violation(
                        f"{method} {path}: body violates the OpenAPI schema: {errors[0].message}"
                    )
        auth = self._authenticate(request.headers.get("Authorization", ""))
        if auth is None and api_path != "/health":  # Grafana answers its health check anonymously
            return 401, {}, json.dumps({"message": "Invalid API key"})
        if any(method == m and api_path.startswith(p) for m, p in self.forbidden):
            return (
                403,
                {},
                json.dumps(
                    {"message": "You'll need additional permissions to perform this action."}
                ),
            )
        try:
            with self._lock:
                status, payload = self._route(
                    method, api_path, query, body, dict(request.headers), auth
                )
        except Reply as reply:
            return reply.code, {}, json.dumps(reply.body)
        if fault is not None:
            return self._fail(fault, method, path)
        if status == 204:
            return 204, {}, ""
        return status, {"Content-Type": "application/json"}, json.dumps(payload)

    @staticmethod
    def _fail(fault: Fault, method: str, path: str):
        if fault.raise_ is not None:
            raise fault.raise_(f"simulated {fault.raise_.__name__} on {method} {path}")
        if fault.body is not None:
            return fault.status, fault.headers, fault.body
        return fault.status, fault.headers, json.dumps({"message": f"simulated {fault.status}"})

    def _violation(self, message: str):
        self.violations.append(message)
        return 422, {}, json.dumps({"message": f"fake Grafana: {message}"})

    def _next_fault(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for fault_method, regex, queue in self.faults:
                if fault_method == method and regex.search(path) and queue:
                    return queue.popleft()
        return None

    def _authenticate(self, header: str) -> str | None:
        import base64

        if self.token and header == f"Bearer {self.token}":
            return "sa-mlmon"
        if self.user and header.startswith("Basic "):
            user, _, password = base64.b64decode(header[6:]).decode().partition(":")
            if (user, password) == (self.user, self.password):
                return user
        return None

    def _route(
        self,
        method: str,
        path: str,
        query: dict[str, list[str]],
        body: Any,
        headers: dict[str, str],
        login: str | None,
    ) -> tuple[int, Any]:
        segments = path.strip("/").split("/")
        if path == "/health":
            return 200, {"commit": "fake", "database": "ok", "version": self.version}
        if segments[0] == "folders":
            return self._folders(method, segments[1:], body)
        if path == "/search":
            return 200, self._search(query)
        if path == "/dashboards/db" and method == "POST":
            return self._save_dashboard(body, login)
        if segments[:2] == ["dashboards", "uid"]:
            return self._dashboard(method, segments[2], segments[3:], query)
        if segments[:3] == ["v1", "provisioning", "folder"] and segments[4] == "rule-groups":
            return self._rule_group(method, segments[3], segments[5], body, headers)
        if path == "/v1/provisioning/alert-rules" and method == "GET":
            return 200, [rule for group in self.rule_groups.values() for rule in group["rules"]]
        if segments[0] == "datasources":
            return self._datasource(method, segments[1:], body)
        if segments[:2] == ["v1", "provisioning"] and len(segments) > 2:
            answer = self.notifications.handle(method, segments[2:], body)
            if answer is not None:
                return answer
        raise Reply(404, f"fake Grafana does not implement {method} {path}")

    # -- folders -------------------------------------------------------------------------

    def _folders(self, method: str, rest: list[str], body: Any) -> tuple[int, Any]:
        if method == "GET" and not rest:
            return 200, [{"uid": f["uid"], "title": f["title"]} for f in self.folders.values()]
        if method == "POST" and not rest:
            uid = body.get("uid") or f"f{next(self._ids)}"
            if uid in self.folders:
                raise Reply(409, "a folder with the same uid already exists")
            parent = body.get("parentUid") or None
            if parent and parent not in self.folders:
                raise Reply(404, "parent folder not found")
            if any(
                f["title"] == body["title"] and f.get("parentUid") == parent
                for f in self.folders.values()
            ):
                raise Reply(409, "a folder with the same name already exists")
            folder = {
                "id": next(self._ids),
                "uid": uid,
                "title": body["title"],
                "version": 1,
                "created": TIMESTAMP,
                "updated": TIMESTAMP,
                "url": f"/dashboards/f/{uid}/",
            }
            if parent:
                folder["parentUid"] = parent
            self.folders[uid] = folder
            return 200, folder
        folder = self.folders.get(rest[0])
        if folder is None:
            raise Reply(404, "folder not found")
        if method == "GET":
            return 200, folder
        if method == "PUT":
            if not body.get("overwrite") and body.get("version") != folder["version"]:
                raise Reply(
                    412, "the folder has been changed by someone else", status="version-mismatch"
                )
            folder.update(title=body.get("title", folder["title"]), version=folder["version"] + 1)
            return 200, folder
        if method == "POST" and rest[1:] == ["move"]:
            parent = body.get("parentUid") or None
            folder.pop("parentUid", None)
            if parent:
                folder["parentUid"] = parent
            return 200, folder
        raise Reply(405, "method not allowed")

    # -- dashboards ----------------------------------------------------------------------

    def _search(self, query: dict[str, list[str]]) -> list[dict[str, Any]]:
        tags = set(query.get("tag", []))
        hits = []
        for uid, entry in sorted(self.dashboards.items()):
            dash, meta = entry["dashboard"], entry["meta"]
            if tags and not tags <= set(dash.get("tags", [])):
                continue
            hits.append(
                {
                    "id": dash["id"],
                    "uid": uid,
                    "title": dash.get("title", ""),
                    "type": "dash-db",
                    "tags": dash.get("tags", []),
                    "folderUid": meta.get("folderUid", ""),
                    "folderTitle": meta.get("folderTitle", ""),
                    "url": meta["url"],
                    "uri": f"db/{uid}",
                }
            )
        limit = int(query.get("limit", ["1000"])[0])
        page = int(query.get("page", ["1"])[0])
        return hits[(page - 1) * limit : page * limit]

    def _bump(self, entry: dict[str, Any], message: str, user: str) -> None:
        entry["dashboard"]["version"] = entry["meta"]["version"] = entry["meta"]["version"] + 1
        entry["meta"]["updatedBy"] = user
        entry["versions"].insert(
            0,
            {
                "version": entry["meta"]["version"],
                "message": message,
                "createdBy": user,
                "created": TIMESTAMP,
                "uid": entry["dashboard"]["uid"],
            },
        )

    def _save_dashboard(self, body: dict[str, Any], login: str) -> tuple[int, Any]:
        dash = copy.deepcopy(body["dashboard"])
        errors = (
            sorted(_spec_cache["dashboard"].iter_errors(dash), key=str) if self.validating else []
        )
        if errors:
            self.violations.append(
                f"dashboard {dash.get('uid')}: {errors[0].message} at {list(errors[0].path)}"
            )
            raise Reply(422, "fake Grafana: dashboard violates dashboard.jsonschema.json")
        if "folderUid" not in body:
            self.violations.append(
                f"dashboard {dash.get('uid')}: sent without folderUid (Grafana moves it to root)"
            )
        folder_uid = body.get("folderUid") or ""
        if folder_uid and folder_uid not in self.folders:
            raise Reply(400, "folder not found", status="not-found")
        uid = dash.get("uid") or f"d{next(self._ids)}"
        hook = self.before_write.pop(uid, None)
        if hook:
            hook()
        existing = self.dashboards.get(uid)
        overwrite = bool(body.get("overwrite"))
        for other_uid, other in self.dashboards.items():
            if (
                other_uid != uid
                and other["dashboard"].get("title") == dash.get("title")
                and other["meta"].get("folderUid", "") == folder_uid
                and not overwrite
            ):
                raise Reply(
                    412,
                    "A dashboard with the same name in the folder already exists",
                    status="name-exists",
                )
        if existing is not None:
            if existing["meta"].get("provisioned") and not existing["meta"].get("allowUiUpdates"):
                raise Reply(400, "Cannot save provisioned dashboard")
            if existing["meta"].get("plugin") and not overwrite:
                raise Reply(412, "The dashboard belongs to plugin", status="plugin-dashboard")
            if not overwrite and dash.get("version") != existing["meta"]["version"]:
                raise Reply(
                    412, "The dashboard has been changed by someone else", status="version-mismatch"
                )
            dash["id"] = existing["dashboard"]["id"]
            entry = existing
            entry["dashboard"] = dash
        else:
            dash["id"] = next(self._ids)
            entry = {
                "versions": [],
                "meta": {
                    "version": 0,
                    "created": TIMESTAMP,
                    "createdBy": login,
                    "url": f"/d/{uid}/",
                    "slug": uid,
                },
            }
            self.dashboards[uid] = entry
            entry["dashboard"] = dash
        dash["uid"] = uid
        folder = self.folders.get(folder_uid, {})
        entry["meta"].update(
            folderUid=folder_uid, folderTitle=folder.get("title", "General"), updated=TIMESTAMP
        )
        self._bump(entry, message=body.get("message", ""), user=login)
        return 200, {
            "id": dash["id"],
            "uid": uid,
            "url": entry["meta"]["url"],
            "status": "success",
            "version": entry["meta"]["version"],
            "title": dash.get("title", ""),
            "folderUid": folder_uid,
        }

    def _dashboard(
        self, method: str, uid: str, rest: list[str], query: dict[str, list[str]]
    ) -> tuple[int, Any]:
        entry = self.dashboards.get(uid)
        if entry is None:
            raise Reply(404, "Dashboard not found")
        if rest == ["versions"] and method == "GET":
            limit = int(query.get("limit", ["0"])[0]) or None
            return 200, entry["versions"][:limit]
        if method == "GET" and not rest:
            return 200, {
                "dashboard": copy.deepcopy(entry["dashboard"]),
                "meta": copy.deepcopy(entry["meta"]),
            }
        if method == "DELETE" and not rest:
            del self.dashboards[uid]
            return 200, {
                "title": entry["dashboard"].get("title"),
                "message": "Dashboard deleted",
                "id": entry["dashboard"]["id"],
            }
        raise Reply(405, "method not allowed")

    # -- alert rule groups ---------------------------------------------------------------

    def _rule_group(
        self, method: str, folder_uid: str, group: str, body: Any, headers: dict[str, str]
    ) -> tuple[int, Any]:
        key = (folder_uid, group)
        if method == "GET":
            if key not in self.rule_groups:
                raise Reply(404, "rule group not found")
            return 200, copy.deepcopy(self.rule_groups[key])
        if method == "DELETE":
            if self.rule_groups.pop(key, None) is None:
                raise Reply(404, "rule group not found")
            return 204, None
        if method != "PUT":
            raise Reply(405, "method not allowed")
        if folder_uid not in self.folders:
            raise Reply(404, "folder does not exist")
        if body.get("folderUid") != folder_uid or body.get("title") != group:
            raise Reply(400, "folderUid/title in the body must match the path")
        provenance = "" if headers.get("X-Disable-Provenance") == "true" else "api"
        previous = {r["title"]: r for r in self.rule_groups.get(key, {}).get("rules", [])}
        if any(r.get("provenance") == "file" for r in previous.values()):
            raise Reply(
                409, f"cannot update with provided provenance '{provenance}', needed 'file'"
            )
        rules = []
        for rule in body.get("rules", []):
            if rule.get("folderUID") != folder_uid or rule.get("ruleGroup") != group:
                raise Reply(
                    400, f"rule {rule.get('title')!r}: folderUID/ruleGroup must match the group"
                )
            old = previous.get(rule["title"], {})
            rule = {**rule, "for": _prometheus_duration(rule.get("for", 0))}
            rules.append(
                {
                    "isPaused": False,
                    "notification_settings": None,
                    "record": None,
                    **rule,
                    "id": old.get("id") or next(self._ids),
                    "uid": rule.get("uid") or old.get("uid") or f"r{next(self._ids)}",
                    "updated": TIMESTAMP,
                    "provenance": provenance,
                    "orgID": 1,
                }
            )
        self.rule_groups[key] = {
            "title": group,
            "folderUid": folder_uid,
            "interval": body.get("interval", 60),
            "rules": rules,
        }
        return 200, copy.deepcopy(self.rule_groups[key])

    # -- datasources ---------------------------------------------------------------------

    def _datasource(self, method: str, rest: list[str], body: Any) -> tuple[int, Any]:
        if method == "POST" and not rest:
            if any(d["name"] == body["name"] for d in self.datasources.values()):
                raise Reply(409, "data source with the same name already exists")
            uid = body.get("uid") or f"ds{next(self._ids)}"
            self.datasources[uid] = {
                "id": next(self._ids),
                "orgId": 1,
                "version": 1,
                "readOnly": False,
                "basicAuth": False,
                **body,
                "uid": uid,
            }
            return 200, {
                "datasource": self.datasources[uid],
                "id": self.datasources[uid]["id"],
                "message": "Datasource added",
                "name": body["name"],
            }
        if rest[:1] == ["uid"] and len(rest) == 2:
            current = self.datasources.get(rest[1])
            if current is None:
                raise Reply(404, "Data source not found")
            if method == "GET":
                return 200, current
            if method == "PUT":
                current.update(body)
                current["version"] += 1
                return 200, {
                    "datasource": current,
                    "id": current["id"],
                    "message": "Datasource updated",
                    "name": current["name"],
                }
        raise Reply(405, "method not allowed")
