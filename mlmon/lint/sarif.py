"""A lint report as SARIF 2.1.0, the format GitHub code scanning and other CI tools ingest.

One run of one tool ("mlmon lint") with every rule described, one result per
finding on the line a human edits (dashboards_src/ or the JSON file), the
dashboard/panel as a logical location, and findings excluded by
``.mlmon-lint.yml`` kept as suppressed results with their reason.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from mlmon import __version__
from mlmon.lint.config import Exclusion
from mlmon.lint.engine import Report
from mlmon.lint.findings import Finding
from mlmon.lint.registry import all_rules
from mlmon.lint.sources import with_sources

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
VERSION = "2.1.0"
INFORMATION_URI = "https://github.com/grafana/dashboard-linter"  # the rule set mlmon follows


def _uri(path: Path) -> str:
    """A path relative to the working directory with forward slashes, else an absolute file URI."""
    try:
        relative = os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return path.resolve().as_uri()
    if relative.startswith(".."):
        return path.resolve().as_uri()
    return Path(relative).as_posix()


def _fingerprint(finding: Finding) -> str:
    """Stable across runs and line moves: rule, file, dashboard, panel, JSON path and message."""
    where = finding.location
    parts = (
        finding.rule,
        _uri(where.file),
        where.dashboard,
        where.panel,
        where.json_path,
        finding.message,
    )
    return hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).hexdigest()


def _rules() -> list[dict[str, Any]]:
    return [
        {
            "id": name,
            "name": "".join(word.title() for word in name.split("-")),
            "shortDescription": {"text": rule.description.split(". ")[0].rstrip(".") + "."},
            "fullDescription": {"text": rule.description},
            "help": {
                "text": f"{rule.hint}. Run `mlmon lint --explain {name}` for examples.",
                "markdown": f"{rule.hint}.\n\nRun `mlmon lint --explain {name}` for examples.",
            },
            "defaultConfiguration": {
                "level": rule.level.value,
                "enabled": rule.enabled_by_default,
            },
        }
        for name, rule in all_rules().items()
    ]


def _result(
    finding: Finding, rule_index: dict[str, int], exclusion: Exclusion | None
) -> dict[str, Any]:
    where = finding.location
    file, line = finding.source or (where.file, 1)
    message = finding.message
    if where.query:
        message += f"\nquery: {where.query}"
    message += f"\nfix: {finding.hint}"
    logical = [part for part in (where.dashboard, where.panel) if part]
    result: dict[str, Any] = {
        "ruleId": finding.rule,
        "level": finding.level.value,
        "message": {"text": message},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": _uri(file)},
                    "region": {"startLine": max(1, line)},
                },
                **(
                    {
                        "logicalLocations": [
                            {
                                "name": logical[-1],
                                "fullyQualifiedName": " / ".join(logical),
                                "kind": "object",
                            }
                        ]
                    }
                    if logical
                    else {}
                ),
            }
        ],
        "partialFingerprints": {"mlmonFinding/v1": _fingerprint(finding)},
    }
    if finding.rule in rule_index:
        result["ruleIndex"] = rule_index[finding.rule]
    if where.json_path:
        result["properties"] = {"jsonPath": where.json_path}
    if exclusion is not None:
        result["suppressions"] = [
            {
                "kind": "external",
                "status": "accepted",
                "justification": exclusion.reason,
                "location": {
                    "physicalLocation": {"artifactLocation": {"uri": _uri(exclusion.source)}}
                },
            }
        ]
    return result


def sarif(report: Report) -> str:
    rules = _rules()
    rule_index = {rule["id"]: i for i, rule in enumerate(rules)}
    excluded = zip(
        with_sources([finding for finding, _ in report.excluded]),
        (exclusion for _, exclusion in report.excluded),
    )
    results = [_result(f, rule_index, None) for f in with_sources(report.findings)]
    results += [_result(f, rule_index, exclusion) for f, exclusion in excluded]
    log = {
        "$schema": SCHEMA_URI,
        "version": VERSION,
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "mlmon lint",
                        "version": __version__,
                        "informationUri": INFORMATION_URI,
                        "rules": rules,
                    }
                },
                "invocations": [{"executionSuccessful": True}],
                "results": results,
            }
        ],
    }
    return json.dumps(log, indent=2)
