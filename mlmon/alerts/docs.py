"""The list of alert rules in docs/alerts.md, rendered from the rule sources so it cannot drift from them.

``python -m mlmon.alerts.docs`` prints the Markdown that belongs between the
``<!-- alerts:rules -->`` markers of docs/alerts.md (tests/alerts check it does).
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from mlmon.alerts.compiler import load_groups
from mlmon.alerts.prometheus import alert_expression
from mlmon.alerts.spec import GroupSpec, RuleSpec

BEGIN, END = "<!-- alerts:rules -->", "<!-- /alerts:rules -->"
_LABEL = re.compile(r"\{\{\s*\$labels\.(\w+)\s*\}\}")
_VALUE = re.compile(r"\{\{\s*\$value\b[^}]*\}\}")


def plain(text: str) -> str:
    """Template text for readers: ``{{ $labels.feature }}`` -> ``{feature}``, ``{{ $value | ... }}`` -> ``{value}``."""
    return _VALUE.sub("{value}", _LABEL.sub(r"{\1}", text))


def render(groups: list[GroupSpec]) -> str:
    parts = [BEGIN]
    for group in groups:
        parts.append(f"#### Group `{group.name}` ({group.source}, every {group.interval})")
        parts.extend(_rule(rule) for rule in group.rules)
    parts.append(END)
    return "\n\n".join(parts) + "\n"


def _rule(rule: RuleSpec) -> str:
    return (
        f"- **`{rule.title}`** ({rule.labels['severity']}, uid `{rule.uid}`): fires when "
        f"`{alert_expression(rule)}` holds for {rule.for_}. {plain(rule.annotations['description'])}\n"
        f"  *Runbook.* {plain(rule.annotations.get('runbook', ''))}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m mlmon.alerts.docs",
        description="Print the alert-rule list of docs/alerts.md from the rule sources.",
    )
    parser.add_argument(
        "src_dir", nargs="?", default="alerts_src", type=Path, help="default: alerts_src"
    )
    args = parser.parse_args(argv)
    sys.stdout.write(render(load_groups(args.src_dir)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
