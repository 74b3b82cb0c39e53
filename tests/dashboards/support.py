"""Helpers for the dashboard tests: Grafana's reference schema, PromQL metric names, running `mlmon`."""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path

import jsonschema
import promql_parser
import pytest

from mlmon import cli
from tests.support.processes import ROOT
from tests.support.shared import grafana_reference_path

SOURCES = ROOT / "dashboards_src"
_GRAFANA_VARIABLE = re.compile(r"\$\{?(\w+)\}?")
_WINDOW_VARIABLES = {"__rate_interval": "1m", "__interval": "1m", "__range": "1h"}


@lru_cache(maxsize=1)
def _grafana_validator() -> jsonschema.Draft7Validator:
    schema = json.loads(grafana_reference_path("dashboard.jsonschema.json").read_text())
    return jsonschema.Draft7Validator({**schema, "$ref": "#/definitions/Dashboard"})


def grafana_schema_errors(dashboard: dict) -> list[str]:
    """Errors of ``dashboard`` against Grafana's official schema (skips locally, fails in CI, when it's absent)."""
    grafana_reference_path("dashboard.jsonschema.json")  # skips (fails under CI) when it's absent
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message[:200]}"
        for e in _grafana_validator().iter_errors(dashboard)
    ]


def concrete_promql(expr: str) -> str:
    """``expr`` with Grafana's variables replaced by values Prometheus' grammar accepts."""
    return _GRAFANA_VARIABLE.sub(lambda m: _WINDOW_VARIABLES.get(m.group(1), "x"), expr)


def metric_names(expr: str) -> set[str]:
    """Sample names the PromQL ``expr`` selects, from Prometheus' own parser."""
    names: set[str] = set()

    def walk(node: object) -> None:
        if isinstance(node, promql_parser.VectorSelector) and node.name:
            names.add(node.name)
        for attribute in ("lhs", "rhs", "expr", "args", "vector_selector", "param"):
            child = getattr(node, attribute, None)
            for item in child if isinstance(child, list) else [child]:
                if item is not None and not isinstance(item, (str, int, float)):
                    walk(item)

    walk(promql_parser.parse(concrete_promql(expr)))
    return names


def all_panels(dashboard: dict) -> list[dict]:
    out = []
    for panel in dashboard["panels"]:
        out.append(panel)
        out.extend(panel.get("panels", []))
    return out


def mlmon(capsys: pytest.CaptureFixture, *args: str) -> tuple[int, str, str]:
    """Run the CLI in-process: (exit code, stdout, stderr)."""
    code = cli.main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def write_source(src: Path, name: str, body: str) -> Path:
    src.mkdir(parents=True, exist_ok=True)
    path = src / f"{name}.py"
    path.write_text(body)
    return path


def snapshot(directory: Path) -> dict[str, bytes]:
    """Every file under ``directory`` with its bytes (to prove nothing changed)."""
    if not directory.exists():
        return {}
    return {
        p.relative_to(directory).as_posix(): p.read_bytes()
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }
