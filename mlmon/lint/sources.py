"""Where a human edits what a finding points at: a line in dashboards_src/ or alerts_src/, else in the file linted.

Compiled JSON does not record its source, so the line is found by searching
the project's source modules for the dashboard's title (to pick the module)
and then the panel's or rule's title as a string literal.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import replace
from functools import cache
from pathlib import Path

from mlmon.lint.findings import Finding

SOURCE_DIRS = {"dashboard": "dashboards_src", "alert": "alerts_src"}  # by Location.kind


@cache
def _lines(path: Path) -> tuple[str, ...]:
    try:
        return tuple(path.read_text(encoding="utf-8", errors="replace").splitlines())
    except OSError:
        return ()


def _literals(text: str) -> tuple[str, ...]:
    return (json.dumps(text, ensure_ascii=False), "'" + text.replace("'", "\\'") + "'")


def _find_line(path: Path, needles: Iterable[str]) -> int | None:
    needles = tuple(needles)
    for number, line in enumerate(_lines(path), start=1):
        if any(needle in line for needle in needles):
            return number
    return None


def _project_root(path: Path) -> Path | None:
    for parent in path.resolve().parents:
        if any((parent / name).is_dir() for name in SOURCE_DIRS.values()):
            return parent
    return None


def _source_modules(root: Path, kind: str) -> list[Path]:
    return [p for p in sorted((root / SOURCE_DIRS[kind]).glob("*.py")) if p.name != "__init__.py"]


def source_of(finding: Finding) -> tuple[Path, int]:
    where = finding.location
    root = _project_root(where.file)
    if root is not None:
        modules = _source_modules(root, where.kind)
        # only a module that names the dashboard (or rule group) can have produced it
        owners = [
            m for m in modules if where.dashboard and _find_line(m, _literals(where.dashboard))
        ]
        for module in owners:
            for title in (where.panel, where.dashboard):
                if title and not title.startswith("$"):
                    line = _find_line(module, _literals(title))
                    if line:
                        return module, line
    return where.file, _line_in_file(finding)


def _line_in_file(finding: Finding) -> int:
    where = finding.location
    needles: list[str] = []
    if where.panel and where.panel.startswith("$"):
        needles.append(f'"name": {json.dumps(where.panel[1:])}')
    elif where.panel:
        quoted = json.dumps(where.panel, ensure_ascii=False)
        needles += [
            f'"title": {quoted}',
            f"alert: {where.panel}",
            f"title: {where.panel}",
            f"alert: {quoted}",
        ]
    if where.dashboard:
        needles.append(f'"title": {json.dumps(where.dashboard, ensure_ascii=False)}')
    for needle in needles:
        line = _find_line(where.file, [needle])
        if line:
            return line
    return 1


def with_sources(findings: Iterable[Finding]) -> list[Finding]:
    _lines.cache_clear()
    return [replace(f, source=source_of(f)) for f in findings]
