"""``compile_alerts``: alerts_src/ -> the files under generated/alerts/ (as bytes, deterministic).

``mlmon build`` writes what this returns; ``mlmon build --check`` compares it
with what is committed. Keys are paths relative to ``generated/``:

- ``alerts/grafana/<folder>-<group>.json``: body for
  ``PUT /api/v1/provisioning/folder/{folderUid}/rule-groups/{group}``
- ``alerts/grafana/provisioning.yml``: Grafana file provisioning, every group
- ``alerts/prometheus/<group>.rules.yml``: Prometheus rule file per group

and, from the module exposing ``routing`` (``alerts_src/routing.py``):

- ``alerts/grafana/notifications.yml``: Grafana provisioning of contact points,
  the notification policy tree, mute timings and templates
- ``alerts/alertmanager/alertmanager.yml`` and ``alerts/alertmanager/templates/``

Every other module exposes one rule group as ``group``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import yaml

from mlmon.alerts import alertmanager, grafana, grafana_routing, prometheus
from mlmon.alerts.routing import Routing
from mlmon.alerts.spec import GroupSpec, read_group
from mlmon.alerts.uids import UID_PATTERN, slug
from mlmon.compiler.loader import load_module, source_modules
from mlmon.errors import SourceError

GRAFANA_DIR = "alerts/grafana"
PROMETHEUS_DIR = "alerts/prometheus"
ALERTMANAGER_DIR = "alerts/alertmanager"
PROVISIONING_FILE = f"{GRAFANA_DIR}/provisioning.yml"
NOTIFICATIONS_FILE = f"{GRAFANA_DIR}/notifications.yml"
ALERTMANAGER_FILE = f"{ALERTMANAGER_DIR}/alertmanager.yml"
GROUP_ATTRIBUTE, ROUTING_ATTRIBUTE = "group", "routing"
_PACKAGE = "_mlmon_alerts_src"


def compile_alerts(
    src_dir: Path,
    *,
    datasource_uid: str = grafana.DEFAULT_DATASOURCE_UID,
    for_override: str | None = None,
    interval_override: str | None = None,
) -> dict[str, bytes]:
    """Compile every rule-group module in ``src_dir``; SourceError (file, rule, what to do) on bad input.

    ``datasource_uid`` is the uid of the Prometheus datasource in Grafana.
    ``for_override`` and ``interval_override`` replace every rule's ``for``
    and every group's evaluation interval: for end-to-end tests and demos that
    cannot wait minutes, never for committed output.
    """
    if not UID_PATTERN.fullmatch(datasource_uid):
        raise SourceError(f"datasource uid {datasource_uid!r} is not a valid Grafana uid")
    sources = load_sources(
        Path(src_dir), for_override=for_override, interval_override=interval_override
    )
    groups = sources.groups
    files: dict[str, bytes] = {}
    for group in groups:
        header = _header(group.source)
        files[f"{GRAFANA_DIR}/{group_file_stem(group)}.json"] = _json(
            grafana.rule_group_body(group, datasource_uid)
        )
        files[f"{PROMETHEUS_DIR}/{slug(group.name)}.rules.yml"] = _yaml(
            prometheus.rule_file(group), header
        )
    if groups:
        names = ", ".join(group.source for group in groups)
        files[PROVISIONING_FILE] = _yaml(
            grafana.provisioning_document(groups, datasource_uid), _header(names)
        )
    if sources.routing is not None:
        files.update(_routing_files(sources.routing, sources.routing_source))
    return dict(sorted(files.items()))


def _routing_files(routing: Routing, source: str) -> dict[str, bytes]:
    header = _header(source)
    variables = routing.env_names()
    if variables:
        header += (
            "# Secrets are environment variables, resolved where notifications are sent from: "
            + ", ".join(variables)
            + "\n"
        )
    am_header = header + (
        "# Start Alertmanager on a copy resolved by `python -m mlmon.alerts.envrefs` "
        "(stack/alertmanager/start.sh does).\n"
    )
    skipped = alertmanager.left_out(routing)
    if skipped:
        am_header += (
            "# Delivered through Grafana only (Alertmanager has no Teams integration before 0.26): "
            + ", ".join(skipped)
            + "\n"
        )
    files = {
        NOTIFICATIONS_FILE: _yaml(grafana_routing.provisioning_document(routing), header),
        ALERTMANAGER_FILE: _yaml(alertmanager.config(routing), am_header),
    }
    for name, text in alertmanager.template_files(routing).items():
        files[f"{ALERTMANAGER_DIR}/{name}"] = text.encode()
    return files


@dataclass(frozen=True)
class Sources:
    groups: list[GroupSpec]
    routing: Routing | None = None
    routing_source: str = ""


def load_sources(
    src_dir: Path, *, for_override: str | None = None, interval_override: str | None = None
) -> Sources:
    """The rule groups and the routing of ``src_dir``, each checked, and checked against each other."""
    if not src_dir.is_dir():
        raise SourceError(
            f"alert source directory {src_dir} does not exist",
            hint="create it with one module per rule group, or pass the right path",
        )
    groups: list[GroupSpec] = []
    routing: Routing | None = None
    routing_source = ""
    for path in source_modules(src_dir):
        label, module = load_module(path, _PACKAGE)
        if hasattr(module, ROUTING_ATTRIBUTE):
            value = getattr(module, ROUTING_ATTRIBUTE)
            if not isinstance(value, Routing):
                raise SourceError(
                    f"`routing` is a {type(value).__name__}, not a mlmon.alerts.routing.Routing",
                    source=label,
                )
            if routing is not None:
                raise SourceError(
                    f"a second `routing` (the first is in {routing_source})",
                    source=label,
                    hint="keep the whole notification policy in one module",
                )
            _check_templates(value, label)
            routing, routing_source = value, label
            continue
        if not hasattr(module, GROUP_ATTRIBUTE):
            raise SourceError(
                f"the module defines no `{GROUP_ATTRIBUTE}` (nor `{ROUTING_ATTRIBUTE}`)",
                source=label,
                hint='end it with `group = rule_group("name", [alert_rule(...), ...])`',
            )
        groups.append(
            read_group(
                getattr(module, GROUP_ATTRIBUTE),
                source=label,
                for_override=for_override,
                interval_override=interval_override,
            )
        )
    _check_unique(groups)
    return Sources(groups, routing, routing_source)


def _check_templates(routing: Routing, source: str) -> None:
    for template in routing.templates:
        if "$" in template.text:
            raise SourceError(
                "the template contains '$', which Grafana's provisioning would expand as an "
                "environment variable",
                source=source,
                item=template.name,
                hint="use the dot form ({{ .Labels.x }}) instead of template variables",
            )


def load_groups(
    src_dir: Path, *, for_override: str | None = None, interval_override: str | None = None
) -> list[GroupSpec]:
    """Every rule group in ``src_dir``, checked one by one and against each other."""
    return load_sources(
        src_dir, for_override=for_override, interval_override=interval_override
    ).groups


def group_file_stem(group: GroupSpec) -> str:
    return f"{group.folder_uid}-{slug(group.name)}"


def _check_unique(groups: list[GroupSpec]) -> None:
    """Uids are global in Grafana, titles unique per folder, group files must not collide."""
    seen_uid: dict[str, tuple[str, str]] = {}
    seen_title: dict[tuple[str, str], str] = {}
    seen_group: dict[str, str] = {}
    for group in groups:
        stem = group_file_stem(group)
        if stem in seen_group:
            raise SourceError(
                f"rule group {group.name!r} (folder {group.folder_title!r}) is also defined in "
                f"{seen_group[stem]}",
                source=group.source,
                item=group.name,
                hint="give each rule group its own name",
            )
        seen_group[stem] = group.source
        for rule in group.rules:
            if rule.uid in seen_uid:
                other_source, other_title = seen_uid[rule.uid]
                raise SourceError(
                    f"uid {rule.uid!r} is also used by rule {other_title!r} in {other_source}",
                    source=group.source,
                    item=rule.title,
                    hint="rule uids must be unique across all groups: rename or set uid=",
                )
            seen_uid[rule.uid] = (group.source, rule.title)
            key = (group.folder_uid, rule.title)
            if key in seen_title:
                raise SourceError(
                    f"folder {group.folder_title!r} already has a rule named {rule.title!r} "
                    f"(in {seen_title[key]})",
                    source=group.source,
                    item=rule.title,
                    hint="Grafana needs rule titles to be unique per folder",
                )
            seen_title[key] = group.source


def _header(source: str) -> str:
    return (
        f"# Generated by `mlmon build` from {source}: do not edit, change the source and rebuild.\n"
    )


def _json(data: object) -> bytes:
    return (json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()


def _yaml(data: object, header: str) -> bytes:
    text = yaml.safe_dump(
        data, sort_keys=False, allow_unicode=True, width=4096, default_flow_style=False
    )
    return (header + text).encode()
