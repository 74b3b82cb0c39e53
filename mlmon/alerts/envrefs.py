"""Environment-variable references in generated notification configs, and their resolution at start.

Alertmanager reads no environment variables and checks every URL when it
loads its configuration, so a secret cannot be written as ``$NAME``. mlmon
writes it as ``https://mlmon-env.invalid/NAME`` instead: a valid URL (so
``amtool check-config`` accepts the file), under the reserved ``.invalid``
domain (so a config started without resolution can send nothing anywhere),
and unmistakable. :func:`resolve` replaces each reference with the variable's
value when Alertmanager is started (``python -m mlmon.alerts.envrefs``, or
``stack/alertmanager/start.sh`` in the container).

Grafana expands ``$NAME`` in provisioning files itself: :func:`grafana_ref`.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Mapping
from pathlib import Path

from mlmon.errors import MlmonError

PREFIX = "https://mlmon-env.invalid/"
REFERENCE = re.compile(re.escape(PREFIX) + r"([A-Z_][A-Z0-9_]*)")


def alertmanager_ref(name: str) -> str:
    return f"{PREFIX}{name}"


def grafana_ref(name: str) -> str:
    return f"${{{name}}}"


def referenced(text: str) -> list[str]:
    """The variable names ``text`` references, sorted, once each."""
    return sorted(set(REFERENCE.findall(text)))


def resolve(text: str, env: Mapping[str, str]) -> str:
    """``text`` with every reference replaced by its value; MlmonError naming every unset variable."""
    missing = [name for name in referenced(text) if not env.get(name)]
    if missing:
        raise MlmonError(
            f"environment variable(s) {', '.join(missing)} not set: the notification config needs them "
            "(set them, e.g. in stack/.env, and start again)"
        )
    # A YAML double-quoted scalar would need escaping; mlmon writes references as plain or
    # single-quoted scalars, where a value is safe unless it holds a quote or a line break.
    for name in referenced(text):
        if any(ch in env[name] for ch in "'\"\n"):
            raise MlmonError(f"environment variable {name} holds a quote or a line break")
    return REFERENCE.sub(lambda m: env[m.group(1)], text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m mlmon.alerts.envrefs",
        description="Write an Alertmanager config with its environment-variable references resolved "
        "(the generated file, generated/alerts/alertmanager/alertmanager.yml, names them).",
    )
    parser.add_argument("source", type=Path, help="the generated alertmanager.yml")
    parser.add_argument("target", type=Path, help="where to write the resolved config (mode 0600)")
    args = parser.parse_args(argv)
    try:
        text = resolve(args.source.read_text(), os.environ)
    except (MlmonError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    args.target.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(args.target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
