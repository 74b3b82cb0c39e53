"""The ``mlmon`` command line.

Each sub-command lives in its own module under ``mlmon.commands`` and exposes
``register(subparsers)``, which adds its parser and sets ``func`` to a callable
``(args) -> int`` (the process exit code). Exit codes across commands: 0 success,
1 findings/failures the user should act on, 2 usage or I/O errors.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from mlmon import __version__

# Sub-command -> the module under mlmon.commands that registers it, in the
# order `mlmon --help` lists them. Running one command imports only its module:
# the Grafana client alone costs a noticeable share of a cold `mlmon build`.
COMMANDS = {
    "build": "build",
    "lint": "lint",
    "push": "push",
    "diff": "push",
    "pull": "push",
    "import": "import_",
    "catalog": "catalog",
    "demo": "demo",
    "preview": "preview",
}


def _requested_command(argv: list[str]) -> str | None:
    """The sub-command named in ``argv`` (first non-option word), if it is a known one."""
    for word in argv:
        if not word.startswith("-"):
            return word if word in COMMANDS else None
    return None


def build_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mlmon",
        description="Monitoring-as-code for ML services: build, lint and push Grafana dashboards and alerts.",
    )
    parser.add_argument("--version", action="version", version=f"mlmon {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug output to stderr")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    requested = _requested_command(sys.argv[1:] if argv is None else argv)
    modules = [COMMANDS[requested]] if requested else list(dict.fromkeys(COMMANDS.values()))
    for name in modules:
        importlib.import_module(f"mlmon.commands.{name}").register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(levelname)s %(name)s: %(message)s",
    )
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
