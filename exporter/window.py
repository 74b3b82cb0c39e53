"""The current window of one model: its newest predictions, parsed once, in memory.

Each cycle appends only the rows logged since the last one and drops the
oldest (beyond ``capacity`` rows, or older than ``max_age_seconds``); no row is
re-read or re-parsed while it stays in the window, and the window is never
copied to make room. The statistics see the window as
:class:`exporter.statistics.columns.FeatureColumns` (one array per feature,
views of the window's circular arrays); the per-row facts the performance
metrics need (version, prediction, ground truth) live in parallel arrays.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable
from itertools import repeat
from typing import Any, Protocol, cast

import numpy as np

from exporter.batch import ParsedBatch, objects_array, parse_batch
from exporter.schema import FeatureSchema
from exporter.statistics.columns import (
    MAX_UNKNOWN_FIELDS,
    MISSING,
    OTHER_UNKNOWN_FIELD,
    FeatureColumns,
)
from exporter.values import numeric

__all__ = [
    "ModelWindow",
    "ParsedBatch",
    "WindowListener",
    "parse_batch",
]  # parse_batch: its old import path


class _Ring:
    """Fixed-capacity circular storage for parallel arrays; rows are addressed by an ever-growing number."""

    def __init__(self, capacity: int):
        self.capacity = capacity
        self.start = 0  # number of the oldest row still held
        self.end = 0  # number of the next row to write

    @property
    def size(self) -> int:
        return self.end - self.start

    def positions(self, first: int, count: int) -> np.ndarray:
        return (first + np.arange(count)) % self.capacity

    def pieces(self, first: int, count: int) -> list[tuple[slice, slice]]:
        """Rows ``first .. first + count - 1`` as at most two runs: (where in the arrays, which of the rows).

        Writing or reading a run is a slice (a memory copy), not a gather through an index array."""
        start = first % self.capacity
        head = min(count, self.capacity - start)
        runs = [(slice(start, start + head), slice(0, head))]
        if head < count:
            runs.append((slice(0, count - head), slice(head, count)))
        return runs

    def gather(self, array: np.ndarray, first: int, count: int) -> np.ndarray:
        """A copy of rows ``first .. first + count - 1`` of ``array``, in row order."""
        return _copy_runs(array, self.pieces(first, count))

    def live(self, array: np.ndarray) -> np.ndarray:
        """The held rows of ``array``, in no particular order; a view (no copy) unless they wrap around."""
        n = self.size
        if n == self.capacity:
            return array
        first = self.start % self.capacity
        if first + n <= self.capacity:
            return array[first : first + n]
        return np.concatenate([array[first:], array[: first + n - self.capacity]])


def _copy_runs(array: np.ndarray, runs: list[tuple[slice, slice]]) -> np.ndarray:
    """A copy of the rows of ``array`` in ``runs`` (see :meth:`_Ring.pieces`), in row order."""
    if len(runs) == 1:
        return array[runs[0][0]].copy()
    return np.concatenate([array[into] for into, _ in runs])


class WindowListener(Protocol):
    """Told which rows enter and leave a window (e.g. :class:`exporter.statistics.incremental.IncrementalDrift`)."""

    def add(self, rows: FeatureColumns) -> None: ...

    def remove(self, rows: FeatureColumns) -> None: ...


class ModelWindow:
    """The newest rows of one model (see the module docstring).

    Rows live in fixed-size circular arrays, so appending a batch writes only
    the batch (no copy of the window) and the statistics read the arrays in
    place: they do not depend on row order.
    """

    def __init__(self, schema: FeatureSchema, capacity: int, max_age_seconds: float | None = None):
        self.schema = schema
        self.max_age_seconds = max_age_seconds
        self._ring = _Ring(capacity)
        empty = FeatureColumns.empty(schema)
        self._values = {
            name: np.empty(capacity, dtype=array.dtype) for name, array in empty.values.items()
        }
        self._status = {name: np.full(capacity, MISSING, dtype=np.int8) for name in empty.status}
        self._unknown: dict[str, np.ndarray] = {}
        self._ts = np.zeros(capacity, dtype=np.float64)
        self._version_codes = np.zeros(capacity, dtype=np.int32)
        self.version_names: list[str] = []  # code -> model version
        self._versions: dict[str, int] = {}
        self._predictions = np.empty(capacity, dtype=object)
        self._actuals = np.empty(capacity, dtype=object)
        self._has_actual = np.zeros(capacity, dtype=bool)
        self._predicted_numbers = np.full(capacity, math.nan)
        self._actual_numbers = np.full(capacity, math.nan)
        self._request_ids = np.empty(capacity, dtype=object)
        self._row_of: dict[str, int] = {}  # request_id -> row number
        self._listeners: list[WindowListener] = []
        self.changes = 0  # grows whenever the held rows or their labels change

    @property
    def capacity(self) -> int:
        return self._ring.capacity

    @property
    def n_rows(self) -> int:
        return self._ring.size

    # Views of the held rows (same order in every array).
    @property
    def columns(self) -> FeatureColumns:
        live = self._ring.live
        return FeatureColumns(
            self.schema,
            self.n_rows,
            {n: live(a) for n, a in self._values.items()},
            {n: live(a) for n, a in self._status.items()},
            {n: live(a) for n, a in self._unknown.items()},
        )

    @property
    def ts(self) -> np.ndarray:
        return self._ring.live(self._ts)

    @property
    def version_codes(self) -> np.ndarray:
        return self._ring.live(self._version_codes)

    @property
    def predictions(self) -> np.ndarray:
        return self._ring.live(self._predictions)

    @property
    def actuals(self) -> np.ndarray:
        return self._ring.live(self._actuals)

    @property
    def has_actual(self) -> np.ndarray:
        return self._ring.live(self._has_actual)

    @property
    def predicted_numbers(self) -> np.ndarray:
        """Predictions as float64 (NaN for class labels and missing values): regression metrics stay vectorised."""
        return self._ring.live(self._predicted_numbers)

    @property
    def actual_numbers(self) -> np.ndarray:
        return self._ring.live(self._actual_numbers)

    def track(self, listener: WindowListener) -> None:
        """Tell ``listener`` about the rows held now and, from now on, every row that enters or leaves."""
        listener.add(self.columns)
        self._listeners.append(listener)

    def untrack(self, listener: WindowListener) -> None:
        self._listeners.remove(listener)

    def append(self, batch: ParsedBatch) -> None:
        """Add a parsed batch (oldest first); the oldest rows beyond the capacity make room."""
        n = len(batch.ts)
        skip = max(n - self.capacity, 0)  # a batch larger than the window: only its newest rows fit
        count = n - skip
        if count == 0:
            return
        ring = self._ring
        self._forget(max(ring.end + count - self.capacity, ring.start))
        runs = ring.pieces(ring.end, count)
        rows = slice(skip, n)

        def put(array: np.ndarray, source: np.ndarray) -> None:  # source: the batch's rows that fit
            for into, take in runs:
                array[into] = source[take]

        for name, array in self._values.items():
            put(array, batch.columns.values[name][rows])
            put(self._status[name], batch.columns.status[name][rows])
        for mask in self._unknown.values():
            for into, _ in runs:
                mask[into] = False
        for name, marks in batch.columns.unknown_fields.items():
            mask = self._unknown_mask(name)  # several names may share the "other" mask
            for into, take in runs:
                mask[into] |= marks[rows][take]
        put(self._ts, batch.ts[rows])
        versions = batch.versions[rows]
        if (versions == versions[0]).all():  # the usual batch: one model version
            code = self._version_code(versions[0])
            for into, _ in runs:
                self._version_codes[into] = code
        else:
            put(self._version_codes, np.array([self._version_code(v) for v in versions]))
        predictions, actuals = batch.predictions[rows], batch.actuals[rows]
        put(self._predictions, predictions)
        put(self._actuals, actuals)
        put(self._has_actual, batch.has_actual[rows])
        put(self._predicted_numbers, numeric(predictions))
        put(self._actual_numbers, numeric(actuals))
        request_ids = batch.request_ids[skip:]
        put(self._request_ids, objects_array(request_ids))
        self._row_of.update(zip(request_ids, range(ring.end, ring.end + count)))
        first = ring.end
        ring.end += count
        self.changes += 1
        if self._listeners:
            entering = batch.columns.slice(skip, n)
            # unknown fields as the window holds them (beyond the bound, under one "other" name)
            entering = FeatureColumns(
                self.schema,
                count,
                entering.values,
                entering.status,
                {name: ring.gather(mask, first, count) for name, mask in self._unknown.items()},
            )
            for listener in self._listeners:
                listener.add(entering)

    def expire(self, now: float) -> None:
        """Drop rows older than ``max_age_seconds`` (rows are kept in log order, so the oldest lead)."""
        ring = self._ring
        if self.max_age_seconds is None or not ring.size:
            return
        old = self._ts[ring.positions(ring.start, ring.size)] < now - self.max_age_seconds
        self._forget(ring.start + (int(np.argmin(old)) if not old.all() else ring.size))

    def set_actual(self, request_id: str, actual: Any) -> bool:
        """Attach ground truth to a row still in the window; False when the row is not (or no longer) in it."""
        return self.set_actuals([(request_id, actual)]) == 1

    def set_actuals(self, labels: Iterable[tuple[str, Any]]) -> int:
        """Attach ``(request_id, actual)`` ground truth to the rows still in the window, in one pass;
        returns how many rows were found."""
        pairs = list(labels)
        if not pairs:
            return 0
        request_ids, actuals = zip(*pairs)
        rows = list(map(self._row_of.get, request_ids))
        if None in rows:  # some rows are not (or no longer) in the window
            found = [(row, actual) for row, actual in zip(rows, actuals) if row is not None]
            if not found:
                return 0
            positions, values = [row for row, _ in found], [actual for _, actual in found]
        else:
            positions, values = cast(list[int], rows), list(actuals)
        where = np.array(positions) % self.capacity
        self._actuals[where] = objects_array(values)
        self._actual_numbers[where] = numeric(values)
        self._has_actual[where] = True
        self.changes += 1
        return len(positions)

    def label_lag_seconds(self, now: float) -> float:
        """Age of the oldest row still waiting for ground truth; 0 when every row has it."""
        waiting = self.ts[~self.has_actual]
        return max(now - float(waiting.min()), 0.0) if len(waiting) else 0.0

    def _forget(self, new_start: int) -> None:
        """Drop the rows numbered below ``new_start``."""
        ring = self._ring
        if new_start <= ring.start:
            return
        count = new_start - ring.start
        runs = ring.pieces(ring.start, count)
        if self._listeners:
            # copies: a listener may keep them, and the rows they come from are about to be overwritten
            rows = FeatureColumns(
                self.schema,
                count,
                {n: _copy_runs(a, runs) for n, a in self._values.items()},
                {n: _copy_runs(a, runs) for n, a in self._status.items()},
                {n: _copy_runs(a, runs) for n, a in self._unknown.items()},
            )
            for listener in self._listeners:
                listener.remove(rows)
        row_of = self._row_of
        for into, _ in runs:
            deque(map(row_of.pop, self._request_ids[into].tolist(), repeat(None)), maxlen=0)
            for objects in (self._request_ids, self._predictions, self._actuals):
                objects[into] = None  # release the objects
        ring.start = new_start
        self.changes += 1

    def _unknown_mask(self, name: str) -> np.ndarray:
        mask = self._unknown.get(name)
        if mask is None:
            if len(self._unknown) >= MAX_UNKNOWN_FIELDS and name != OTHER_UNKNOWN_FIELD:
                return self._unknown_mask(OTHER_UNKNOWN_FIELD)
            mask = self._unknown[name] = np.zeros(self.capacity, dtype=bool)
        return mask

    def _version_code(self, version: str) -> int:
        code = self._versions.get(version)
        if code is None:
            code = self._versions[version] = len(self.version_names)
            self.version_names.append(version)
        return code
