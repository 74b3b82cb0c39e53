"""Rendering a lint report: text for people, JSON for tools, workflow commands for GitHub Actions, SARIF."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from itertools import groupby
from pathlib import Path

from mlmon.lint.engine import Report
from mlmon.lint.findings import Finding, Level
from mlmon.lint.sources import with_sources


def render(report: Report, fmt: str) -> str:
    from mlmon.lint.sarif import sarif

    renderers: dict[str, Callable[[Report], str]] = {
        "text": text,
        "json": as_json,
        "github": github,
        "sarif": sarif,
    }
    return renderers[fmt](report)


def _relative(path: Path) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return str(path)


def _order(finding: Finding) -> tuple:
    where = finding.location
    return (str(where.file), where.dashboard or "", where.json_path or "", finding.rule)


def summary(report: Report) -> str:
    errors, warnings = report.count(Level.ERROR), report.count(Level.WARNING)
    line = (
        f"{errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)} in {report.files} "
        f"file{'s' * (report.files != 1)} ({report.dashboards} dashboards, {report.alert_rules} alert rules)"
    )
    if report.excluded:
        line += f"; {len(report.excluded)} excluded with a reason (listed by --format json)"
    return line


def text(report: Report) -> str:
    """Grouped by file, then dashboard (or rule group), then panel (or rule)."""
    out: list[str] = []
    findings = sorted(with_sources(report.findings), key=_order)
    for file, in_file in groupby(findings, key=lambda f: f.location.file):
        out.append(_relative(file))
        for (kind, dashboard), in_dashboard in groupby(
            in_file, key=lambda f: (f.location.kind, f.location.dashboard)
        ):
            container = "rule group" if kind == "alert" else "dashboard"
            out.append(
                f"  {container} {dashboard!r}" if dashboard else f"  ({container} without a name)"
            )
            for panel, in_panel in groupby(
                in_dashboard, key=lambda f: (f.location.panel, f.location.panel_id)
            ):
                title, panel_id = panel
                if title is not None or panel_id is not None:
                    item = (
                        "alert"
                        if kind == "alert"
                        else ("variable" if (title or "").startswith("$") else "panel")
                    )
                    suffix = f" (id {panel_id})" if panel_id is not None else ""
                    out.append(f"    {item} {title!r}{suffix}")
                for finding in in_panel:
                    out.extend(_text_finding(finding))
    out.append(summary(report))
    return "\n".join(out)


def _text_finding(finding: Finding) -> list[str]:
    where = finding.location
    lines = [f"      {finding.level.value:<7} {finding.rule}: {finding.message}"]
    if where.query:
        lines.append(f"              query: {where.query}")
    if finding.source:
        lines.append(f"              at: {_relative(finding.source[0])}:{finding.source[1]}")
    lines.append(f"              fix: {finding.hint}")
    return lines


def as_json(report: Report) -> str:
    return json.dumps(
        {
            "findings": [
                _finding_json(f) for f in sorted(with_sources(report.findings), key=_order)
            ],
            "excluded": [
                {**f.to_json(), "reason": e.reason, "exclusions_file": str(e.source)}
                for f, e in report.excluded
            ],
            "summary": {
                "errors": report.count(Level.ERROR),
                "warnings": report.count(Level.WARNING),
                "files": report.files,
                "dashboards": report.dashboards,
                "alert_rules": report.alert_rules,
                "excluded": len(report.excluded),
            },
        },
        indent=2,
    )


def _finding_json(finding: Finding) -> dict:
    data = finding.to_json()
    if finding.source:
        data["source"]["file"] = _relative(finding.source[0])
    return data


def _escape_data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(value: str) -> str:
    return _escape_data(value).replace(":", "%3A").replace(",", "%2C")


def github(report: Report) -> str:
    """GitHub Actions workflow commands: one annotation per finding, on the source line."""
    out = []
    for finding in sorted(with_sources(report.findings), key=_order):
        where = finding.location
        file, line = finding.source or (where.file, 1)
        context = " / ".join(part for part in (where.dashboard, where.panel) if part)
        message = f"{finding.message} [{context}]" if context else finding.message
        if where.query:
            message += f"\nquery: {where.query}"
        message += f"\nfix: {finding.hint}"
        command = "error" if finding.level is Level.ERROR else "warning"
        out.append(
            f"::{command} file={_escape_property(_relative(file))},line={line},"
            f"title={_escape_property(finding.rule)}::{_escape_data(message)}"
        )
    out.append(summary(report))
    return "\n".join(out)
