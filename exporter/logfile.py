"""Which prediction log the exporter is reading: noticing when the file under ``METRICS_DB_PATH`` is another one.

The exporter reads the log incrementally (rows with ids above the last one it
read), so a log replaced by another file — a deployment that ``os.replace``-s
it, a restore, tables emptied by hand — would otherwise be read from the old
file's last id: rows silently never counted. Three facts tell files apart:

* the log id (``meta`` table, written once when a writer creates the schema):
  a new log has another one, whatever its size;
* for a SQLite log without an id (an older writer, or one in another language
  that does not write it), the file's device and inode;
* row ids that went back below the last one read: whatever the file, the rows
  above that point are not the ones the exporter counted.

A copy of the same log (``sqlite3 .backup``, a restored snapshot) keeps its id
and is followed as the same log. The size of the file is not used: SQLite files
grow and shrink (checkpoints, ``VACUUM``) without being replaced.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from exporter.store import PredictionStore

if TYPE_CHECKING:
    from exporter.pg_store import PostgresPredictionStore


@dataclass(frozen=True)
class LogFile:
    """The identity of the log file read in one cycle."""

    log_id: str | None
    device: int | None = None
    inode: int | None = None

    @classmethod
    def of(cls, store: PredictionStore | PostgresPredictionStore) -> LogFile:
        # The id first: it opens the connection, so the id belongs to the file the cycle reads.
        log_id = store.log_id()
        if not isinstance(store, PredictionStore):  # PostgreSQL: its log id says it all
            return cls(log_id)
        stat = os.stat(store.path)
        return cls(log_id, stat.st_dev, stat.st_ino)

    def replaced_by(self, current: LogFile) -> str | None:
        """Why ``current`` is another log than this one, or None when it is the same log."""
        if self.log_id is not None and current.log_id is not None:
            if self.log_id != current.log_id:
                return f"was replaced by another log (log id {self.log_id} -> {current.log_id})"
            return None  # same id: the same log, possibly copied to a new file
        if (self.device, self.inode) != (current.device, current.inode):
            return "was replaced by another file (it has no log id; its inode changed)"
        return None


def went_back(last_read_id: int, max_id: int) -> str | None:
    """Why the log's ids are behind what was read, or None when they are not."""
    if max_id < last_read_id:
        return (
            f"went back: its highest prediction id is {max_id}, below the {last_read_id} "
            f"already read (replaced, restored from an older copy, or emptied)"
        )
    return None
