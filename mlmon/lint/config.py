"""``.mlmon-lint.yml``: which rules run, with which settings, and reasoned exclusions.

A file applies to every linted file in its directory and below; the project
root's file therefore covers ``generated/``, and a file next to a hand-exported
dashboard covers just that folder. Nearer files win for rule settings;
exclusions from all applicable files add up. Every exclusion needs a ``reason``::

    rules:
      target-job-matcher: {enabled: true}
    exclusions:
      - rule: panel-units
        dashboard: ML API          # title or uid; optional
        panel: Active requests     # title; optional
        reason: a count of requests has no unit
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from mlmon.errors import MlmonError
from mlmon.lint.findings import Finding
from mlmon.lint.registry import Rule, all_rules

FILENAME = ".mlmon-lint.yml"


class LintConfigError(MlmonError):
    """An exclusions file that cannot be used (the CLI exits with 2)."""


@dataclass(frozen=True)
class Exclusion:
    rule: str
    reason: str
    source: Path
    dashboard: str | None = None
    panel: str | None = None

    def matches(self, finding: Finding) -> bool:
        where = finding.location
        if finding.rule != self.rule:
            return False
        if self.dashboard is not None and self.dashboard not in (
            where.dashboard,
            where.dashboard_uid,
        ):
            return False
        return self.panel is None or self.panel == where.panel


@dataclass(frozen=True)
class Config:
    settings: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    exclusions: tuple[Exclusion, ...] = ()

    def rules(self) -> list[Rule]:
        """Instances of the enabled rules, each with its settings."""
        enabled = []
        for name, rule in all_rules().items():
            settings = self.settings.get(name, {})
            if settings.get("enabled", rule.enabled_by_default):
                enabled.append(rule(settings))
        return enabled

    def exclusion_for(self, finding: Finding) -> Exclusion | None:
        return next((e for e in self.exclusions if e.matches(finding)), None)

    def merged_over(self, outer: Config) -> Config:
        settings = {**outer.settings, **self.settings}
        return Config(settings, outer.exclusions + self.exclusions)


def load(path: Path) -> Config:
    """Parse and validate one exclusions file."""
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except OSError as exc:
        raise LintConfigError(
            f"{path}: cannot read the lint configuration: {exc.strerror}"
        ) from None
    except yaml.YAMLError as exc:
        raise LintConfigError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise LintConfigError(f"{path}: expected a mapping with 'rules' and/or 'exclusions'")
    unknown = set(data) - {"rules", "exclusions"}
    if unknown:
        raise LintConfigError(
            f"{path}: unknown keys {sorted(unknown)}; only 'rules' and 'exclusions' are allowed"
        )
    return Config(
        _settings(path, data.get("rules") or {}), _exclusions(path, data.get("exclusions") or [])
    )


def _check_rule_name(path: Path, where: str, name: Any) -> str:
    if name not in all_rules():
        raise LintConfigError(
            f"{path}: {where}: unknown rule {name!r}; `mlmon lint --list-rules` shows the rule names"
        )
    return name


def _settings(path: Path, rules: Any) -> dict[str, dict[str, Any]]:
    if not isinstance(rules, dict):
        raise LintConfigError(
            f"{path}: 'rules' must map rule names to settings, e.g. {{panel-units: {{enabled: false}}}}"
        )
    settings = {}
    for name, value in rules.items():
        _check_rule_name(path, "rules", name)
        if not isinstance(value, dict):
            raise LintConfigError(
                f"{path}: rules.{name}: settings must be a mapping, e.g. {{enabled: false}}"
            )
        settings[name] = value
    return settings


def _exclusions(path: Path, items: Any) -> tuple[Exclusion, ...]:
    if not isinstance(items, list):
        raise LintConfigError(
            f"{path}: 'exclusions' must be a list of {{rule, reason, dashboard?, panel?}}"
        )
    found = []
    for i, item in enumerate(items, start=1):
        where = f"exclusion #{i}"
        if not isinstance(item, dict):
            raise LintConfigError(f"{path}: {where}: expected a mapping with rule and reason")
        unknown = set(item) - {"rule", "reason", "dashboard", "panel"}
        if unknown:
            raise LintConfigError(
                f"{path}: {where}: unknown keys {sorted(unknown)} (allowed: rule, reason, dashboard, panel)"
            )
        rule = _check_rule_name(path, where, item.get("rule"))
        reason = item.get("reason")
        if not isinstance(reason, str) or not reason.strip():
            raise LintConfigError(
                f"{path}: {where} ({rule}): every exclusion needs a 'reason' saying why it is fine"
            )
        found.append(
            Exclusion(
                rule, reason.strip(), path, _optional(item, "dashboard"), _optional(item, "panel")
            )
        )
    return tuple(found)


def _optional(item: dict[str, Any], key: str) -> str | None:
    value = item.get(key)
    return None if value is None else str(value)


@cache
def for_directory(directory: Path) -> Config:
    """The configuration that applies to files in ``directory`` (its own file and every ancestor's)."""
    directory = directory.resolve()
    outer = Config() if directory.parent == directory else for_directory(directory.parent)
    path = directory / FILENAME
    return load(path).merged_over(outer) if path.is_file() else outer
