"""``mlmon preview``: draw compiled dashboards with data from a real Prometheus, to PNG and HTML."""

from __future__ import annotations

import argparse
import importlib.util
import sys
from collections import defaultdict
from pathlib import Path

DESCRIPTION = (
    "Render compiled dashboards (generated/dashboards/*.json, or any Grafana dashboard JSON) with data from a "
    "Prometheus, as Grafana would draw them: one PNG per dashboard and an HTML page linking them. Every panel "
    "runs its queries with the template variables and $__interval/$__rate_interval/$__range expanded. Panels or "
    "features the preview cannot draw faithfully become labelled placeholders and are listed on stderr. "
    "Exit codes: 0 rendered, 1 some panel's query failed, 2 bad input or Prometheus unreachable."
)
DEFAULT_SOURCE = Path("generated/dashboards")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "preview",
        help="render dashboards to PNG + HTML with data from Prometheus (no Grafana needed)",
        description=DESCRIPTION,
    )
    parser.add_argument(
        "paths",
        nargs="*",
        type=Path,
        help=f"dashboard JSON files or directories (default {DEFAULT_SOURCE}/)",
    )
    parser.add_argument(
        "--prometheus",
        metavar="URL",
        help="Prometheus to query (default $PROMETHEUS_URL, else http://localhost:9090)",
    )
    parser.add_argument(
        "--from",
        dest="time_from",
        default="1h",
        metavar="TIME",
        help="start of the range: 1h (an hour ago), now-6h, an epoch or an ISO 8601 time (default 1h)",
    )
    parser.add_argument(
        "--to", dest="time_to", default="now", metavar="TIME", help="end of the range (default now)"
    )
    parser.add_argument(
        "--var",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="set a template variable (repeat for several values; VALUE All selects all); default: the dashboard's",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("preview"),
        metavar="DIR",
        help="output directory (default preview/)",
    )
    parser.add_argument(
        "--scrape-interval",
        metavar="DURATION",
        help="the data source's scrape interval for $__rate_interval (default: Prometheus's own setting)",
    )
    parser.add_argument(
        "--width",
        type=int,
        default=1600,
        metavar="PX",
        help="picture width in pixels (default 1600)",
    )
    parser.add_argument(
        "--refresh",
        type=int,
        metavar="SECONDS",
        help="make the HTML pages reload themselves every SECONDS",
    )
    parser.set_defaults(func=run)


def _variables(pairs: list[str]) -> dict[str, list[str]]:
    values: dict[str, list[str]] = defaultdict(list)
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise ValueError(f"--var {pair!r}: write NAME=VALUE, e.g. --var model=house_price")
        values[name.strip()].append(value)
    return dict(values)


def dashboard_files(paths: list[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths or [DEFAULT_SOURCE]:
        if path.is_dir():
            found = sorted(path.glob("*.json"))
            if not found:
                raise ValueError(f"{path}: no *.json dashboards in it (run `mlmon build` first)")
            files += found
        elif path.is_file():
            files.append(path)
        else:
            hint = " (run `mlmon build` first)" if path == DEFAULT_SOURCE else ""
            raise ValueError(f"{path}: no such file or directory{hint}")
    return files


MISSING_MATPLOTLIB = (
    "mlmon preview draws with matplotlib, which is not installed: pip install 'mlmon[preview]' "
    "(`make setup` installs it)"
)


def run(args: argparse.Namespace) -> int:
    if importlib.util.find_spec("matplotlib") is None:
        print(f"mlmon preview: {MISSING_MATPLOTLIB}", file=sys.stderr)
        return 2
    from mlmon.errors import MlmonError
    from mlmon.lint.live import prometheus_url
    from mlmon.preview import html
    from mlmon.preview.render import PreviewOptions, render_files
    from mlmon.preview.timerange import TimeRange, parse_duration

    def warn(line: str) -> None:
        print(f"mlmon preview: {line}", file=sys.stderr, flush=True)

    try:
        files = dashboard_files(args.paths)
        variables = _variables(args.var)
        if args.width < 600:
            raise ValueError(
                f"--width {args.width}: at least 600 pixels, or the panels are unreadable"
            )
        options = PreviewOptions(
            prometheus_url=prometheus_url(args.prometheus),
            time_range=TimeRange.parse(args.time_from, args.time_to),
            variables=variables,
            width=args.width,
            scrape_interval=parse_duration(args.scrape_interval) if args.scrape_interval else None,
        )
    except (ValueError, MlmonError) as exc:
        warn(f"error: {exc}")
        return 2
    try:
        previews = render_files(files, options, args.out, log=warn, progress=warn)
    except MlmonError as exc:
        warn(f"error: {exc}")
        return 2
    index = html.write_site(args.out, previews, options.prometheus_url, args.refresh)
    failed = 0
    for preview in previews:
        states = [p.state for p in preview.panels if p.state != "row"]
        failed += states.count("error")
        hidden = states.count("collapsed")
        print(
            f"{args.out / preview.png}: {len(states)} panels, {states.count('no-data')} with no data, "
            f"{states.count('error')} failed, {states.count('unsupported')} not drawn"
            + (f", {hidden} in collapsed rows" if hidden else "")
        )
    print(f"open {index}")
    return 1 if failed else 0
