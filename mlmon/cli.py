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

# Module names under mlmon.commands, in the order `mlmon --help` lists them.
COMMANDS = ("build", "lint", "push", "import_", "demo")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mlmon",
        description="Monitoring-as-code for ML services: build, lint and push Grafana dashboards and alerts.",
    )
    parser.add_argument("--version", action="version", version=f"mlmon {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug output to stderr")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"mlmon.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"mlmon.commands.{name}":
                continue  # command not shipped in this build
            raise
        module.register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
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
