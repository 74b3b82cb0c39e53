"""``mlmon build``: compile dashboards_src/ and alerts_src/ into generated/ (``--check`` for CI).

Everything is compiled in memory first; ``generated/`` is only touched when
every source compiled, and then atomically (see mlmon.compiler.outputs).
Stale outputs (whose source was removed) are deleted. Alerts (rules and their
routing) come from ``mlmon.alerts.compiler.compile_alerts``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from mlmon.alerts.compiler import compile_alerts
from mlmon.compiler.dashboards import OUTPUT_DIR as DASHBOARDS_DIR
from mlmon.compiler.dashboards import BuildFailed, compile_dashboards
from mlmon.compiler.outputs import apply, plan
from mlmon.errors import MlmonError, SourceError

ALERTS_DIR = "alerts"
PARTS = ("dashboards", "alerts")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "build",
        help="compile dashboards_src/ and alerts_src/ into generated/",
        description="Compile dashboards_src/*.py into generated/dashboards/<uid>.json and alerts_src/*.py into "
        "generated/alerts/. Nothing is written unless every source compiles; outputs whose source "
        "was removed are deleted. Run it from the project root.",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 and list the files that are stale, missing or extra (for CI)",
    )
    parser.add_argument(
        "--only", choices=PARTS, help="build only the dashboards or only the alerts"
    )
    parser.add_argument(
        "--src",
        type=Path,
        default=Path("dashboards_src"),
        metavar="DIR",
        help="dashboard sources (default: dashboards_src)",
    )
    parser.add_argument(
        "--alerts-src",
        type=Path,
        default=Path("alerts_src"),
        metavar="DIR",
        help="alert rule sources (default: alerts_src)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("generated"),
        metavar="DIR",
        help="output directory (default: generated)",
    )
    parser.set_defaults(func=run)


def _require_dir(path: Path, what: str) -> None:
    if not path.is_dir():
        raise SourceError(
            f"{what} directory {path}/ not found in {Path.cwd()}",
            hint="run mlmon build from the project root, or pass its path",
        )


def _compile(args: argparse.Namespace) -> tuple[dict[str, bytes], list[str]]:
    """(outputs, managed subdirectories); raises BuildFailed/SourceError before anything is written."""
    outputs: dict[str, bytes] = {}
    managed: list[str] = []
    errors: list[SourceError] = []
    if args.only in (None, "dashboards"):
        _require_dir(args.src, "dashboard source")
        managed.append(DASHBOARDS_DIR)
        try:
            outputs.update(compile_dashboards(args.src))
        except BuildFailed as exc:
            errors.extend(exc.errors)
    if args.only in (None, "alerts"):
        _require_dir(args.alerts_src, "alert source")
        managed.append(ALERTS_DIR)
        try:
            outputs.update(compile_alerts(args.alerts_src))
        except SourceError as exc:
            errors.append(exc)
    if errors:
        raise BuildFailed(errors)
    return outputs, managed


def _counts(outputs: dict[str, bytes]) -> str:
    dashboards = sum(1 for k in outputs if k.startswith(f"{DASHBOARDS_DIR}/"))
    alerts = sum(1 for k in outputs if k.startswith(f"{ALERTS_DIR}/"))
    return f"{dashboards} dashboards, {alerts} alert files"


def run(args: argparse.Namespace) -> int:
    try:
        outputs, managed = _compile(args)
    except BuildFailed as exc:
        for error in exc.errors:
            print(f"error: {error}", file=sys.stderr)
        print(f"build failed: {len(exc.errors)} problem(s); nothing was written", file=sys.stderr)
        return 1
    except SourceError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except MlmonError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    todo = plan(args.out, outputs, managed)
    if args.check:
        if todo.clean:
            print(f"{args.out}/ is up to date ({_counts(outputs)})")
            return 0
        for label, paths in (
            ("stale", todo.stale),
            ("missing", todo.missing),
            ("extra", todo.extra),
        ):
            for rel in paths:
                print(f"{label}: {args.out / rel}")
        print(
            f"{args.out}/ is out of date: run `make dashboards` (mlmon build) and commit the result",
            file=sys.stderr,
        )
        return 1
    try:
        apply(args.out, outputs, todo)
    except OSError as exc:
        print(f"error: writing {args.out}/: {exc}; nothing was changed", file=sys.stderr)
        return 2
    for label, paths in (("wrote", todo.missing + todo.stale), ("removed", todo.extra)):
        for rel in paths:
            print(f"{label} {args.out / rel}")
    written = len(todo.missing) + len(todo.stale)
    print(
        f"{_counts(outputs)}: {written} written, {len(todo.unchanged)} unchanged, {len(todo.extra)} removed"
    )
    return 0
