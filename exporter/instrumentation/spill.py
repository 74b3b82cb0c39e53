"""The spill file: an append-only JSON-lines file next to the prediction log for rows not yet committed.

When the database stalls (another process holds its write lock, the disk is
slow) the writer moves rows that waited longer than its age bound from memory
to this file, and replays the file into the log once commits succeed again,
also at the next start after a crash or a hard kill. A kill then loses at most
the rows of the last age bound, however long the stall. Replaying is
idempotent: the log keeps the first prediction and the first actual per
``request_id``, so a row that is both committed and spilled is stored once.

One line per row: ``{"p": {prediction record}}`` or ``{"a": [request_id, actual, ts]}``.
A line cut short by a kill mid-write is removed when the file is opened.
One writer process per file: give each worker process its own path.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

SUFFIX = "-spill.jsonl"


def spill_path_for(db_path: str | os.PathLike[str]) -> Path:
    """``metrics.db`` → ``metrics.db-spill.jsonl``, next to SQLite's own ``-wal`` and ``-shm`` files."""
    return Path(f"{os.fspath(db_path)}{SUFFIX}")


def _plain(value: Any) -> Any:
    # numpy scalars and arrays (what a model returns) as their Python values.
    if hasattr(value, "tolist"):
        return value.tolist()
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON-serialisable")


class SpillFile:
    """Thread-safe appends, reads and discards of the spill file; at most ``max_bytes`` on disk."""

    def __init__(self, path: str | os.PathLike[str], max_bytes: int = 256 << 20):
        self.path = Path(path)
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        self._repair()
        self._size = self._stat_size()  # kept in memory: health checks read it without a syscall

    def _repair(self) -> None:
        """Cut a last line left incomplete by a kill mid-write, so the next append starts a fresh line."""
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return
        end = data.rfind(b"\n") + 1
        if end != len(data):
            log.warning(
                "spill file %s: dropping an incomplete last line (%d bytes) left by a crash",
                self.path,
                len(data) - end,
            )
            self._rewrite(data[:end])

    def _rewrite(self, data: bytes) -> None:
        if not data:
            self.path.unlink(missing_ok=True)
            return
        tmp = self.path.with_name(self.path.name + ".tmp")
        with open(tmp, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(tmp, self.path)

    def _stat_size(self) -> int:
        try:
            return self.path.stat().st_size
        except FileNotFoundError:
            return 0

    def size(self) -> int:
        """Bytes of rows waiting in the file (as this process wrote and discarded them)."""
        return self._size

    def append(
        self, predictions: list[dict[str, Any]], actuals: list[tuple[str, Any, float | None]]
    ) -> bool:
        """Append rows and fsync; False (nothing written) when the file would exceed ``max_bytes``."""
        lines = [json.dumps({"p": record}, default=_plain) for record in predictions]
        lines += [json.dumps({"a": list(actual)}, default=_plain) for actual in actuals]
        if not lines:
            return True
        data = ("\n".join(lines) + "\n").encode()
        with self._lock:
            if self._size + len(data) > self.max_bytes:
                return False
            with open(self.path, "ab") as file:
                file.write(data)
                file.flush()
                os.fsync(file.fileno())
            self._size += len(data)
        return True

    def read(self) -> tuple[list[dict[str, Any]], list[tuple[str, Any, float | None]], int]:
        """Every complete row in the file, and how many bytes they span (for :meth:`discard`)."""
        with self._lock:
            try:
                data = self.path.read_bytes()
            except FileNotFoundError:
                return [], [], 0
        end = data.rfind(b"\n") + 1
        predictions: list[dict[str, Any]] = []
        actuals: list[tuple[str, Any, float | None]] = []
        for number, line in enumerate(data[:end].splitlines(), 1):
            try:
                row = json.loads(line)
                if "p" in row:
                    predictions.append(row["p"])
                else:
                    request_id, actual, ts = row["a"]
                    actuals.append((request_id, actual, ts))
            except (ValueError, KeyError, TypeError) as exc:
                log.error("spill file %s line %d is not a row, skipped: %s", self.path, number, exc)
        return predictions, actuals, end

    def discard(self, length: int) -> None:
        """Remove the first ``length`` bytes (rows replayed into the log); rows appended since stay."""
        with self._lock:
            try:
                data = self.path.read_bytes()
            except FileNotFoundError:
                self._size = 0
                return
            self._rewrite(data[length:])
            self._size = len(data) - length
