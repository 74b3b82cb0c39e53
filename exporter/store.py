"""The prediction log: a SQLite file in WAL mode that model services write and the exporter reads.

Writers (any thread, any process) use :class:`PredictionStore`; the exporter
reads it incrementally with :meth:`PredictionStore.read_changes`. The schema
(created on first use, documented in the README so non-Python services can
write it too)::

    predictions(id INTEGER PRIMARY KEY AUTOINCREMENT, request_id TEXT UNIQUE NOT NULL,
                ts REAL NOT NULL, model_name TEXT NOT NULL, model_version TEXT NOT NULL,
                features TEXT NOT NULL,        -- JSON object {feature: value}
                prediction,                    -- number (regression) or class label
                latency_seconds REAL)          -- NULL when unknown
    actuals(id INTEGER PRIMARY KEY AUTOINCREMENT, request_id TEXT UNIQUE NOT NULL,
            actual, ts REAL NOT NULL)          -- joined to predictions on request_id
    models(model_name TEXT PRIMARY KEY, task TEXT,   -- regression | classification | NULL (infer)
           reference_rows INTEGER NOT NULL,
           feature_schema TEXT,                    -- JSON (exporter.schema.FeatureSchema.to_dict), NULL: infer
           updated_at REAL NOT NULL)
    reference_columns(model_name TEXT, column_name TEXT, role TEXT,  -- role: feature | target
                      "values" TEXT NOT NULL,  -- JSON: the values (encoding json/NULL) or the dictionary (dict)
                      encoding TEXT,           -- sorted-f64 | dict | json; NULL before schema 2 (json)
                      data BLOB,               -- sorted-f64: float64s, ascending; dict: int32 codes
                      row_order BLOB,          -- sorted-f64: the row of each value in data (int32/int64)
                      PRIMARY KEY (model_name, column_name))
    meta(key TEXT PRIMARY KEY, value TEXT NOT NULL)  -- 'log_id': random, written once at creation

Reference columns are stored binary where their values allow, numbers in
ascending order so that loading them needs no sort (see
:mod:`exporter.reference_codec`); a log of an older schema (1: JSON only; 2:
numbers in row order) is migrated in place the first time a writer opens it,
and stays readable before that.

Duplicates: the first prediction and the first actual for a ``request_id``
win; later ones are ignored (``log_prediction``/``log_actual`` return False).
An actual may arrive before its prediction; it is joined when both exist.

``meta`` holds the log's identity: a random ``log_id`` written once, when the
schema is created. A file that replaces the log (``os.replace`` by a new log)
has another id, so a reader can tell it from the file it read before even when
its row ids do not go backwards (:meth:`PredictionStore.log_id`).
"""

from __future__ import annotations

import functools
import itertools
import json
import math
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Generator, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from exporter import reference_codec

SCHEMA_VERSION = 3

# How long a writer or reader waits for the other side's lock before failing.
BUSY_TIMEOUT_MS = 30_000

TASKS = ("regression", "classification")

# Rows per INSERT statement. One multi-row statement binds its values in C and
# releases the GIL once, where executemany steps (and hands the GIL to and from
# the host service's event loop) once per row; see scripts/bench_api.py.
# 128 rows x 7 columns stays under SQLITE_MAX_VARIABLE_NUMBER's old default, 999.
ROWS_PER_STATEMENT = 128

_SCHEMA = """
CREATE TABLE IF NOT EXISTS predictions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    request_id TEXT NOT NULL UNIQUE,
    ts REAL NOT NULL,
    model_name TEXT NOT NULL,
    model_version TEXT NOT NULL,
    features TEXT NOT NULL,
    prediction,
    latency_seconds REAL
);
CREATE INDEX IF NOT EXISTS predictions_model_id ON predictions (model_name, id);
CREATE TABLE IF NOT EXISTS actuals (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    request_id TEXT NOT NULL UNIQUE,
    actual,
    ts REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS models (
    model_name TEXT PRIMARY KEY,
    task TEXT CHECK (task IS NULL OR task IN ('regression', 'classification')),
    reference_rows INTEGER NOT NULL,
    feature_schema TEXT,
    updated_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS reference_columns (
    model_name TEXT NOT NULL,
    column_name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('feature', 'target')),
    "values" TEXT NOT NULL,
    encoding TEXT,
    data BLOB,
    row_order BLOB,
    PRIMARY KEY (model_name, column_name)
);
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""
LOG_ID_KEY = "log_id"

TARGET_COLUMN = "__target__"

# One row of reference_columns: (model, column, role, text, encoding, data, row_order).
ReferenceRow = tuple[str, str, str, str, str, bytes | None, bytes | None]
# (column, role, values) per stored column, one at a time (see ``iter_reference``).
ReferenceColumns = Generator[tuple[str, str, reference_codec.Column], None, None]


class PredictionLogError(Exception):
    """The prediction log cannot be created or opened; the message names the file and what to check."""


class PredictionRecord(NamedTuple):
    """One prediction as the exporter reads it; ``actual`` is set when ground truth was already logged.

    A named tuple, not a dataclass: the exporter builds one per row read, and a tuple is built in C
    (a frozen dataclass's ``__init__`` cost more than the whole SQLite read; scripts/bench_exporter.py).
    """

    id: int
    request_id: str
    ts: float
    model_name: str
    model_version: str
    features_json: str
    prediction: Any
    latency_seconds: float | None
    actual_id: int | None
    actual: Any


class ActualRecord(NamedTuple):
    """A ground-truth value; ``model_name`` is None while its prediction is not logged (or not read) yet."""

    id: int
    request_id: str
    actual: Any
    ts: float
    model_name: str | None


# Build records from SQLite's row tuples in C (``_make`` is a Python-level call per row); the queries
# select exactly the records' fields in order.
_new_prediction_record = functools.partial(tuple.__new__, PredictionRecord)
_new_actual_record = functools.partial(tuple.__new__, ActualRecord)


@dataclass(frozen=True)
class Changes:
    """What was written since the exporter's last read, from one consistent snapshot."""

    predictions: list[PredictionRecord]
    actuals: list[ActualRecord]
    last_prediction_id: int
    last_actual_id: int


@dataclass(frozen=True)
class ReferenceHeader:
    """What the ``models`` table says about a model's reference."""

    model_name: str
    task: str | None
    feature_schema: dict[str, Any] | None
    rows: int
    updated_at: float


@dataclass(frozen=True)
class Reference:
    """A model's reference (training) data, column by column."""

    model_name: str
    task: str | None
    features: dict[str, list[Any]]
    targets: list[Any] | None
    feature_schema: dict[str, Any] | None = None  # as stored; None: infer from the features

    @property
    def rows(self) -> int:
        return len(next(iter(self.features.values()), self.targets or []))


class PredictionLog:
    """What every prediction-log backend offers on top of its own few storage methods.

    A backend implements ``log_predictions``, ``log_actuals``, ``_replace_reference``,
    ``iter_reference`` and the readers; the single-row forms, the reference's validation and
    :meth:`read_reference` are the same for all (SQLite here, PostgreSQL in :mod:`exporter.pg_store`).
    """

    def log_predictions(self, records: Iterable[Mapping[str, Any]]) -> int:
        raise NotImplementedError

    def log_actuals(self, records: Iterable[tuple[str, Any, float | None]]) -> int:
        raise NotImplementedError

    def iter_reference(
        self, model_name: str, *, in_row_order: bool = True
    ) -> tuple[ReferenceHeader, ReferenceColumns] | None:
        raise NotImplementedError

    def _replace_reference(
        self,
        model_name: str,
        payload: list[ReferenceRow],
        task: str | None,
        n: int,
        feature_schema: Mapping[str, Any] | None,
    ) -> None:
        """Replace the model's reference columns and its ``models`` row, in one transaction."""
        raise NotImplementedError

    def log_prediction(
        self,
        request_id: str,
        model_name: str,
        model_version: str,
        features: Mapping[str, Any],
        prediction: Any,
        latency_seconds: float | None = None,
        ts: float | None = None,
    ) -> bool:
        """Log one prediction; returns False when ``request_id`` was already logged (the first one wins)."""
        return (
            self.log_predictions(
                [
                    {
                        "request_id": request_id,
                        "model_name": model_name,
                        "model_version": model_version,
                        "features": features,
                        "prediction": prediction,
                        "latency_seconds": latency_seconds,
                        "ts": ts,
                    }
                ]
            )
            == 1
        )

    def log_actual(self, request_id: str, actual: Any, ts: float | None = None) -> bool:
        """Log the ground truth for ``request_id`` (before or after its prediction); False if it already had one."""
        return self.log_actuals([(request_id, actual, ts)]) == 1

    def set_reference(
        self,
        model_name: str,
        rows: Iterable[Mapping[str, Any]] | Mapping[str, Sequence[Any] | np.ndarray],
        targets: Sequence[Any] | None = None,
        task: str | None = None,
        feature_schema: Mapping[str, Any] | None = None,
    ) -> int:
        """Replace ``model_name``'s reference data; returns the number of reference rows.

        ``rows`` is an iterable of ``{feature: value}`` dicts, or (cheaper for
        large references) a mapping ``{feature: sequence of values}``.
        ``targets`` are the true values for the same rows (optional); ``task``
        is "regression", "classification" or None to let the exporter infer it.
        ``feature_schema`` (``FeatureSchema.to_dict()`` form) is stored as given;
        without it the exporter infers the schema from the reference.
        """
        if task is not None and task not in TASKS:
            raise ValueError(f"task must be one of {TASKS} or None, not {task!r}")
        columns = _columns(rows)
        lengths = {name: len(values) for name, values in columns.items()}
        n = next(iter(lengths.values()), 0)
        if any(length != n for length in lengths.values()):
            raise ValueError(f"reference columns for {model_name!r} differ in length: {lengths}")
        if not columns:
            raise ValueError(f"reference for {model_name!r} has no rows/features")
        if targets is not None:
            targets = list(targets)
            if len(targets) != n:
                raise ValueError(
                    f"reference for {model_name!r}: {len(targets)} targets for {n} rows"
                )
        self._replace_reference(
            model_name, reference_payload(model_name, columns, targets), task, n, feature_schema
        )
        return n

    def read_reference(self, model_name: str) -> Reference | None:
        """The whole reference of ``model_name`` (None when it has none); see :meth:`iter_reference`."""
        found = self.iter_reference(model_name)
        if found is None:
            return None
        header, columns = found
        return reference_from_columns(header, columns)


class PredictionStore(PredictionLog):
    """Thread-safe writer and incremental reader of the prediction log.

    Each thread gets its own SQLite connection (SQLite connections must not be
    shared across threads mid-transaction); WAL mode lets one writer and any
    number of readers work at once, and a busy timeout makes concurrent writers
    queue instead of failing with ``database is locked``.
    """

    def __init__(self, path: str | Path, *, create: bool = True, timeout_ms: int = BUSY_TIMEOUT_MS):
        self.path = Path(path)
        self._timeout_ms = timeout_ms
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        if create:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        elif not self.path.exists():
            raise FileNotFoundError(f"prediction log {self.path} does not exist")
        self._create = create
        if create:
            try:
                self._create_schema()
            except sqlite3.Error as exc:
                self.close()
                raise PredictionLogError(
                    f"cannot create the prediction log {self.path}: {exc} (check that its "
                    "directory is writable and the file is a SQLite database)"
                ) from exc

    # --- connections -------------------------------------------------------------

    def _connection(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            mode = "rwc" if self._create else "rw"
            conn = sqlite3.connect(
                f"file:{self.path}?mode={mode}",
                uri=True,
                isolation_level=None,
                check_same_thread=False,
                timeout=self._timeout_ms / 1000,
            )
            conn.execute(f"PRAGMA busy_timeout = {self._timeout_ms}")
            conn.execute("PRAGMA synchronous = NORMAL")  # durable at checkpoints; safe in WAL mode
            self._local.conn = conn
            with self._lock:
                self._connections.append(conn)
        return conn

    def _create_schema(self) -> None:
        conn = self._connection()
        if conn.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
            conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("BEGIN IMMEDIATE")
        try:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            existing = conn.execute(
                "SELECT count(*) FROM sqlite_master WHERE name = 'reference_columns'"
            ).fetchone()[0]
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    conn.execute(statement)
            if existing and version < SCHEMA_VERSION:
                _migrate_reference_columns(conn)
            # The first writer to create the schema names the log; later ones keep its id.
            conn.execute(
                "INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)",
                (LOG_ID_KEY, uuid.uuid4().hex),
            )
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def close(self) -> None:
        with self._lock:
            for conn in self._connections:
                conn.close()
            self._connections.clear()
        self._local = threading.local()

    def __enter__(self) -> PredictionStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _insert(self, into: str, rows: Sequence[tuple]) -> int:
        """``INSERT OR IGNORE INTO {into} VALUES ...`` all ``rows`` in one transaction; returns how many were new.

        Rows go in order, so within a batch too the first row for a key wins.
        """
        conn = self._connection()
        width = len(rows[0])
        conn.execute("BEGIN IMMEDIATE")
        try:
            before = conn.total_changes
            for start in range(0, len(rows), ROWS_PER_STATEMENT):
                chunk = rows[start : start + ROWS_PER_STATEMENT]
                conn.execute(
                    _insert_sql(into, width, len(chunk)), list(itertools.chain.from_iterable(chunk))
                )
            inserted = conn.total_changes - before
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return inserted

    # --- writing -----------------------------------------------------------------

    def writable(self, timeout: float = 0.25) -> bool:
        """Whether a write transaction can start within ``timeout`` seconds on the file as it is now
        (a fresh connection: a deleted or replaced file is noticed). Waits up to ``timeout``: call it
        off any event loop (the instrumentation's writer thread does)."""
        try:
            conn = sqlite3.connect(f"file:{self.path}?mode=rw", uri=True, timeout=timeout)
            try:
                conn.execute("BEGIN IMMEDIATE")
                conn.execute("ROLLBACK")
            finally:
                conn.close()
        except sqlite3.Error:
            return False
        return True

    def prune_orphan_actuals(self, max_age_seconds: float | None, max_rows: int | None) -> int:
        """Delete ground truth whose prediction never arrived: older than ``max_age_seconds``, or
        beyond the newest ``max_rows`` such values. Returns how many were deleted."""
        orphan = "NOT EXISTS (SELECT 1 FROM predictions p WHERE p.request_id = actuals.request_id)"
        conn = self._connection()
        conn.execute("BEGIN IMMEDIATE")
        try:
            before = conn.total_changes
            if max_age_seconds is not None:
                conn.execute(
                    f"DELETE FROM actuals WHERE ts < ? AND {orphan}",
                    (time.time() - max_age_seconds,),
                )
            if max_rows is not None:
                conn.execute(
                    f"DELETE FROM actuals WHERE id IN (SELECT id FROM actuals WHERE {orphan} "
                    "ORDER BY id DESC LIMIT -1 OFFSET ?)",
                    (max_rows,),
                )
            deleted = conn.total_changes - before
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return deleted

    def log_predictions(self, records: Iterable[Mapping[str, Any]]) -> int:
        """Log many predictions in one transaction; returns how many were new.

        Each record is a mapping with the keyword arguments of :meth:`log_prediction`.
        """
        now = time.time()
        rows = [_prediction_row(record, now) for record in records]
        if not rows:
            return 0
        return self._insert(
            "predictions (request_id, ts, model_name, model_version, features, prediction, latency_seconds)",
            rows,
        )

    def log_actuals(self, records: Iterable[tuple[str, Any, float | None]]) -> int:
        """Log many ``(request_id, actual, ts)`` in one transaction; returns how many were new."""
        now = time.time()
        rows = [
            (str(rid), _scalar(actual, "actual"), now if ts is None else float(ts))
            for rid, actual, ts in records
        ]
        if not rows:
            return 0
        return self._insert("actuals (request_id, actual, ts)", rows)

    def _replace_reference(
        self,
        model_name: str,
        payload: list[ReferenceRow],
        task: str | None,
        n: int,
        feature_schema: Mapping[str, Any] | None,
    ) -> None:
        conn = self._connection()
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.execute("DELETE FROM reference_columns WHERE model_name = ?", (model_name,))
            conn.executemany(
                'INSERT INTO reference_columns (model_name, column_name, role, "values", encoding, data,'
                " row_order) VALUES (?, ?, ?, ?, ?, ?, ?)",
                payload,
            )
            conn.execute(
                "INSERT INTO models (model_name, task, reference_rows, feature_schema, updated_at) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (model_name) DO UPDATE SET task = excluded.task, "
                "reference_rows = excluded.reference_rows, feature_schema = excluded.feature_schema, "
                "updated_at = excluded.updated_at",
                (
                    model_name,
                    task,
                    n,
                    None if feature_schema is None else _dumps(feature_schema),
                    time.time(),
                ),
            )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    # --- reading -----------------------------------------------------------------

    def has_schema(self) -> bool:
        row = (
            self._connection()
            .execute(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN ('predictions', 'actuals')"
            )
            .fetchone()
        )
        return row[0] == 2

    def log_id(self) -> str | None:
        """The random id this log was given when its schema was created; None for a log without one
        (created before the ``meta`` table existed, or by a writer that does not create it)."""
        conn = self._connection()
        try:
            row = conn.execute("SELECT value FROM meta WHERE key = ?", (LOG_ID_KEY,)).fetchone()
        except sqlite3.OperationalError as exc:
            if "no such table" in str(exc):
                return None
            raise
        return None if row is None else str(row[0])

    def reference_versions(self) -> dict[str, float]:
        """``{model_name: updated_at}`` of every stored reference, to notice when one changes."""
        return dict(self._connection().execute("SELECT model_name, updated_at FROM models"))

    def iter_reference(
        self, model_name: str, *, in_row_order: bool = True
    ) -> tuple[ReferenceHeader, ReferenceColumns] | None:
        """The reference's header and an iterator over ``(column, role, values)``, one column in memory at a time.

        With ``in_row_order`` (the default), ``values`` is a ``float64`` array (NaN where missing) for a
        column stored as numbers, else a list (None where missing). Without it, numbers come in ascending
        order and strings as codes (:class:`~exporter.reference_codec.SortedNumbers`,
        :class:`~exporter.reference_codec.CodedStrings`): what the exporter's profile reads, with no
        pass over the values. Reads one snapshot: the iterator must be consumed (or closed) promptly.
        """
        conn = self._connection()
        model = conn.execute(
            "SELECT task, feature_schema, reference_rows, updated_at FROM models WHERE model_name = ?",
            (model_name,),
        ).fetchone()
        if model is None:
            return None
        header = ReferenceHeader(
            model_name, model[0], json.loads(model[1]) if model[1] else None, model[2], model[3]
        )

        binary = any(
            row[1] == "encoding" for row in conn.execute("PRAGMA table_info(reference_columns)")
        )
        select = (
            'SELECT column_name, role, "values", encoding, data'
            if binary
            else 'SELECT column_name, role, "values", NULL, NULL'  # a schema-1 log not migrated yet
        )

        def columns() -> ReferenceColumns:
            conn.execute("BEGIN")  # one snapshot for all the columns
            try:
                # Row by row: "WHERE model_name = ? ORDER BY rowid" in one statement would copy every
                # column's bytes into a temporary b-tree to sort them (3x slower for a large reference).
                rowids = conn.execute(
                    "SELECT rowid FROM reference_columns WHERE model_name = ? ORDER BY rowid",
                    (model_name,),
                ).fetchall()
                for (rowid,) in rowids:
                    name, role, text, encoding, data = conn.execute(
                        f"{select} FROM reference_columns WHERE rowid = ?", (rowid,)
                    ).fetchone()
                    row_order = None
                    if in_row_order and encoding == reference_codec.SORTED_F64:
                        # only here: the profile never reads it (its bytes follow ``data``'s in the record)
                        (row_order,) = conn.execute(
                            "SELECT row_order FROM reference_columns WHERE rowid = ?", (rowid,)
                        ).fetchone()
                    values = reference_codec.decode(
                        encoding, text, data, row_order, in_row_order=in_row_order
                    )
                    del data, row_order
                    yield name, role, values
            finally:
                conn.execute("COMMIT")

        return header, columns()

    def read_changes(
        self, after_prediction_id: int, after_actual_id: int, limit: int = 50_000
    ) -> Changes:
        """Predictions with id > ``after_prediction_id`` (at most ``limit``) and actuals with id > ``after_actual_id``.

        Both come from one snapshot. An actual's ``model_name`` is set only when
        its prediction is among those read so far (id <= the returned
        ``last_prediction_id``), so a caller that counts actuals when both sides
        have been read counts each exactly once.
        """
        conn = self._connection()
        conn.execute("BEGIN")
        try:
            predictions = list(
                map(
                    _new_prediction_record,
                    conn.execute(
                        "SELECT p.id, p.request_id, p.ts, p.model_name, p.model_version, p.features, p.prediction,"
                        " p.latency_seconds, a.id, a.actual FROM predictions p"
                        " LEFT JOIN actuals a ON a.request_id = p.request_id"
                        " WHERE p.id > ? ORDER BY p.id LIMIT ?",
                        (after_prediction_id, limit),
                    ),
                )
            )
            last_prediction_id = predictions[-1].id if predictions else after_prediction_id
            actuals = list(
                map(
                    _new_actual_record,
                    conn.execute(
                        "SELECT a.id, a.request_id, a.actual, a.ts, p.model_name FROM actuals a"
                        " LEFT JOIN predictions p ON p.request_id = a.request_id AND p.id <= ?"
                        " WHERE a.id > ? ORDER BY a.id",
                        (last_prediction_id, after_actual_id),
                    ),
                )
            )
        finally:
            conn.execute("COMMIT")
        last_actual_id = actuals[-1].id if actuals else after_actual_id
        return Changes(predictions, actuals, last_prediction_id, last_actual_id)

    def read_recent(
        self, model_name: str, upto_prediction_id: int, upto_actual_id: int, limit: int
    ) -> list[PredictionRecord]:
        """The newest ``limit`` predictions of ``model_name`` with id <= ``upto_prediction_id``, oldest first.

        Joined actuals are those with id <= ``upto_actual_id`` (what the caller has read so far), so
        rebuilding a window with this agrees with the incremental reads.
        """
        conn = self._connection()
        rows = conn.execute(
            "SELECT p.id, p.request_id, p.ts, p.model_name, p.model_version, p.features, p.prediction,"
            " p.latency_seconds, a.id, a.actual FROM predictions p"
            " LEFT JOIN actuals a ON a.request_id = p.request_id AND a.id <= ?"
            " WHERE p.model_name = ? AND p.id <= ? ORDER BY p.id DESC LIMIT ?",
            (upto_actual_id, model_name, upto_prediction_id, limit),
        ).fetchall()
        return list(map(_new_prediction_record, reversed(rows)))

    def max_prediction_id(self) -> int:
        return (
            self._connection().execute("SELECT coalesce(max(id), 0) FROM predictions").fetchone()[0]
        )


@functools.lru_cache(maxsize=32)
def _insert_sql(into: str, width: int, rows: int) -> str:
    row = "(" + ",".join("?" * width) + ")"
    return f"INSERT OR IGNORE INTO {into} VALUES " + ",".join([row] * rows)


def _scalar(value: Any, what: str) -> Any:
    """A value SQLite stores natively: numbers, text or NULL (numpy scalars become Python ones)."""
    kind = type(value)  # exact types first: this runs for every logged row
    if kind is float:
        return value if math.isfinite(value) else None
    if kind is str or kind is int or value is None:
        return value
    if isinstance(value, (str, int, float)):
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, float) and not math.isfinite(value):
            return None
        return value
    item = getattr(value, "item", None)  # numpy scalar
    if callable(item):
        return _scalar(item(), what)
    raise TypeError(f"{what} must be a number, a string or None, not {type(value).__name__}")


_ENCODER = json.JSONEncoder(separators=(",", ":"), allow_nan=False)
# Built once: json.dumps with options builds a new encoder per call, a third of the cost of a small row.
_dumps = _ENCODER.encode


def _reusable_encoder() -> Callable[[Any], str]:
    """``_dumps`` for the features of every logged row: the C encoder built once (no circular-reference
    bookkeeping: a feature dict that contains itself fails with RecursionError instead) saves a third of its cost."""
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:  # an interpreter without the C accelerator
        return _dumps
    encode = make(
        None,
        _ENCODER.default,
        json.encoder.encode_basestring_ascii,
        None,
        _ENCODER.key_separator,
        _ENCODER.item_separator,
        False,
        False,
        False,
    )
    return lambda value: "".join(encode(value, 0))


_dumps_row = _reusable_encoder()


def _features_json(features: Mapping[str, Any]) -> str:
    if type(features) is not dict and not isinstance(features, Mapping):
        raise TypeError(
            f"features must be a mapping of feature name to value, not {type(features).__name__}"
        )
    try:
        return _dumps_row(features)
    except (ValueError, TypeError):  # NaN/inf or numpy scalars: the slow path
        return _dumps({str(k): reference_codec.json_value(v) for k, v in features.items()})


_REQUIRED_KEYS = ("request_id", "model_name", "model_version", "features")


def _prediction_row(record: Mapping[str, Any], now: float) -> tuple:
    try:
        request_id, model_name = record["request_id"], record["model_name"]
        model_version, features = record["model_version"], record["features"]
    except KeyError:
        missing = [key for key in _REQUIRED_KEYS if key not in record]
        raise ValueError(
            f"prediction record {record.get('request_id', '?')!r} lacks {', '.join(missing)}; "
            f"each record needs {', '.join(_REQUIRED_KEYS)} (prediction, latency_seconds, ts optional)"
        ) from None
    ts = record.get("ts")
    latency = record.get("latency_seconds")
    return (
        str(request_id),
        now if ts is None else float(ts),
        str(model_name),
        str(model_version),
        _features_json(features),
        _scalar(record.get("prediction"), "prediction"),
        None if latency is None else _scalar(float(latency), "latency_seconds"),
    )


def _columns(
    rows: Iterable[Mapping[str, Any]] | Mapping[str, Sequence[Any] | np.ndarray],
) -> dict[str, list[Any] | np.ndarray]:
    if isinstance(rows, Mapping):
        # numpy columns stay arrays: the reference codec stores a numeric one without a per-value pass
        return {
            str(name): values if isinstance(values, np.ndarray) else list(values)
            for name, values in rows.items()
        }
    rows = list(rows)
    names: dict[str, None] = {}
    for row in rows:
        names.update(dict.fromkeys(row))
    return {str(name): [row.get(name) for row in rows] for name in names}


def reference_payload(
    model_name: str,
    columns: Mapping[str, Sequence[Any] | np.ndarray],
    targets: Sequence[Any] | None,
) -> list[ReferenceRow]:
    """Rows of ``reference_columns`` for one model:
    ``(model, column, role, text, encoding, data, row_order)``."""
    named = [(name, "feature", values) for name, values in columns.items()]
    if targets is not None:
        named.append((TARGET_COLUMN, "target", targets))
    payload = []
    for name, role, values in named:
        column = reference_codec.encode(values)
        payload.append(
            (model_name, name, role, column.text, column.encoding, column.data, column.row_order)
        )
    return payload


def reference_from_columns(
    header: ReferenceHeader, columns: Iterable[tuple[str, str, reference_codec.Column]]
) -> Reference:
    """A whole :class:`Reference` (plain Python values, None where missing) from ``iter_reference``'s columns."""
    features: dict[str, list[Any]] = {}
    targets: list[Any] | None = None
    for name, role, values in columns:
        if role == "target":
            targets = reference_codec.as_list(values)
        else:
            features[name] = reference_codec.as_list(values)
    return Reference(header.model_name, header.task, features, targets, header.feature_schema)


def _migrate_reference_columns(conn: sqlite3.Connection) -> None:
    """Schema 1 or 2 -> 3: add the binary columns and re-encode the columns stored as JSON (schema 1)
    or as numbers in row order (schema 2), once, in place, inside the caller's transaction."""
    names = {row[1] for row in conn.execute("PRAGMA table_info(reference_columns)")}
    for name, kind in (("encoding", "TEXT"), ("data", "BLOB"), ("row_order", "BLOB")):
        if name not in names:
            conn.execute(f"ALTER TABLE reference_columns ADD COLUMN {name} {kind}")
    rowids = [
        rowid
        for rowid, encoding in conn.execute("SELECT rowid, encoding FROM reference_columns")
        if reference_codec.needs_upgrade(encoding)
    ]
    for rowid in rowids:  # one column in memory at a time
        text, encoding, data = conn.execute(
            'SELECT "values", encoding, data FROM reference_columns WHERE rowid = ?', (rowid,)
        ).fetchone()
        column = reference_codec.upgrade(encoding, text, data)
        conn.execute(
            'UPDATE reference_columns SET "values" = ?, encoding = ?, data = ?, row_order = ?'
            " WHERE rowid = ?",
            (column.text, column.encoding, column.data, column.row_order, rowid),
        )


def open_store(target: str | Path, *, create: bool = True) -> Any:
    """The prediction log at ``target``: a SQLite file path, or a ``postgresql://`` URL.

    Both stores have the same methods (writing, incremental reading, references); the URL form needs
    ``psycopg`` (``pip install 'psycopg[binary,pool]'``, in the exporter's image already).
    """
    text = str(target)
    if text.startswith(("postgresql://", "postgres://")):
        from exporter.pg_store import PostgresPredictionStore

        return PostgresPredictionStore(text, create=create)
    if text.startswith("sqlite:///"):
        text = text[len("sqlite:///") :]
    return PredictionStore(text, create=create)
