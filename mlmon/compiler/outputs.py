"""Compare compiled files with ``generated/`` and update it without leaving anything half-written.

Every new file is first written beside its target under a temporary name;
only when all of them are on disk are they renamed into place (an atomic
``os.replace`` each) and stale files removed. A failure while staging removes
the temporaries and leaves ``generated/`` as it was.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Plan:
    """What writing ``outputs`` into a directory would change (paths relative to it)."""

    missing: list[str] = field(default_factory=list)  # to create
    stale: list[str] = field(default_factory=list)  # to rewrite
    extra: list[str] = field(default_factory=list)  # to remove
    unchanged: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not (self.missing or self.stale or self.extra)


def _existing(out_dir: Path, managed: Iterable[str]) -> set[str]:
    found: set[str] = set()
    for sub in managed:
        root = out_dir / sub
        if root.is_dir():
            found.update(
                p.relative_to(out_dir).as_posix()
                for p in root.rglob("*")
                if p.is_file() and p.name != ".gitkeep"
            )
    return found


def plan(out_dir: Path, outputs: Mapping[str, bytes], managed: Iterable[str]) -> Plan:
    """Compare ``outputs`` with the files under the ``managed`` subdirectories of ``out_dir``."""
    result = Plan()
    existing = _existing(out_dir, managed)
    for rel in sorted(outputs):
        target = out_dir / rel
        if rel not in existing:
            result.missing.append(rel)
        elif target.read_bytes() != outputs[rel]:
            result.stale.append(rel)
        else:
            result.unchanged.append(rel)
    result.extra = sorted(existing - set(outputs))
    return result


def apply(out_dir: Path, outputs: Mapping[str, bytes], todo: Plan) -> None:
    """Write missing and stale files, then remove extra ones."""
    staged: list[tuple[Path, Path]] = []
    try:
        for rel in todo.missing + todo.stale:
            target = out_dir / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp_name = tempfile.mkstemp(
                prefix=f".{target.name}.", suffix=".tmp", dir=target.parent
            )
            staged.append((Path(tmp_name), target))
            os.chmod(
                tmp_name, 0o644
            )  # mkstemp's 0600 would hide the files from Grafana's container
            with os.fdopen(fd, "wb") as handle:
                handle.write(outputs[rel])
                handle.flush()
                os.fsync(handle.fileno())
    except BaseException:
        for tmp, _ in staged:
            tmp.unlink(missing_ok=True)
        raise
    for tmp, target in staged:
        os.replace(tmp, target)
    for rel in todo.extra:
        (out_dir / rel).unlink(missing_ok=True)
