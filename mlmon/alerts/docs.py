"""The list of alert rules in docs/alerts.md, rendered from the rule sources so it cannot drift from them.

``python -m mlmon.alerts.docs`` prints the Markdown that belongs between the
``<!-- alerts:rules -->`` markers of docs/alerts.md (tests/alerts check it does).
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Any

from mlmon.alerts.compiler import Sources, load_groups, load_sources
from mlmon.alerts.prometheus import alert_expression
from mlmon.alerts.routing import Route, Routing, route_for
from mlmon.alerts.spec import GroupSpec, RuleSpec

BEGIN, END = "<!-- alerts:rules -->", "<!-- /alerts:rules -->"
ROUTING_BEGIN, ROUTING_END = "<!-- alerts:routing -->", "<!-- /alerts:routing -->"
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


def render_routing(sources: Sources) -> str:
    """The table of docs/alert-routing.md: who receives each rule, how it is grouped, when muted."""
    routing = sources.routing
    if routing is None:
        return f"{ROUTING_BEGIN}\n\n(no alerts_src/routing.py)\n\n{ROUTING_END}\n"
    rows = [
        "| alert | severity | team | delivered to (grouped by) | muted |",
        "|---|---|---|---|---|",
    ]
    for group in sources.groups:
        for rule in group.rules:
            routes = route_for(routing, dict(rule.labels))
            delivered = "; ".join(
                f"{route.receiver} ({', '.join(_inherited(routing, route, 'group_by') or ())})"
                for route in routes
            )
            muted = sorted({m for route in routes for m in route.mute_timings})
            rows.append(
                f"| `{rule.title}` | {rule.labels['severity']} | {rule.labels.get('team', '')} | "
                f"{delivered} | {', '.join(muted) or '-'} |"
            )
    return f"{ROUTING_BEGIN}\n\n" + "\n".join(rows) + f"\n\n{ROUTING_END}\n"


def _inherited(routing: Routing, target: Route, name: str) -> Any:
    """A timing or grouping field as Alertmanager applies it: the nearest route on the path that sets it."""
    path = _path(routing.policy, target) or [routing.policy]
    for route in reversed(path):
        if getattr(route, name) is not None:
            return getattr(route, name)
    return None


def _path(node: Route, target: Route) -> list[Route] | None:
    if node is target:
        return [node]
    for child in node.routes:
        found = _path(child, target)
        if found:
            return [node, *found]
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m mlmon.alerts.docs",
        description="Print the alert-rule list of docs/alerts.md from the rule sources.",
    )
    parser.add_argument(
        "src_dir", nargs="?", default="alerts_src", type=Path, help="default: alerts_src"
    )
    parser.add_argument(
        "--routing",
        action="store_true",
        help="print the routing table of docs/alert-routing.md instead",
    )
    args = parser.parse_args(argv)
    if args.routing:
        sys.stdout.write(render_routing(load_sources(args.src_dir)))
    else:
        sys.stdout.write(render(load_groups(args.src_dir)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
