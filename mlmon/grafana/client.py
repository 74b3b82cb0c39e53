"""Grafana in domain verbs, on a ``requests`` session, with failures a user can act on.

Every call goes through :meth:`GrafanaClient.request`, which sends one request
(retries live in the session's adapter, see :mod:`mlmon.grafana.transport`),
refuses redirects to another origin, insists on the JSON Grafana's API answers,
and turns transport and HTTP failures into :mod:`mlmon.grafana.errors`
exceptions naming the resource, the credential *kind* and what to do.

Why no grafana-client: mlmon used ~17 of its one-line path wrappers and none of
its behaviour (auth, retries and the session were already ours). Its 4.x/5.x
lines pull ``niquests``, whose ``urllib3-future`` overwrites the ``urllib3``
package in the user's environment; its 3.x line pins ``verlib2`` exactly and is
no longer developed; and it returns HTML answers as ``str`` where callers expect
JSON (the tracebacks of issue #12, D9). The wrappers are the paths below.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote, urljoin, urlsplit

import requests

from mlmon.grafana.canonical import comparable_datasource
from mlmon.grafana.config import Target
from mlmon.grafana.errors import (
    GrafanaAuthError,
    GrafanaConflictError,
    GrafanaError,
    GrafanaRequestError,
    GrafanaUnreachable,
    NotGrafanaError,
    RedirectRefused,
    UnexpectedAnswerError,
)
from mlmon.grafana.redact import redact
from mlmon.grafana.transport import build_session

SEARCH_PAGE = 5000
MIN_VERSION = (9, 1)
MAX_REDIRECTS = 5
REDIRECTS = frozenset({301, 302, 303, 307, 308})

# What a 403 on each kind of call means the credential is missing.
PERMISSIONS = {
    "read": "read access (Viewer role, or dashboards:read / folders:read)",
    "dashboard": "dashboards:write and dashboards:create on the folder (Editor role)",
    "folder": "folders:create and folders:write (Editor role)",
    "rule-group": "alert.provisioning:write (Editor role, or the 'Rules Writer' fixed role)",
    "datasource": "datasources:write and datasources:create (Admin role)",
    "delete": "dashboards:delete / alert.provisioning:write (Editor role)",
}

CONFLICT_EXPLANATIONS = {
    "version-mismatch": "someone saved it in Grafana (e.g. in the UI) after mlmon read it",
    "name-exists": "another dashboard in the same folder already has this title",
    "plugin-dashboard": "it was installed by a Grafana plugin; plugin dashboards can only be replaced by "
    "overwriting them (or remove the plugin's copy first)",
}

NOT_THE_API = (
    "GRAFANA_URL must be Grafana's own root URL (e.g. http://localhost:3000), not a login page, "
    "proxy or another service in front of it"
)


def _version_tuple(text: str) -> tuple[int, ...]:
    """``"11.3.0-pre"`` -> ``(11, 3, 0)``; empty when unparseable (then no version check)."""
    numbers = []
    for part in text.split("-")[0].split("."):
        if not part.isdigit():
            break
        numbers.append(int(part))
    return tuple(numbers)


def _segment(value: str) -> str:
    """One path segment: a uid or group title with ``/``, ``?`` or ``#`` stays one segment."""
    return quote(value, safe="")


def _origin(url: str) -> str:
    parts = urlsplit(url)
    port = parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    default = {"http": 80, "https": 443}.get(parts.scheme)
    return f"{parts.scheme}://{parts.hostname}" + (f":{port}" if port != default else "")


def _shape(expected: type | tuple[type, ...]) -> str:
    names: dict[type, str] = {dict: "an object", list: "a list"}
    kinds = expected if isinstance(expected, tuple) else (expected,)
    return " or ".join(names.get(k, k.__name__) for k in kinds)


class GrafanaClient:
    """One Grafana target. Thread-safe: requests' session pool serves concurrent calls."""

    def __init__(
        self,
        target: Target,
        *,
        sleep: Callable[[float], None] | None = None,
        pool_maxsize: int = 16,
    ):
        self.target = target
        self._session = build_session(target, sleep=sleep, pool_maxsize=pool_maxsize)

    def __repr__(self) -> str:
        return f"GrafanaClient({self.target.url!r})"

    def close(self) -> None:
        self._session.close()

    # -- one request (public: the notification resources use it too) ----------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        what: str,
        kind: str = "read",
        body: Any = None,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        expect: type | tuple[type, ...] | None = dict,
    ) -> Any:
        """Send ``method path`` (below ``/api``); return its JSON, checked to be of type ``expect``.

        ``expect=None`` accepts an empty answer (204 or no body) and returns None for it.
        """
        url = self.target.api_url + path
        response = self._send(method, url, what, body, params, headers)
        if response.status_code >= 400:
            raise self._http_error(what, kind, response)
        text = response.text
        if expect is None and not text.strip():
            return None
        content_type = response.headers.get("Content-Type", "").split(";")[0].strip()
        try:
            value = json.loads(text)
        except ValueError:
            looks = content_type or "no content type"
            detail = "invalid JSON" if "json" in looks else looks
            raise UnexpectedAnswerError(
                f"{what}: {method} {urlsplit(url).path} answered {response.status_code} with {detail} "
                f"({text.strip()[:80]!r}), which is not what Grafana's API answers; {NOT_THE_API}"
            ) from None
        if expect is not None and not isinstance(value, expect):
            raise UnexpectedAnswerError(
                f"{what}: {method} {urlsplit(url).path} answered JSON {type(value).__name__} "
                f"where Grafana answers {_shape(expect)}, which is not what Grafana's API answers; "
                f"{NOT_THE_API}"
            )
        return value

    def _send(
        self,
        method: str,
        url: str,
        what: str,
        body: Any,
        params: Mapping[str, Any] | None,
        headers: Mapping[str, str] | None,
    ) -> requests.Response:
        """Send, following redirects only within Grafana's origin and only where they keep the request."""
        for _ in range(MAX_REDIRECTS + 1):
            try:
                response = self._session.request(
                    method,
                    url,
                    json=body,
                    params=params,
                    headers=dict(headers or {}),
                    timeout=self.target.timeout,
                    verify=self.target.verify,
                    allow_redirects=False,  # requests would resend the body (307/308) to any host
                )
            except requests.exceptions.Timeout:
                raise GrafanaUnreachable(
                    f"{what}: Grafana at {self.target.url} did not answer within {self.target.timeout:g}s "
                    f"after {self.target.attempts} attempts (raise GRAFANA_TIMEOUT or check the server)"
                ) from None
            except requests.exceptions.SSLError as exc:
                raise GrafanaUnreachable(
                    f"{what}: TLS verification of {self.target.url} failed ({type(exc).__name__}); "
                    "point GRAFANA_CA_BUNDLE (or --ca-bundle) at the CA that signed its certificate"
                ) from None
            except requests.exceptions.ConnectionError:
                raise GrafanaUnreachable(
                    f"{what}: cannot connect to Grafana at {self.target.url} after {self.target.attempts} "
                    "attempts (is it running, and is GRAFANA_URL right?)"
                ) from None
            except requests.exceptions.RequestException as exc:
                raise GrafanaRequestError(f"{what}: {type(exc).__name__}: {exc}") from None
            if response.status_code not in REDIRECTS or "Location" not in response.headers:
                return response
            location = urljoin(url, response.headers["Location"])
            path = urlsplit(url).path
            response.close()
            if _origin(location) != _origin(url):
                raise RedirectRefused(
                    f"{what}: Grafana at {self.target.url} redirected {method} {path} to another origin "
                    f"({_origin(location)}); mlmon does not follow redirects to another host, scheme or "
                    "port, which would hand it the request and its body. If that is Grafana's real "
                    "address, set GRAFANA_URL to the address it redirects to"
                )
            if method not in ("GET", "HEAD") and response.status_code not in (307, 308):
                raise RedirectRefused(
                    f"{what}: Grafana at {self.target.url} redirected {method} {path} with "
                    f"{response.status_code}, which turns the write into a GET; {NOT_THE_API}"
                )
            url, params = location, None  # the Location carries the query
        raise UnexpectedAnswerError(
            f"{what}: more than {MAX_REDIRECTS} redirects from {self.target.url}; {NOT_THE_API}"
        )

    # -- error mapping -------------------------------------------------------------------

    def _credential_text(self) -> str:
        cred = self.target.credential
        return (
            cred.describe()
            if cred
            else "an anonymous request (no GRAFANA_TOKEN or GRAFANA_USER/GRAFANA_PASSWORD)"
        )

    def _http_error(self, what: str, kind: str, response: requests.Response) -> GrafanaError:
        status = response.status_code
        try:
            parsed = response.json()
        except ValueError:
            parsed = None
        body = parsed if isinstance(parsed, dict) else {}
        message = body.get("message") or response.text or response.reason or ""
        message = redact(str(message).strip())[:300]
        if status == 401 and self.target.credential is None:
            return GrafanaAuthError(
                f"{what}: Grafana at {self.target.url} requires authentication (401) and no credential is set: "
                "export GRAFANA_TOKEN (a service-account token) or GRAFANA_USER/GRAFANA_PASSWORD",
                status=401,
            )
        if status == 401:
            return GrafanaAuthError(
                f"{what}: Grafana at {self.target.url} rejected {self._credential_text()} (401 Unauthorized: "
                f"{message}); check that it is valid, not expired and belongs to this Grafana",
                status=401,
            )
        if status == 403:
            return GrafanaAuthError(
                f"{what}: {self._credential_text()} is not allowed to do this (403 Forbidden: {message}); "
                f"it needs {PERMISSIONS.get(kind, PERMISSIONS['read'])}",
                status=403,
            )
        if status == 412:
            reason = str(body.get("status", "version-mismatch"))
            explanation = CONFLICT_EXPLANATIONS.get(reason, message)
            return GrafanaConflictError(
                f"{what}: Grafana refused the update ({reason}): {explanation}. "
                "Pull it (`mlmon pull`) to keep those changes, or push with --overwrite to replace them",
                reason=reason,
            )
        if status == 400 and "provisioned" in message.lower():
            return GrafanaConflictError(
                f"{what}: Grafana refused the update: it is provisioned from a file on the Grafana server "
                f"({message}); set allowUiUpdates: true in that dashboard provider, stop provisioning it from "
                "files, or give the mlmon dashboard another uid",
                reason="provisioned",
            )
        if status in (400, 409) and "provenance" in message.lower():
            return GrafanaConflictError(
                f"{what}: Grafana refused the update: its rules were provisioned another way (e.g. from "
                f"provisioning files) and Grafana will not let the API change them ({message}); stop provisioning "
                "them from files, or push to a Grafana that does not",
                reason="provenance",
            )
        if status >= 500:
            return GrafanaRequestError(
                f"{what}: Grafana failed with {status} ({message}) after {self.target.attempts} attempts",
                status=status,
            )
        return GrafanaRequestError(
            f"{what}: Grafana refused it with {status}: {message}", status=status
        )

    def _get_or_none(self, path: str, what: str, expect: type = dict) -> Any:
        try:
            return self.request("GET", path, what=what, expect=expect)
        except GrafanaRequestError as exc:
            if exc.status == 404:
                return None
            raise

    # -- health --------------------------------------------------------------------------

    def health(self) -> dict[str, Any]:
        """``GET /api/health``; raise NotGrafanaError when the answer is not Grafana's."""
        what = f"health check of {self.target.url}"
        try:
            body = self.request("GET", "/health", what=what)
        except RedirectRefused:
            raise
        except UnexpectedAnswerError:
            raise NotGrafanaError(
                f"{self.target.url} is not a Grafana: GET /api/health did not return Grafana's health JSON; "
                "GRAFANA_URL must be Grafana's root URL (e.g. http://localhost:3000)"
            ) from None
        except GrafanaRequestError as exc:
            if exc.status is not None and exc.status >= 500:
                raise  # a Grafana failing (after retries), not a wrong URL
            raise NotGrafanaError(
                f"{self.target.url} is not a Grafana: GET /api/health answered {exc.status}; "
                "GRAFANA_URL must be Grafana's root URL (e.g. http://localhost:3000)"
            ) from None
        if "database" not in body or "version" not in body:
            raise NotGrafanaError(
                f"{self.target.url} is not a Grafana: GET /api/health did not return Grafana's health JSON; "
                "GRAFANA_URL must be Grafana's root URL (e.g. http://localhost:3000)"
            )
        version = _version_tuple(str(body["version"]))
        if version and version < MIN_VERSION:
            raise NotGrafanaError(
                f"Grafana at {self.target.url} is version {body['version']}; mlmon needs "
                f"{'.'.join(map(str, MIN_VERSION))} or newer (alert rule provisioning API, folderUid on dashboards)"
            )
        if body.get("database") != "ok":
            raise GrafanaRequestError(
                f"Grafana at {self.target.url} reports its database as {body['database']!r}"
            )
        return body

    # -- folders -------------------------------------------------------------------------

    def get_folder(self, uid: str) -> dict[str, Any] | None:
        return self._get_or_none(f"/folders/{_segment(uid)}", f"folder {uid!r}")

    def create_folder(self, uid: str, title: str, parent_uid: str | None) -> dict[str, Any]:
        what = f"folder {title!r} (uid {uid})"
        body: dict[str, Any] = {"title": title, "uid": uid}
        if parent_uid is not None:
            body["parentUid"] = parent_uid
        try:
            return self.request("POST", "/folders", what=what, kind="folder", body=body)
        except GrafanaRequestError as exc:
            if exc.status != 409:
                raise
            # a retried create that succeeded, or a folder created concurrently: fine if it is ours
            existing = self.get_folder(uid)
            if existing is not None:
                return existing
            raise GrafanaConflictError(
                f"{what}: a folder titled {title!r} already exists with another uid; "
                "give it that uid in mlmon.toml [[folders]], or rename/delete the existing folder",
                reason="name-exists",
            ) from None

    def update_folder(self, uid: str, title: str, version: int | None) -> dict[str, Any]:
        body: dict[str, Any] = {"title": title, "overwrite": True}
        if version:
            body["version"] = version
        return self.request(
            "PUT", f"/folders/{_segment(uid)}", what=f"folder {uid!r}", kind="folder", body=body
        )

    def move_folder(self, uid: str, parent_uid: str | None) -> dict[str, Any]:
        return self.request(
            "POST",
            f"/folders/{_segment(uid)}/move",
            what=f"folder {uid!r}",
            kind="folder",
            body={"parentUid": parent_uid or ""},
        )

    # -- dashboards ----------------------------------------------------------------------

    def search_dashboards(self) -> list[dict[str, Any]]:
        """Every dashboard the credential can see (one request per 5000)."""
        hits: list[dict[str, Any]] = []
        page = 1
        while True:
            batch = self.request(
                "GET",
                "/search",
                what="searching dashboards",
                params={"type": "dash-db", "limit": SEARCH_PAGE, "page": page},
                expect=list,
            )
            if not all(isinstance(hit, dict) and isinstance(hit.get("uid"), str) for hit in batch):
                raise UnexpectedAnswerError(
                    "searching dashboards: GET /api/search answered a list whose entries are not "
                    f"dashboards (no uid), which is not what Grafana's API answers; {NOT_THE_API}"
                )
            hits.extend(batch)
            if len(batch) < SEARCH_PAGE:
                return hits
            page += 1

    def get_dashboard(self, uid: str) -> dict[str, Any] | None:
        """``{"dashboard": ..., "meta": ...}`` or None when it does not exist."""
        found = self._get_or_none(f"/dashboards/uid/{_segment(uid)}", f"dashboard {uid!r}")
        if found is not None and not isinstance(found.get("dashboard"), dict):
            raise UnexpectedAnswerError(
                f"dashboard {uid!r}: GET /api/dashboards/uid/{uid} answered JSON without a "
                f"dashboard object, which is not what Grafana's API answers; {NOT_THE_API}"
            )
        return found

    def last_version_message(self, uid: str) -> str | None:
        """The commit message of the dashboard's latest saved version ("" when saved from the UI)."""
        try:
            body = self.request(
                "GET",
                f"/dashboards/uid/{_segment(uid)}/versions",
                what=f"versions of dashboard {uid!r}",
                params={"limit": 1},
                expect=(dict, list),
            )
        except GrafanaRequestError as exc:
            if exc.status == 404:
                return None
            raise
        # Grafana < 12 answers a list, 12+ wraps it as {"versions": [...]}
        versions = body.get("versions", []) if isinstance(body, dict) else body
        if not versions or not isinstance(versions[0], dict):
            return None
        return str(versions[0].get("message") or "")

    def upsert_dashboard(
        self, dashboard: dict[str, Any], folder_uid: str, message: str, overwrite: bool = False
    ) -> dict[str, Any]:
        """``POST /api/dashboards/db``, always with ``folderUid`` (without it Grafana moves it to the root)."""
        body = {
            "dashboard": dashboard,
            "folderUid": folder_uid,
            "message": message,
            "overwrite": overwrite,
        }
        what = f"dashboard {dashboard.get('title')!r} (uid {dashboard.get('uid')})"
        return self.request("POST", "/dashboards/db", what=what, kind="dashboard", body=body)

    def _delete(self, path: str, what: str) -> None:
        try:
            self.request("DELETE", path, what=what, kind="delete", expect=None)
        except GrafanaRequestError as exc:
            # gone already: e.g. a retried DELETE whose first attempt was applied but timed out
            if exc.status != 404:
                raise

    def delete_dashboard(self, uid: str, title: str) -> None:
        self._delete(f"/dashboards/uid/{_segment(uid)}", f"dashboard {title!r} (uid {uid})")

    # -- alert rule groups ---------------------------------------------------------------

    @staticmethod
    def _rule_group_path(folder_uid: str, group: str) -> str:
        return f"/v1/provisioning/folder/{_segment(folder_uid)}/rule-groups/{_segment(group)}"

    def get_rule_group(self, folder_uid: str, group: str) -> dict[str, Any] | None:
        return self._get_or_none(
            self._rule_group_path(folder_uid, group),
            f"rule group {group!r} in folder {folder_uid!r}",
        )

    def put_rule_group(
        self, body: dict[str, Any], disable_provenance: bool = False
    ) -> dict[str, Any]:
        """``PUT /api/v1/provisioning/folder/{folderUid}/rule-groups/{group}`` — idempotent by design."""
        return self.request(
            "PUT",
            self._rule_group_path(body["folderUid"], body["title"]),
            what=f"rule group {body['title']!r} in folder {body['folderUid']!r}",
            kind="rule-group",
            body=body,
            headers={"X-Disable-Provenance": "true"} if disable_provenance else None,
        )

    def list_alert_rules(self) -> list[dict[str, Any]]:
        rules = self.request(
            "GET", "/v1/provisioning/alert-rules", what="listing alert rules", expect=list
        )
        if not all(isinstance(rule, dict) for rule in rules):
            raise UnexpectedAnswerError(
                "listing alert rules: GET /api/v1/provisioning/alert-rules answered a list of "
                f"non-objects, which is not what Grafana's API answers; {NOT_THE_API}"
            )
        return rules

    def delete_rule_group(self, folder_uid: str, group: str) -> None:
        self._delete(
            self._rule_group_path(folder_uid, group),
            f"rule group {group!r} in folder {folder_uid!r}",
        )

    # -- datasources ---------------------------------------------------------------------

    def get_datasource(self, uid: str) -> dict[str, Any] | None:
        return self._get_or_none(f"/datasources/uid/{_segment(uid)}", f"datasource {uid!r}")

    def create_datasource(self, body: dict[str, Any]) -> dict[str, Any]:
        what = f"datasource {body.get('name')!r}"
        try:
            return self.request("POST", "/datasources", what=what, kind="datasource", body=body)
        except GrafanaRequestError as exc:
            if exc.status != 409:
                raise
            # A POST whose answer was lost (timeout) and was retried meets itself: success when
            # the datasource now in Grafana under our uid is the one we asked for.
            existing = self.get_datasource(str(body.get("uid", "")))
            if existing is not None and comparable_datasource(existing, body) == body:
                return {"datasource": existing, "message": "Datasource added"}
            raise

    def update_datasource(self, uid: str, body: dict[str, Any]) -> dict[str, Any]:
        return self.request(
            "PUT",
            f"/datasources/uid/{_segment(uid)}",
            what=f"datasource {body.get('name')!r}",
            kind="datasource",
            body=body,
        )
