"""Import the rule-group modules of a source directory (``alerts_src/``).

Every ``*.py`` file not starting with ``_`` is one rule group and must
expose it as ``group``. Any error raised while a module is imported is
reported against that file.
"""

from __future__ import annotations

import importlib.util
import re
import sys
import traceback
from pathlib import Path
from types import ModuleType

from mlmon.errors import MlmonError, SourceError

GROUP_ATTRIBUTE = "group"
_RULE_CALL = re.compile(r"""alert_rule\(\s*["']([A-Za-z_][A-Za-z0-9_]*)["']""")


def source_files(src_dir: Path) -> list[Path]:
    if not src_dir.is_dir():
        raise SourceError(
            f"alert source directory {src_dir} does not exist",
            hint="create it with one module per rule group, or pass the right path",
        )
    return sorted(p for p in src_dir.glob("*.py") if not p.name.startswith("_"))


def display_path(path: Path) -> str:
    """``alerts_src/data_drift.py``: how errors and generated headers name a source file."""
    return f"{path.parent.name}/{path.name}"


def load_group(path: Path) -> object:
    """Import ``path`` and return its ``group`` attribute; SourceError naming the file otherwise."""
    name = display_path(path)
    module = _import(path, name)
    if not hasattr(module, GROUP_ATTRIBUTE):
        raise SourceError(
            f"the module defines no `{GROUP_ATTRIBUTE}`",
            source=name,
            hint='end it with `group = rule_group("name", [alert_rule(...), ...])`',
        )
    return getattr(module, GROUP_ATTRIBUTE)


def _import(path: Path, name: str) -> ModuleType:
    module_name = f"_mlmon_alerts_src.{path.stem}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module  # dataclasses and attrs look modules up while executing them
    try:
        spec.loader.exec_module(module)
    except SourceError as exc:
        if exc.source is None:
            _locate(exc, path, name)
        raise
    except MlmonError:
        raise
    except Exception as exc:
        raise SourceError(
            f"importing the module failed: {type(exc).__name__}: {exc}",
            source=name,
            hint="fix the error above; run the file with python to see the traceback",
        ) from exc
    finally:
        sys.modules.pop(module_name, None)
    return module


def _locate(exc: SourceError, path: Path, name: str) -> None:
    """Point an error raised while building a rule (e.g. an unknown metric) at its line and rule.

    The query is built before ``alert_rule`` is called, so the error cannot
    know the rule's name; the closest ``alert_rule("Name"`` above the failing
    line in the source file is that rule.
    """
    lines = [
        frame.lineno
        for frame in traceback.extract_tb(exc.__traceback__)
        if Path(frame.filename) == path and frame.lineno
    ]
    exc.source = f"{name}:{lines[-1]}" if lines else name
    if exc.item is None and lines:
        above = "\n".join(path.read_text().splitlines()[: lines[-1]])
        calls = _RULE_CALL.findall(above)
        if calls:
            exc.item = calls[-1]
    exc.args = (str(exc),)
