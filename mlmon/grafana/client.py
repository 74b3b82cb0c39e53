"""Grafana in domain verbs, on top of grafana-client, with failures a user can act on.

Every call goes through :meth:`GrafanaClient._call`, which turns transport and
HTTP failures into :mod:`mlmon.grafana.errors` exceptions naming the resource,
the credential *kind* and what to do.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import quote, urlsplit

import requests
from grafana_client import GrafanaApi
from grafana_client.client import GrafanaClientError, GrafanaException, GrafanaServerError

from mlmon.grafana.config import Target
from mlmon.grafana.errors import (
    GrafanaAuthError,
    GrafanaConflictError,
    GrafanaError,
    GrafanaRequestError,
    GrafanaUnreachable,
    NotGrafanaError,
)
from mlmon.grafana.transport import build_session

T = TypeVar("T")

SEARCH_PAGE = 5000
MIN_VERSION = (9, 1)

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


def _version_tuple(text: str) -> tuple[int, ...]:
    """``"11.3.0-pre"`` -> ``(11, 3, 0)``; empty when unparseable (then no version check)."""
    numbers = []
    for part in text.split("-")[0].split("."):
        if not part.isdigit():
            break
        numbers.append(int(part))
    return tuple(numbers)


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
        parts = urlsplit(target.url)
        prefix = parts.path.strip("/")
        self._api = GrafanaApi(
            auth=None,  # our session carries the auth so its repr stays redacted
            host=parts.hostname,
            port=parts.port,
            url_path_prefix=f"{prefix}/" if prefix else "",
            protocol=parts.scheme,
            verify=target.verify,
            timeout=target.timeout,
        )
        if not hasattr(
            self._api.client, "s"
        ):  # the attribute every grafana-client 2.x-5.x sends through
            raise GrafanaError(
                "this grafana-client version keeps no HTTP session in .client.s; "
                "install grafana-client>=4,<6 (pip install -e .)"
            )
        self._api.client.s.close()
        self._api.client.s = build_session(target, sleep=sleep, pool_maxsize=pool_maxsize)

    def __repr__(self) -> str:
        return f"GrafanaClient({self.target.url!r})"

    def close(self) -> None:
        self._api.client.s.close()

    # -- error mapping -------------------------------------------------------------------

    def _credential_text(self) -> str:
        cred = self.target.credential
        return (
            cred.describe()
            if cred
            else "an anonymous request (no GRAFANA_TOKEN or GRAFANA_USER/GRAFANA_PASSWORD)"
        )

    def _call(self, what: str, kind: str, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a grafana-client call; ``what`` names the resource for messages, ``kind`` picks the permission."""
        try:
            return fn(*args, **kwargs)
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
                f"{what}: cannot connect to Grafana at {self.target.url} after {self.target.attempts} attempts "
                "(is it running, and is GRAFANA_URL right?)"
            ) from None
        except GrafanaException as exc:
            raise self._http_error(what, kind, exc) from None

    def _http_error(self, what: str, kind: str, exc: GrafanaException) -> Exception:
        status = exc.status_code
        body = exc.response if isinstance(exc.response, dict) else {}
        message = (
            body.get("message")
            or (exc.response if isinstance(exc.response, str) else "")
            or exc.message
        )
        message = str(message).strip()[:300]
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
            reason = body.get("status", "version-mismatch")
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
        if isinstance(exc, GrafanaServerError):
            return GrafanaRequestError(
                f"{what}: Grafana failed with {status} ({message}) after {self.target.attempts} attempts",
                status=status,
            )
        if isinstance(exc, GrafanaClientError):
            return GrafanaRequestError(
                f"{what}: Grafana refused it with {status}: {message}", status=status
            )
        return GrafanaRequestError(f"{what}: {message}", status=status or None)

    def _get_or_none(self, what: str, fn: Callable[..., T], *args: Any) -> T | None:
        try:
            return self._call(what, "read", fn, *args)
        except GrafanaRequestError as exc:
            if exc.status == 404:
                return None
            raise

    # -- health --------------------------------------------------------------------------

    def health(self) -> dict[str, Any]:
        """``GET /api/health``; raise NotGrafanaError when the answer is not Grafana's."""
        what = f"health check of {self.target.url}"
        try:
            body = self._call(what, "read", self._api.client.GET, "/health")
        except GrafanaRequestError as exc:
            raise NotGrafanaError(
                f"{self.target.url} is not a Grafana: GET /api/health answered {exc.status}; "
                "GRAFANA_URL must be Grafana's root URL (e.g. http://localhost:3000)"
            ) from None
        except ValueError:  # 200 with a body that is not JSON
            body = None
        if not isinstance(body, dict) or "database" not in body or "version" not in body:
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
        return self._get_or_none(f"folder {uid!r}", self._api.folder.get_folder, uid)

    def create_folder(self, uid: str, title: str, parent_uid: str | None) -> dict[str, Any]:
        what = f"folder {title!r} (uid {uid})"
        try:
            return self._call(
                what, "folder", self._api.folder.create_folder, title, uid, parent_uid
            )
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
        return self._call(
            f"folder {uid!r}", "folder", self._api.folder.update_folder, uid, title, version, True
        )

    def move_folder(self, uid: str, parent_uid: str | None) -> dict[str, Any]:
        return self._call(
            f"folder {uid!r}", "folder", self._api.folder.move_folder, uid, parent_uid or ""
        )

    # -- dashboards ----------------------------------------------------------------------

    def search_dashboards(self) -> list[dict[str, Any]]:
        """Every dashboard the credential can see (one request per 5000)."""
        hits: list[dict[str, Any]] = []
        page = 1
        while True:
            batch = self._call(
                "searching dashboards",
                "read",
                self._api.search.search_dashboards,
                type_="dash-db",
                limit=SEARCH_PAGE,
                page=page,
            )
            hits.extend(batch)
            if len(batch) < SEARCH_PAGE:
                return hits
            page += 1

    def get_dashboard(self, uid: str) -> dict[str, Any] | None:
        """``{"dashboard": ..., "meta": ...}`` or None when it does not exist."""
        return self._get_or_none(f"dashboard {uid!r}", self._api.dashboard.get_dashboard, uid)

    def last_version_message(self, uid: str) -> str | None:
        """The commit message of the dashboard's latest saved version ("" when saved from the UI)."""
        body = self._get_or_none(
            f"versions of dashboard {uid!r}",
            self._api.client.GET,
            f"/dashboards/uid/{quote(uid, safe='')}/versions",
            None,
            None,
            {"limit": 1},
        )
        # Grafana < 12 answers a list, 12+ wraps it as {"versions": [...]}
        versions = body.get("versions", []) if isinstance(body, dict) else body or []
        return versions[0].get("message", "") if versions else None

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
        return self._call(what, "dashboard", self._api.dashboard.update_dashboard, body)

    def delete_dashboard(self, uid: str, title: str) -> None:
        self._call(
            f"dashboard {title!r} (uid {uid})", "delete", self._api.dashboard.delete_dashboard, uid
        )

    # -- alert rule groups ---------------------------------------------------------------

    def get_rule_group(self, folder_uid: str, group: str) -> dict[str, Any] | None:
        return self._get_or_none(
            f"rule group {group!r} in folder {folder_uid!r}",
            self._api.alertingprovisioning.get_rule_group,
            folder_uid,
            quote(group, safe=""),
        )

    def put_rule_group(
        self, body: dict[str, Any], disable_provenance: bool = False
    ) -> dict[str, Any]:
        """``PUT /api/v1/provisioning/folder/{folderUid}/rule-groups/{group}`` — idempotent by design."""
        return self._call(
            f"rule group {body['title']!r} in folder {body['folderUid']!r}",
            "rule-group",
            self._api.alertingprovisioning.update_rule_group,
            body["folderUid"],
            quote(body["title"], safe=""),
            body,
            disable_provenance,
        )

    def list_alert_rules(self) -> list[dict[str, Any]]:
        return self._call(
            "listing alert rules", "read", self._api.alertingprovisioning.get_alertrules_all
        )

    def delete_rule_group(self, folder_uid: str, group: str) -> None:
        path = f"/v1/provisioning/folder/{quote(folder_uid, safe='')}/rule-groups/{quote(group, safe='')}"
        self._call(
            f"rule group {group!r} in folder {folder_uid!r}",
            "delete",
            self._api.client.DELETE,
            path,
            accept_empty_json=True,
        )

    # -- datasources ---------------------------------------------------------------------

    def get_datasource(self, uid: str) -> dict[str, Any] | None:
        return self._get_or_none(
            f"datasource {uid!r}", self._api.datasource.get_datasource_by_uid, uid
        )

    def create_datasource(self, body: dict[str, Any]) -> dict[str, Any]:
        return self._call(
            f"datasource {body.get('name')!r}",
            "datasource",
            self._api.datasource.create_datasource,
            body,
        )

    def update_datasource(self, uid: str, body: dict[str, Any]) -> dict[str, Any]:
        return self._call(
            f"datasource {body.get('name')!r}",
            "datasource",
            self._api.datasource.update_datasource_by_uid,
            uid,
            body,
        )
