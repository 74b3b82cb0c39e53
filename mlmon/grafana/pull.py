"""Grafana back to files: dashboards as JSON, or as Python modules via ``mlmon.importer``."""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mlmon.grafana.canonical import SERVER_DASHBOARD_FIELDS
from mlmon.grafana.client import GrafanaClient
from mlmon.grafana.errors import GrafanaError, GrafanaRequestError


def write_atomically(path: Path, text: str) -> None:
    """Write via a temporary file and rename, so an interrupted pull leaves no half-written file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


Converter = Callable[[dict[str, Any], str], tuple[str, list[str]]]


def python_converter() -> Converter:
    """``(dashboard, origin) -> (module source, notes)`` from ``mlmon import``'s importer."""
    try:
        from mlmon.importer import to_module
    except ImportError:
        raise GrafanaError(
            "--as-python needs the dashboard importer (mlmon.importer, `mlmon import`), which this build does not "
            "provide; pull as JSON and convert later with `mlmon import FILE.json`"
        ) from None

    def convert(model: dict[str, Any], origin: str) -> tuple[str, list[str]]:
        imported = to_module(model, origin)
        return imported.source, imported.notes

    return convert


def module_name(uid: str) -> str:
    """``mlmon-api`` -> ``mlmon_api.py``, the name `mlmon import` gives the same dashboard."""
    return (re.sub(r"[^a-z0-9]+", "_", uid.lower()).strip("_") or "imported") + ".py"


def resolve_uids(client: GrafanaClient, uids: list[str], folder: str | None) -> list[str]:
    """Dashboard uids to pull: the given ones plus every dashboard in ``folder`` (uid or title)."""
    selected = list(uids)
    if folder:
        hits = client.search_dashboards()
        in_folder = [h["uid"] for h in hits if folder in (h.get("folderUid"), h.get("folderTitle"))]
        if not in_folder:
            raise GrafanaRequestError(
                f"no dashboards found in folder {folder!r} (give its uid or exact title)"
            )
        selected.extend(uid for uid in in_folder if uid not in selected)
    return selected


def pull_dashboards(
    client: GrafanaClient,
    uids: list[str],
    out_dir: Path,
    *,
    as_python: bool = False,
    force: bool = False,
    on_file: Callable[[Path, list[str]], None] | None = None,
) -> list[Path]:
    """Fetch every dashboard first, then write them: a missing uid leaves no files behind.

    JSON files are refreshed in place; Python modules are source code, so an
    existing one is only replaced with ``force``.
    """
    convert = python_converter() if as_python else None
    files: list[tuple[Path, str, list[str]]] = []
    for uid in uids:
        found = client.get_dashboard(uid)
        if found is None:
            raise GrafanaRequestError(
                f"dashboard {uid!r} does not exist in Grafana (or the credential cannot see it)",
                status=404,
            )
        model = {k: v for k, v in found["dashboard"].items() if k not in SERVER_DASHBOARD_FIELDS}
        if convert is not None:
            path = out_dir / module_name(uid)
            if path.exists() and not force:
                raise GrafanaError(
                    f"{path} exists; pass --force to replace it with the version from Grafana"
                )
            text, notes = convert(model, f"Grafana dashboard {uid}")
        else:
            path, notes = out_dir / f"{uid}.json", []
            text = json.dumps(model, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
        files.append((path, text, notes))
    for path, text, notes in files:
        write_atomically(path, text)
        if on_file:
            on_file(path, notes)
    return [path for path, _, _ in files]
