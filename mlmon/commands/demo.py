"""``mlmon demo``: the whole loop on this machine (API, exporter, Prometheus, simulated traffic)."""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path

DESCRIPTION = (
    "Build the dashboards and alerts, start the reference house-price API, the exporter and (when installed) "
    "Prometheus on free 127.0.0.1 ports, send simulated traffic with a drift episode, and print what the "
    "exporter reports and which alerts are pending or firing. With Prometheus, previews of the dashboards are "
    "redrawn every minute and served on 127.0.0.1 (the dashboards URL). Ctrl-C stops everything cleanly. "
    "Run it from the project root."
)


def _positive(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be positive, not {text}")
    return value


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "demo", help="run the whole monitoring loop locally, no Docker", description=DESCRIPTION
    )
    parser.add_argument(
        "--duration",
        type=_positive,
        metavar="SECONDS",
        help="stop by itself after this many seconds (default: run until Ctrl-C)",
    )
    parser.add_argument(
        "--rate", type=_positive, default=20.0, help="simulated requests per second (default 20)"
    )
    parser.add_argument(
        "--state-dir",
        type=Path,
        default=Path(".demo"),
        help="prediction log, Prometheus data and logs (default .demo/, git-ignored)",
    )
    parser.add_argument(
        "--report-every",
        type=_positive,
        default=10.0,
        metavar="SECONDS",
        help="seconds between summaries (default 10)",
    )
    parser.add_argument(
        "--preview-every",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="redraw the dashboards page (state dir's preview/, served on 127.0.0.1) every SECONDS; "
        "0 turns it off (default 60)",
    )
    parser.add_argument("--no-build", action="store_true", help="skip `mlmon build`")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from mlmon.demo.runner import DemoOptions, run_demo

    root = Path.cwd()
    if not (root / "ml_api").is_dir() or not (root / "exporter").is_dir():
        print(
            "mlmon demo: run it from the project root (the directory with ml_api/ and exporter/)",
            file=sys.stderr,
        )
        return 2
    missing = [
        name for name in ("fastapi", "uvicorn", "sklearn") if importlib.util.find_spec(name) is None
    ]
    if missing:
        print(
            f"mlmon demo: the reference API needs {', '.join(missing)}: `make demo` installs them, or run "
            "pip install -e '.[api]'",
            file=sys.stderr,
        )
        return 2
    return run_demo(
        DemoOptions(
            root=root,
            state_dir=args.state_dir.resolve(),
            duration=args.duration,
            rate=args.rate,
            report_every=args.report_every,
            build=not args.no_build,
            preview_every=max(args.preview_every, 0.0),
        )
    )
