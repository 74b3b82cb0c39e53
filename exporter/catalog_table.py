"""The metric table in docs/catalog.md, rendered from the catalog: ``python -m exporter.catalog_table [--update docs/catalog.md]``.

Without ``--update`` the table is printed; with it, the text between the
page's ``<!-- section:catalog-table -->`` markers is replaced (a test checks
that the committed docs page matches the catalog).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from exporter.catalog import METRICS, Metric

START = "<!-- section:catalog-table -->"
END = "<!-- /section:catalog-table -->"


def _labels(metric: Metric) -> str:
    return ", ".join(f"`{label}`" for label in metric.labels) or "—"


def render() -> str:
    lines = [
        "Generated from `exporter/catalog.py` by `python -m exporter.catalog_table --update docs/catalog.md`"
        " (a test fails when it is stale). *Served by*: `exporter` = `python -m exporter` (port 8001),"
        " `api` = the model API's own `/metrics`.",
        "",
        "| metric | type | labels | unit | served by | task | help |",
        "|---|---|---|---|---|---|---|",
    ]
    for metric in METRICS:
        help_text = metric.help.replace("|", "\\|")
        lines.append(
            f"| `{metric.name}` | {metric.type.value} | {_labels(metric)} | {metric.unit.value} | "
            f"{metric.source.value} | {metric.task or 'any'} | {help_text} |"
        )
    return "\n".join(lines)


def section() -> str:
    """The whole docs section, markers included."""
    return f"{START}\n{render()}\n{END}"


def update(readme: Path) -> bool:
    """Rewrite the table in ``readme``; True when it changed. Raises ValueError when the markers are missing."""
    text = readme.read_text(encoding="utf-8")
    start, end = text.find(START), text.find(END)
    if start < 0 or end < start:
        raise ValueError(f"{readme}: markers {START} ... {END} not found")
    new = text[:start] + section() + text[end + len(END) :]
    if new != text:
        readme.write_text(new, encoding="utf-8")
    return new != text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m exporter.catalog_table", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--update", type=Path, metavar="PAGE", help="replace the table in this file"
    )
    args = parser.parse_args(argv)
    if args.update is None:
        print(render())
        return 0
    try:
        changed = update(args.update)
    except (OSError, ValueError) as exc:
        print(f"catalog_table: {exc}", file=sys.stderr)
        return 2
    print(f"{args.update}: {'updated' if changed else 'already up to date'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
