"""`mlmon lint`: static rules over dashboards and alert rules, and a live check against Prometheus."""

from __future__ import annotations

import argparse
import sys
import textwrap
from pathlib import Path

from mlmon.errors import MlmonError

EPILOG = """
exit codes: 0 clean, 1 findings at error level (or warnings with --strict), 2 usage or I/O error.

exclusions: .mlmon-lint.yml at the project root or next to a dashboard applies to the files in its
directory and below; each exclusion names a rule, optionally a dashboard (title or uid) and a panel
(title), and must give a reason:
  exclusions:
    - rule: panel-units
      dashboard: ML API
      panel: Active requests
      reason: a count of requests has no unit
  rules:
    target-job-matcher: {enabled: true}
"""


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "lint",
        help="lint dashboards and alert rules (static rules, metric catalog, live queries)",
        description="Lint Grafana dashboard JSON and alert rules (Grafana provisioning JSON/YAML and Prometheus "
        "rule files): Prometheus best practices, the metric catalog, layout and alert hygiene. With "
        "--live, also run every query against a Prometheus and report dead panels.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "paths",
        nargs="*",
        type=Path,
        metavar="PATH",
        help="dashboard/alert files or directories, searched recursively (default: generated/)",
    )
    parser.add_argument(
        "--format",
        choices=("text", "json", "github", "sarif"),
        default="text",
        help="text (default, grouped by dashboard and panel), json, github (workflow annotations) "
        "or sarif (SARIF 2.1.0, for GitHub code scanning and other CI tools)",
    )
    parser.add_argument("--strict", action="store_true", help="warnings fail too (exit 1)")
    parser.add_argument(
        "--config",
        type=Path,
        metavar="FILE",
        help="an extra exclusions file, applied on top of the .mlmon-lint.yml files found",
    )
    parser.add_argument(
        "--list-rules", action="store_true", help="list the rules with their level and exit"
    )
    parser.add_argument(
        "--explain",
        metavar="RULE",
        help="explain one rule (what, why, failing and passing examples, how to exclude) and exit",
    )
    live = parser.add_argument_group("live check")
    live.add_argument(
        "--live",
        action="store_true",
        help="also run every panel target and alert expression against Prometheus and report "
        "those that fail or return no series",
    )
    live.add_argument(
        "--live-demo",
        action="store_true",
        help="start the demo stack (API with simulated traffic, exporter, a local Prometheus) in a "
        "temporary directory, run the live check against it, and stop it (needs prometheus)",
    )
    live.add_argument(
        "--prometheus",
        metavar="URL",
        default=None,
        help="Prometheus to query (implies --live; default: $PROMETHEUS_URL or http://localhost:9090)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from mlmon.lint.engine import lint_paths
    from mlmon.lint.output import render

    if args.list_rules:
        print(rule_listing())
        return 0
    if args.explain:
        return explain(args.explain)
    if args.live_demo and args.prometheus:
        print(
            "mlmon lint: --live-demo starts its own Prometheus; leave out --prometheus",
            file=sys.stderr,
        )
        return 2
    paths = args.paths or [Path("generated")]
    try:
        report = lint_paths(paths, args.config)
        if args.live_demo:
            from mlmon.commands.lint_live_demo import run_live_demo

            run_live_demo(paths, report, _progress, Path.cwd())
        elif args.live or args.prometheus:
            from mlmon.lint.live import LiveCheck, prometheus_url

            LiveCheck(prometheus_url(args.prometheus), progress=_progress).run(paths, report)
    except MlmonError as exc:
        print(f"mlmon lint: {exc}", file=sys.stderr)
        return 2
    print(render(report, args.format))
    return report.exit_code(strict=args.strict)


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def explain(name: str) -> int:
    import difflib

    from mlmon.lint.registry import all_rules
    from mlmon.lint.rule_docs import rule_page

    if name not in all_rules():
        close = difflib.get_close_matches(name, list(all_rules()), n=3)
        suggestion = f"; did you mean {', '.join(close)}?" if close else ""
        print(
            f"mlmon lint: no rule named {name!r}{suggestion} (`mlmon lint --list-rules` lists them)",
            file=sys.stderr,
        )
        return 2
    print(rule_page(name, generated_note=False))
    return 0


def rule_listing() -> str:
    from mlmon.lint.registry import all_rules

    lines = []
    for name, rule in all_rules().items():
        state = "" if rule.enabled_by_default else " (off by default)"
        lines.append(f"{name}  [{rule.level.value}]{state}")
        lines.extend(
            textwrap.wrap(rule.description, 100, initial_indent="    ", subsequent_indent="    ")
        )
    return "\n".join(lines)
