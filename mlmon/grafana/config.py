"""Where to push and how: Grafana targets from the environment and ``mlmon.toml``.

Precedence, highest first: command-line flags, ``GRAFANA_*`` environment
variables, the ``[targets.NAME]`` table of ``default_target``, the file's top
level, built-in defaults. A target chosen explicitly with ``--target`` beats
the ``GRAFANA_*`` variables (they may have been exported for another Grafana). Secrets are never read from the file: a target names the
environment variable holding them (``token_env``, ``password_env``), so the file
can be committed.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from mlmon.grafana.errors import GrafanaConfigError
from mlmon.grafana.ownership import DEFAULT_OWNER
from mlmon.grafana.redact import redact, register

CONFIG_FILE = "mlmon.toml"
DEFAULT_TIMEOUT = 10.0
DEFAULT_ATTEMPTS = 4
MANAGED_TAG = "mlmon"
DEFAULT_FOLDER = ("mlmon", "ML Monitoring")


class Secret:
    """A credential that does not print itself: repr/str/format show ``<redacted>``."""

    __slots__ = ("_value",)

    def __init__(self, value: str):
        self._value = value
        register(value)  # masked in everything mlmon prints from now on

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret(<redacted>)"

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return repr(self)

    def __reduce__(self):  # pickling would copy the value somewhere it can leak
        raise TypeError("a Secret cannot be pickled")


@dataclass(frozen=True)
class Credential:
    """How we authenticate: ``kind`` is "token" or "basic"; ``source`` names where it came from."""

    kind: str
    source: str
    secret: Secret
    user: str | None = None

    def describe(self) -> str:
        if self.kind == "token":
            return f"the service-account token from {self.source}"
        return f"basic auth as user {self.user!r} (password from {self.source})"


@dataclass(frozen=True)
class FolderSpec:
    """A Grafana folder mlmon manages; ``parent_uid`` nests it."""

    uid: str
    title: str
    parent_uid: str | None = None


@dataclass(frozen=True)
class Target:
    """One Grafana to push to, plus how generated/ maps onto its folders."""

    name: str
    url: str
    credential: Credential | None
    org_id: int | None = None
    verify: bool | str = True  # False, True or a CA-bundle path
    timeout: float = DEFAULT_TIMEOUT
    attempts: int = DEFAULT_ATTEMPTS
    folders: tuple[FolderSpec, ...] = (FolderSpec(*DEFAULT_FOLDER),)
    default_folder: str = DEFAULT_FOLDER[0]
    # tag or dashboard uid -> folder uid
    dashboard_folders: Mapping[str, str] = field(default_factory=dict)
    disable_provenance: bool = False
    datasource: Mapping[str, Any] | None = None
    # whose resources these are: bound into the ownership marker prune checks (see ownership.py)
    owner: str = DEFAULT_OWNER

    @property
    def api_url(self) -> str:
        return self.url.rstrip("/") + "/api"


def _strip_userinfo(url: str) -> tuple[str, str | None, str | None]:
    """Remove ``user:password@`` from a URL so it can be printed; return the parts."""
    parts = urlsplit(url)
    shown = redact(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        # "admin:pw@host:3000" parses as scheme "admin": never echo it unredacted
        raise GrafanaConfigError(
            f"GRAFANA_URL {shown!r} is not an http:// or https:// URL "
            "(expected e.g. http://localhost:3000; put user:password@ after the scheme, or better, "
            "use GRAFANA_USER/GRAFANA_PASSWORD or GRAFANA_TOKEN)"
        )
    try:
        port = parts.port
    except ValueError:
        raise GrafanaConfigError(
            f"GRAFANA_URL {shown!r} has an invalid port (it must be a number in 0-65535)"
        ) from None
    if not parts.hostname:
        raise GrafanaConfigError(f"GRAFANA_URL {shown!r} has no host name")
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname  # IPv6 literal
    netloc = host + (f":{port}" if port else "")
    clean = urlunsplit((parts.scheme, netloc, parts.path, "", ""))
    return clean, parts.username, parts.password


def load_config_file(path: Path | None) -> dict[str, Any]:
    """Read ``mlmon.toml`` (or ``path``); a missing default file is an empty config."""
    explicit = path is not None
    path = path or Path(CONFIG_FILE)
    if not path.exists():
        if explicit:
            raise GrafanaConfigError(f"{path}: config file not found")
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise GrafanaConfigError(f"{path}: invalid TOML: {exc}") from None


def _credential(
    settings: Mapping[str, Any],
    env: Mapping[str, str],
    url_user: str | None,
    url_password: str | None,
) -> Credential | None:
    token_env = settings.get("token_env", "GRAFANA_TOKEN")
    if env.get(token_env):
        return Credential("token", token_env, Secret(env[token_env]))
    password_env = settings.get("password_env", "GRAFANA_PASSWORD")
    user = env.get("GRAFANA_USER") or settings.get("user") or url_user
    if user and env.get(password_env):
        register(env[password_env], user)
        return Credential("basic", password_env, Secret(env[password_env]), user=user)
    if url_user and url_password:
        register(url_password, url_user)
        return Credential(
            "basic", "the userinfo part of the Grafana URL", Secret(url_password), user=url_user
        )
    return None


def _folders(
    settings: Mapping[str, Any], origin: str
) -> tuple[tuple[FolderSpec, ...], str, dict[str, str]]:
    raw = settings.get("folders")
    if raw is None:
        folders: tuple[FolderSpec, ...] = (FolderSpec(*DEFAULT_FOLDER),)
    else:
        try:
            folders = tuple(FolderSpec(f["uid"], f["title"], f.get("parent")) for f in raw)
        except (KeyError, TypeError):
            raise GrafanaConfigError(
                f"{origin}: every [[folders]] entry needs uid and title (and optionally parent)"
            ) from None
    known = {f.uid for f in folders}
    for folder in folders:
        if folder.parent_uid and folder.parent_uid not in known:
            raise GrafanaConfigError(
                f"{origin}: folder {folder.uid!r} has parent {folder.parent_uid!r}, which is not a declared folder"
            )
    mapping = dict(settings.get("dashboard_folders", {}))
    default = mapping.pop("default", folders[0].uid)
    for key, uid in [("default", default), *mapping.items()]:
        if uid not in known:
            raise GrafanaConfigError(
                f"{origin}: dashboard_folders.{key} = {uid!r} is not a declared folder (declare it under [[folders]])"
            )
    return folders, default, mapping


def _owner(value: Any, origin: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise GrafanaConfigError(
            f'{origin}: owner must be a non-empty string naming this project (e.g. owner = "team-ml")'
        )
    return value.strip()


def _number(value: Any, what: str, kind: type) -> Any:
    try:
        return kind(value)
    except (TypeError, ValueError):
        raise GrafanaConfigError(f"{what} must be a number, not {value!r}") from None


def load_target(
    *,
    target: str | None = None,
    config_path: Path | None = None,
    env: Mapping[str, str] | None = None,
    url: str | None = None,
    timeout: float | None = None,
    ca_bundle: str | None = None,
    org_id: int | None = None,
) -> Target:
    """Resolve the Grafana target from flags, environment and config file."""
    env = os.environ if env is None else env
    config = load_config_file(config_path)
    origin = str(config_path or CONFIG_FILE)
    targets = config.get("targets", {})
    name = target or config.get("default_target")
    if target and target not in targets:
        known = ", ".join(sorted(targets)) or "none"
        raise GrafanaConfigError(
            f"{origin}: no [targets.{target}] table (targets defined: {known})"
        )
    # the target's table overrides the file's top level, key by key
    settings: dict[str, Any] = {
        k: v for k, v in config.items() if k not in ("targets", "default_target")
    }
    if name and name in targets:
        settings.update(targets[name])
    explicit_target = target is not None

    def pick(flag: Any, env_name: str, key: str) -> Any:
        # a flag always wins; an explicitly chosen target beats GRAFANA_* (which may be set for another one)
        if flag not in (None, ""):
            return flag
        if explicit_target and key in settings:
            return settings[key]
        return env.get(env_name) or settings.get(key)

    raw_url = pick(url, "GRAFANA_URL", "url")
    if not raw_url:
        raise GrafanaConfigError(
            "no Grafana URL: set GRAFANA_URL (e.g. http://localhost:3000), pass --url, "
            f"or define [targets.NAME] url in {CONFIG_FILE} and pass --target NAME"
        )
    clean_url, url_user, url_password = _strip_userinfo(raw_url)
    verify: bool | str = True
    bundle = pick(ca_bundle, "GRAFANA_CA_BUNDLE", "ca_bundle")
    if bundle:
        verify = str(bundle)
        if not Path(verify).is_file():
            raise GrafanaConfigError(
                f"CA bundle {verify} does not exist (GRAFANA_CA_BUNDLE / ca_bundle / --ca-bundle)"
            )
    elif settings.get("tls_verify") is False:
        verify = False
    raw_org = pick(org_id, "GRAFANA_ORG_ID", "org_id")
    raw_timeout = pick(timeout, "GRAFANA_TIMEOUT", "timeout")
    folders, default_folder, dashboard_folders = _folders(settings, origin)
    return Target(
        name=name or "env",
        url=clean_url,
        credential=_credential(settings, env, url_user, url_password),
        org_id=_number(raw_org, "GRAFANA_ORG_ID / org_id", int)
        if raw_org not in (None, "")
        else None,
        verify=verify,
        timeout=_number(raw_timeout, "GRAFANA_TIMEOUT / timeout", float)
        if raw_timeout
        else DEFAULT_TIMEOUT,
        attempts=_number(settings.get("attempts", DEFAULT_ATTEMPTS), "attempts", int),
        folders=folders,
        default_folder=default_folder,
        dashboard_folders=dashboard_folders,
        disable_provenance=bool(settings.get("disable_provenance", False)),
        datasource=settings.get("datasource"),
        owner=_owner(settings.get("owner", DEFAULT_OWNER), origin),
    )
