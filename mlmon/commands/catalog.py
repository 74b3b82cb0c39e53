"""``mlmon catalog``: the project's catalog extension (catalog.yml) — pull it from Prometheus, list it."""

from __future__ import annotations

import argparse
import sys

from mlmon.catalog import extension
from mlmon.catalog.pull import pull
from mlmon.compiler.loader import display_path
from mlmon.errors import MlmonError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "catalog",
        help="declare metric families mlmon does not export (catalog.yml): pull them from Prometheus, list them",
        description="The project's catalog extension (catalog.yml at the project root, or $MLMON_CATALOG) "
        "declares the metric families dashboards and alerts query that mlmon's exporter does not serve "
        "(node_exporter, kube-state-metrics, ...). `mlmon build`, `mlmon lint` and the alert compiler read "
        "it; exporter/catalog.py stays the truth for the ML metrics.",
    )
    commands = parser.add_subparsers(dest="catalog_command", metavar="ACTION", required=True)
    pulling = commands.add_parser(
        "pull",
        help="add the families a running Prometheus knows (types, help and labels from its APIs)",
        description="Ask a Prometheus for its metric metadata (/api/v1/metadata) and each family's label "
        "names (/api/v1/labels), and merge them into catalog.yml: labels add up, a known type replaces "
        "'unknown', nothing already declared is removed.",
    )
    pulling.add_argument(
        "--prometheus", required=True, metavar="URL", help="e.g. http://localhost:9090"
    )
    pulling.add_argument(
        "--match", metavar="REGEX", help="only families whose name matches, e.g. 'node_.*|kube_.*'"
    )
    pulling.add_argument(
        "--timeout", type=float, default=10.0, metavar="SECONDS", help="per request (default 10)"
    )
    pulling.add_argument(
        "--dry-run",
        action="store_true",
        help="print the resulting catalog.yml instead of writing it",
    )
    pulling.set_defaults(func=run_pull)
    listing = commands.add_parser("list", help="list the declared families (name, type, labels)")
    listing.set_defaults(func=run_list)


def _progress(done: int, total: int) -> None:
    if sys.stderr.isatty() or done == total or done % 100 == 0:
        print(
            f"\rlabels: {done}/{total} families", end="\n" if done == total else "", file=sys.stderr
        )


def run_pull(args: argparse.Namespace) -> int:
    try:
        current = extension.families()
        update = pull(args.prometheus, match=args.match, timeout=args.timeout, progress=_progress)
    except MlmonError as exc:
        print(f"error: {exc}", file=sys.stderr)
        print("nothing was written", file=sys.stderr)
        return 1
    merged = extension.merged(current, update)
    added = sorted(set(merged) - set(current))
    if args.dry_run:
        sys.stdout.write(
            extension.render(merged, update.sources, extension.path(), update.target_labels)
        )
        return 0
    if not update.families and not update.target_labels:
        print(f"{args.prometheus} has no families to declare (all known, or none match)")
        return 0
    path = extension.write(merged, update.sources, target_labels_=update.target_labels)
    print(
        f"{display_path(path)}: {len(added)} families added, {len(update.families) - len(added)} updated ({len(merged)} declared)"
    )
    return 0


def run_list(args: argparse.Namespace) -> int:
    try:
        families = extension.families()
    except MlmonError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not families:
        print(
            f"no catalog extension at {display_path(extension.path())}; `mlmon import` or `mlmon catalog pull` creates it"
        )
        return 0
    for family in families.values():
        print(f"{family.name}  {family.type}  {{{', '.join(family.labels)}}}")
    return 0
