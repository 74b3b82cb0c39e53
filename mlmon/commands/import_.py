"""``mlmon import``: turn a Grafana dashboard JSON file into a module for dashboards_src/."""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from mlmon.catalog import extension as catalog_extension
from mlmon.compiler.dashboards import BuildFailed, compile_dashboard
from mlmon.compiler.loader import display_path, load
from mlmon.compiler.outputs import Plan, apply
from mlmon.errors import MlmonError
from mlmon.importer import Imported, import_file


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "import",
        help="turn a Grafana dashboard JSON into a Python module for dashboards_src/",
        description="Convert an exported Grafana dashboard (JSON model or the API's {dashboard, meta} "
        "envelope, any schemaVersion) into an idiomatic module that `mlmon build` compiles back to the "
        "same dashboard. Old dashboards are migrated first, the way Grafana's own migrator opens them "
        "(legacy rows, graph/singlestat/table-old/heatmap panels, data-source names); every change is "
        "listed as a note and at the top of the module. The module is built and validated before "
        "anything is written, in every mode. Metric families the queries use that no catalog declares "
        "are added to the project's catalog.yml.",
    )
    parser.add_argument("dashboard", type=Path, help="the dashboard JSON file")
    parser.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help="where to write the module (default: dashboards_src/<uid>.py; '-' for stdout)",
    )
    parser.add_argument("--force", action="store_true", help="overwrite an existing module")
    parser.add_argument(
        "--no-catalog",
        action="store_true",
        help="do not add the dashboard's metric families to catalog.yml",
    )
    parser.add_argument(
        "-q", "--quiet", action="store_true", help="do not print the migration notes"
    )
    parser.set_defaults(func=run)


def _default_output(uid: str | None, title: str) -> Path:
    stem = re.sub(r"[^a-z0-9]+", "_", (uid or title).lower()).strip("_") or "imported"
    return Path("dashboards_src") / f"{stem}.py"


def _check_builds(imported: Imported, label: str) -> None:
    """Load the generated module from a scratch file and compile it like `mlmon build` (nothing left behind)."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="mlmon-import-") as scratch:
        module = Path(scratch) / "imported.py"
        module.write_text(imported.source, encoding="utf-8")
        with catalog_extension.declaring(imported.families, imported.target_labels):
            compile_dashboard(load(module, "dashboard", "mlmon_import_check").value, label)


def run(args: argparse.Namespace) -> int:
    to_stdout = args.output == "-"
    try:
        imported = import_file(args.dashboard)
        output = (
            Path(args.output)
            if args.output and not to_stdout
            else _default_output(imported.uid, imported.title)
        )
        if not to_stdout and output.exists() and not args.force:
            print(
                f"error: {display_path(output)} exists; pass --force to overwrite it",
                file=sys.stderr,
            )
            return 2
        _check_builds(
            imported, display_path(args.dashboard)
        )  # the input: the output does not exist yet
    except BuildFailed as exc:
        for error in exc.errors:
            print(f"error: {error}", file=sys.stderr)
        print(
            f"import failed: {args.dashboard} does not pass mlmon's validation "
            f"({len(exc.errors)} problem{'s' if len(exc.errors) != 1 else ''}); nothing was written",
            file=sys.stderr,
        )
        return 1
    except MlmonError as exc:
        print(f"error: {exc}", file=sys.stderr)
        print("import failed: nothing was written", file=sys.stderr)
        return 1
    if not args.quiet:
        for note in imported.notes:
            print(f"note: {note}", file=sys.stderr)
    if to_stdout:
        sys.stdout.write(imported.source)
        if imported.families and not args.no_catalog:
            print(
                f"note: {len(imported.families)} metric families are not in any catalog; "
                "import to a file (or run `mlmon catalog pull`) to declare them in catalog.yml",
                file=sys.stderr,
            )
        return 0
    output.parent.mkdir(parents=True, exist_ok=True)
    catalog_file = None
    if (imported.families or imported.target_labels) and not args.no_catalog:
        try:
            current = catalog_extension.families()
        except MlmonError as exc:
            print(f"error: {exc}", file=sys.stderr)
            print("import failed: nothing was written", file=sys.stderr)
            return 1
        merged = catalog_extension.merged(current, _update(imported))
        if (
            merged != dict(current)
            or not imported.target_labels <= catalog_extension.target_labels()
        ):
            catalog_file = catalog_extension.path()
    plan = Plan(stale=[output.name]) if output.exists() else Plan(missing=[output.name])
    apply(output.parent, {output.name: imported.source.encode("utf-8")}, plan)
    if catalog_file is not None:
        catalog_extension.write(
            merged, imported.family_sources, target_labels_=imported.target_labels
        )
    print(
        f"wrote {display_path(output)} ({imported.panels} panels, {len(imported.notes)} notes); run `mlmon build` to compile it"
    )
    if catalog_file is not None:
        print(f"declared {len(imported.families)} metric families in {display_path(catalog_file)}")
    return 0


def _update(imported: Imported) -> catalog_extension.Update:
    update = catalog_extension.Update()
    for name, family in imported.families.items():
        update.add(
            name, family.type, family.labels, family.help, imported.family_sources.get(name, "")
        )
    return update
