"""``mlmon import``: turn a Grafana dashboard JSON file into a module for dashboards_src/."""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from mlmon.compiler.dashboards import BuildFailed, compile_dashboard
from mlmon.compiler.loader import load
from mlmon.compiler.outputs import Plan, apply
from mlmon.errors import MlmonError
from mlmon.importer import import_file


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "import",
        help="turn a Grafana dashboard JSON into a Python module for dashboards_src/",
        description="Convert an exported Grafana dashboard (JSON model, or the API's {dashboard, meta} envelope) "
        "into a Python module that `mlmon build` compiles back to the same dashboard. The module is "
        "compiled and validated before it is written.",
    )
    parser.add_argument("dashboard", type=Path, help="the dashboard JSON file")
    parser.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help="where to write the module (default: dashboards_src/<uid>.py; '-' for stdout)",
    )
    parser.add_argument("--force", action="store_true", help="overwrite an existing module")
    parser.set_defaults(func=run)


def _default_output(uid: str | None, title: str) -> Path:
    stem = re.sub(r"[^a-z0-9]+", "_", (uid or title).lower()).strip("_") or "imported"
    return Path("dashboards_src") / f"{stem}.py"


def _check_compiles(source: str, output: Path) -> None:
    """Compile the generated module from a scratch file beside the output (never leaving it behind)."""
    scratch = output.with_name(f".{output.stem}.import-check.py")
    scratch.write_text(source, encoding="utf-8")
    try:
        compile_dashboard(load(scratch, "dashboard", "mlmon_import_check").value, str(output))
    finally:
        scratch.unlink(missing_ok=True)


def run(args: argparse.Namespace) -> int:
    try:
        imported = import_file(args.dashboard)
        output = (
            Path(args.output)
            if args.output and args.output != "-"
            else _default_output(imported.uid, imported.title)
        )
        if args.output != "-":
            if output.exists() and not args.force:
                print(f"error: {output} exists; pass --force to overwrite it", file=sys.stderr)
                return 2
            output.parent.mkdir(parents=True, exist_ok=True)
            _check_compiles(imported.source, output)
    except BuildFailed as exc:
        for error in exc.errors:
            print(f"error: {error}", file=sys.stderr)
        print(
            "import failed: the dashboard does not pass mlmon's validation; nothing was written",
            file=sys.stderr,
        )
        return 1
    except MlmonError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for note in imported.notes:
        print(f"note: {note}", file=sys.stderr)
    if args.output == "-":
        sys.stdout.write(imported.source)
        return 0
    apply(
        output.parent, {output.name: imported.source.encode("utf-8")}, Plan(missing=[output.name])
    )
    print(f"wrote {output} ({imported.panels} panels); run `mlmon build` to compile it")
    return 0
