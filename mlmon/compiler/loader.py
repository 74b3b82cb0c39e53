"""Import the modules of a source directory (``dashboards_src/``, ``alerts_src/``) and take the object each exposes.

One loader for dashboards and alerts, so their errors name files the same way.
A module that fails to import becomes a :class:`~mlmon.errors.SourceError`
naming the file, the line, and — when the failing line sits inside a panel
helper or ``alert_rule`` call — the panel's title or the rule's name, found
from the source's syntax tree.
"""

from __future__ import annotations

import ast
import importlib.util
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from mlmon.errors import SourceError

# Calls whose first positional argument is a panel (or row) title: the helpers of mlmon.dsl,
# and the rule name of mlmon.alerts.alert_rule.
_TITLED_HELPERS = {
    "timeseries",
    "stat",
    "gauge",
    "bargauge",
    "table",
    "piechart",
    "text",
    "row",
    "alert_rule",
}


@dataclass(frozen=True)
class Loaded:
    source: Path  # the module's file
    label: str  # how errors name it: relative to the working directory when possible
    value: Any


def source_modules(src_dir: Path) -> list[Path]:
    """The modules of ``src_dir`` in name order; ``_private.py`` helpers are not sources."""
    return sorted(p for p in src_dir.glob("*.py") if not p.name.startswith("_"))


def display_path(path: Path) -> str:
    """How errors and generated headers name a source file: relative to the working directory
    (``alerts_src/api.py`` from the project root), else its directory and name."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return f"{path.parent.name}/{path.name}"


def _call_title(call: ast.Call) -> str | None:
    for keyword in call.keywords:
        if (
            keyword.arg == "title"
            and isinstance(keyword.value, ast.Constant)
            and isinstance(keyword.value.value, str)
        ):
            return keyword.value.value
    callee = (
        call.func.attr if isinstance(call.func, ast.Attribute) else getattr(call.func, "id", None)
    )
    if (
        callee in _TITLED_HELPERS
        and call.args
        and isinstance(call.args[0], ast.Constant)
        and isinstance(call.args[0].value, str)
    ):
        return call.args[0].value
    return None


def panel_title_at(source: Path, line: int) -> str | None:
    """The title of the innermost titled call (a panel helper, a row) spanning ``line`` of ``source``."""
    try:
        tree = ast.parse(source.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError):
        return None
    best: tuple[int, str] | None = None
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and node.lineno <= line <= (node.end_lineno or node.lineno):
            title = _call_title(node)
            span = (node.end_lineno or node.lineno) - node.lineno
            if title is not None and (best is None or span < best[0]):
                best = (span, title)
    return best[1] if best else None


def _failing_line(exc: BaseException, source: Path) -> int | None:
    line = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if Path(frame.filename).resolve() == source.resolve():
            line = frame.lineno
    if (
        isinstance(exc, SyntaxError)
        and exc.lineno
        and Path(exc.filename or "").resolve() == source.resolve()
    ):
        line = exc.lineno
    return line


def load_module(source: Path, package: str) -> tuple[str, ModuleType]:
    """Import ``source``; any failure is a SourceError naming file, line and panel or rule.

    A SourceError raised by the module (e.g. an unknown metric, a CatalogError)
    keeps its class and message and gains the file, line and item it lacked.
    """
    label = display_path(source)
    name = f"{package}.{source.stem}"
    spec = importlib.util.spec_from_file_location(name, source)
    if spec is None or spec.loader is None:
        raise SourceError("cannot be imported as a Python module", source=label)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses and attrs look modules up while executing them
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        line = _failing_line(exc, source)
        where = f"{label}:{line}" if line else label
        item = getattr(exc, "item", None) or (panel_title_at(source, line) if line else None)
        if isinstance(exc, SourceError):
            if exc.source is None:
                exc.source = where
            exc.item = item
            exc.args = (str(exc),)
            raise
        raise SourceError(
            f"{type(exc).__name__}: {exc}",
            source=where,
            item=item,
            hint="the module raised while it was imported; run it with python to see the traceback",
        ) from exc
    finally:
        sys.modules.pop(name, None)
    return label, module


def load(source: Path, attribute: str, package: str, hint: str | None = None) -> Loaded:
    """Import ``source`` and return its ``attribute`` (SourceError naming the file when it is missing)."""
    label, module = load_module(source, package)
    if not hasattr(module, attribute):
        raise SourceError(
            f"the module defines no {attribute!r}",
            source=label,
            hint=hint or f"assign the object to a module-level name {attribute!r}",
        )
    return Loaded(source, label, getattr(module, attribute))
