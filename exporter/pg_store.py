"""The prediction log on PostgreSQL, for model APIs running as many replicas on many hosts.

Same tables, same rules and the same Python API as the SQLite log
(:class:`exporter.store.PredictionStore`): the first prediction and the first
actual per ``request_id`` win, references are stored per column (binary where
the values allow, :mod:`exporter.reference_codec`), writes are multi-row
statements in one transaction.

Reading incrementally is the part that differs. PostgreSQL hands out ``id``
values when a row is inserted, but transactions commit in any order: a reader
that asks for "ids above the last one I saw" skips a row whose transaction
commits after a row with a higher id was read. Every row therefore records the
id of the transaction that wrote it (``txid xid8 DEFAULT pg_current_xact_id()``),
and the reader only takes rows whose transaction is older than its snapshot's
``xmin`` (``pg_snapshot_xmin(pg_current_snapshot())``): every transaction below
``xmin`` has finished, so nothing can still appear below it. Rows are read in
``(txid, id)`` order from the last position read; each row is handed over
exactly once, in the cycle after its transaction and every older one finished.
A writer that keeps a transaction open holds the reader back (never makes it
skip); the writers here commit each batch at once.

Positions handed to the exporter are single integers, ``txid << 63 | id``, so
the exporter's cycle treats both backends alike (positions only grow).
"""

from __future__ import annotations

import contextlib
import json
import math
import threading
import time
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from exporter import reference_codec
from exporter.store import (
    SCHEMA_VERSION,
    ActualRecord,
    Changes,
    PredictionLog,
    PredictionLogError,
    PredictionRecord,
    ReferenceColumns,
    ReferenceHeader,
    ReferenceRow,
    _prediction_row,
    _scalar,
)

# Rows per INSERT statement: 7 parameters a row stays far below PostgreSQL's 65,535 per statement.
ROWS_PER_STATEMENT = 1000
_ID_BITS = 63
_ID_MASK = (1 << _ID_BITS) - 1
# Schema creation by several replicas at once is serialised on this advisory lock.
_SCHEMA_LOCK = 0x6D6C6D6F6E  # "mlmon"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS predictions (
    id BIGSERIAL PRIMARY KEY,
    txid xid8 NOT NULL DEFAULT pg_current_xact_id(),
    request_id TEXT NOT NULL UNIQUE,
    ts DOUBLE PRECISION NOT NULL,
    model_name TEXT NOT NULL,
    model_version TEXT NOT NULL,
    features TEXT NOT NULL,
    prediction JSONB,
    latency_seconds DOUBLE PRECISION
);
CREATE INDEX IF NOT EXISTS predictions_position ON predictions (txid, id);
CREATE INDEX IF NOT EXISTS predictions_model_position ON predictions (model_name, txid, id);
CREATE TABLE IF NOT EXISTS actuals (
    id BIGSERIAL PRIMARY KEY,
    txid xid8 NOT NULL DEFAULT pg_current_xact_id(),
    request_id TEXT NOT NULL UNIQUE,
    actual JSONB,
    ts DOUBLE PRECISION NOT NULL
);
CREATE INDEX IF NOT EXISTS actuals_position ON actuals (txid, id);
CREATE TABLE IF NOT EXISTS models (
    model_name TEXT PRIMARY KEY,
    task TEXT CHECK (task IS NULL OR task IN ('regression', 'classification')),
    reference_rows BIGINT NOT NULL,
    feature_schema TEXT,
    updated_at DOUBLE PRECISION NOT NULL
);
CREATE TABLE IF NOT EXISTS reference_columns (
    model_name TEXT NOT NULL,
    column_name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('feature', 'target')),
    "values" TEXT NOT NULL,
    encoding TEXT,
    data BYTEA,
    ordinal SERIAL,
    row_order BYTEA,
    PRIMARY KEY (model_name, column_name)
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


def is_postgres_url(target: object) -> bool:
    return isinstance(target, str) and target.split(":", 1)[0] in ("postgresql", "postgres")


def redact_url(url: str) -> str:
    """The URL with its password replaced, for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    user = f"{parts.username}:***@" if parts.username else ":***@"
    return urlunsplit(parts._replace(netloc=user + host))


def encode_position(txid: int, row_id: int) -> int:
    return (txid << _ID_BITS) | row_id


def decode_position(position: int) -> tuple[int, int]:
    return position >> _ID_BITS, position & _ID_MASK


class PostgresPredictionStore(PredictionLog):
    """Thread-safe writer and incremental reader of a prediction log in PostgreSQL (psycopg 3 + its pool)."""

    def __init__(self, url: str, *, create: bool = True, pool_size: int = 4, timeout: float = 30.0):
        try:
            import psycopg  # noqa: F401  (imported here: SQLite users need no PostgreSQL driver)
            import psycopg_pool
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise PredictionLogError(
                "METRICS_DB_URL is a PostgreSQL URL but psycopg is not installed: "
                "pip install 'psycopg[binary,pool]'"
            ) from exc
        self.url = url
        # What messages show. Deliberately not ``path``: there is no local file (the instrumentation
        # puts its spill file next to a store's ``path``; give it ``spill_path`` for this store).
        self.location = redact_url(url)
        self._pool_class = psycopg_pool.ConnectionPool
        self._pool_size = pool_size
        self._timeout = timeout
        self._pool: Any = None
        self._lock = threading.Lock()
        self._create = create
        if create:
            try:
                self._create_schema()
            except Exception as exc:
                self.close()
                raise PredictionLogError(
                    f"cannot create the prediction log in {self.location}: {exc} (check the URL, that the "
                    "server runs, and that the user may create tables)"
                ) from exc

    # --- connections -------------------------------------------------------------

    def _connections(self) -> Any:
        with self._lock:
            if self._pool is None:
                self._pool = self._pool_class(
                    self.url,
                    min_size=1,
                    max_size=self._pool_size,
                    timeout=self._timeout,
                    open=True,
                    kwargs={"autocommit": False},
                )
            return self._pool

    @contextlib.contextmanager
    def _transaction(self, *, read_only: bool = False) -> Iterator[Any]:
        with self._connections().connection() as conn:
            if read_only:
                conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            yield conn  # the pool commits on a clean exit and rolls back on an exception

    def _create_schema(self) -> None:
        with self._transaction() as conn:
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK,))
            conn.execute(_SCHEMA)
            conn.execute(
                "INSERT INTO meta (key, value) VALUES ('log_id', %s) ON CONFLICT (key) DO NOTHING",
                (uuid.uuid4().hex,),
            )
            row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
            if row is None or int(row[0]) < SCHEMA_VERSION:
                _upgrade_schema(conn)
                conn.execute(
                    "INSERT INTO meta (key, value) VALUES ('schema_version', %s)"
                    " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    (str(SCHEMA_VERSION),),
                )

    def close(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.close()

    def __enter__(self) -> PostgresPredictionStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- writing -----------------------------------------------------------------

    def log_predictions(self, records: Iterable[Mapping[str, Any]]) -> int:
        """Log many predictions in one transaction; returns how many were new (the first per request_id wins)."""
        now = time.time()
        rows = [_pg_prediction_row(_prediction_row(record, now)) for record in records]
        return self._insert(
            "predictions (request_id, ts, model_name, model_version, features, prediction,"
            " latency_seconds)",
            "(%s, %s, %s, %s, %s, %s::jsonb, %s)",
            rows,
        )

    def log_actuals(self, records: Iterable[tuple[str, Any, float | None]]) -> int:
        now = time.time()
        rows = [
            (str(rid), _jsonb(_scalar(actual, "actual")), now if ts is None else float(ts))
            for rid, actual, ts in records
        ]
        return self._insert("actuals (request_id, actual, ts)", "(%s, %s::jsonb, %s)", rows)

    def _insert(self, into: str, placeholders: str, rows: Sequence[tuple]) -> int:
        if not rows:
            return 0
        inserted = 0
        with self._transaction() as conn:
            for start in range(0, len(rows), ROWS_PER_STATEMENT):
                chunk = rows[start : start + ROWS_PER_STATEMENT]
                cursor = conn.execute(
                    f"INSERT INTO {into} VALUES {', '.join([placeholders] * len(chunk))}"
                    " ON CONFLICT (request_id) DO NOTHING",
                    [value for row in chunk for value in row],
                )
                inserted += max(cursor.rowcount, 0)
        return inserted

    def _replace_reference(
        self,
        model_name: str,
        payload: list[ReferenceRow],
        task: str | None,
        n: int,
        feature_schema: Mapping[str, Any] | None,
    ) -> None:
        with self._transaction() as conn:
            # Replicas starting together each store the reference: one at a time per model, or the
            # second's inserts would collide with the first's uncommitted ones.
            conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (model_name,))
            conn.execute("DELETE FROM reference_columns WHERE model_name = %s", (model_name,))
            with conn.cursor() as cursor:
                cursor.executemany(
                    'INSERT INTO reference_columns (model_name, column_name, role, "values", encoding,'
                    " data, row_order) VALUES (%s, %s, %s, %s, %s, %s, %s)",
                    payload,
                )
            conn.execute(
                "INSERT INTO models (model_name, task, reference_rows, feature_schema, updated_at)"
                " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (model_name) DO UPDATE SET"
                " task = excluded.task, reference_rows = excluded.reference_rows,"
                " feature_schema = excluded.feature_schema, updated_at = excluded.updated_at",
                (
                    model_name,
                    task,
                    n,
                    None if feature_schema is None else json.dumps(feature_schema),
                    time.time(),
                ),
            )

    # --- reading -----------------------------------------------------------------

    def has_schema(self) -> bool:
        with self._transaction() as conn:
            row = conn.execute(
                "SELECT to_regclass('predictions') IS NOT NULL AND to_regclass('actuals') IS NOT NULL"
            ).fetchone()
        return bool(row[0])

    def writable(self, timeout: float = 0.25) -> bool:
        """Whether a write transaction can start within about ``timeout`` seconds (server up, not
        read-only). Blocks: call it off any event loop (the instrumentation's writer thread does)."""
        try:
            with self._connections().connection(timeout=timeout) as conn:
                conn.execute("SET LOCAL statement_timeout = %s", (max(1, int(timeout * 1000)),))
                row = conn.execute("SHOW transaction_read_only").fetchone()
                conn.rollback()
        except Exception:
            return False
        return bool(row) and row[0] == "off"

    def prune_orphan_actuals(self, max_age_seconds: float | None, max_rows: int | None) -> int:
        """Delete ground truth whose prediction never arrived (as the SQLite store's)."""
        orphan = "NOT EXISTS (SELECT 1 FROM predictions p WHERE p.request_id = actuals.request_id)"
        deleted = 0
        with self._transaction() as conn:
            if max_age_seconds is not None:
                cursor = conn.execute(
                    f"DELETE FROM actuals WHERE ts < %s AND {orphan}",
                    (time.time() - max_age_seconds,),
                )
                deleted += max(cursor.rowcount, 0)
            if max_rows is not None:
                cursor = conn.execute(
                    f"DELETE FROM actuals WHERE id IN (SELECT id FROM actuals WHERE {orphan}"
                    " ORDER BY id DESC OFFSET %s)",
                    (max_rows,),
                )
                deleted += max(cursor.rowcount, 0)
        return deleted

    def log_id(self) -> str | None:
        """A random id written once when the log was created: a different id means a different log."""
        with self._transaction() as conn:
            row = conn.execute("SELECT value FROM meta WHERE key = 'log_id'").fetchone()
        return None if row is None else row[0]

    def reference_versions(self) -> dict[str, float]:
        with self._transaction() as conn:
            return dict(conn.execute("SELECT model_name, updated_at FROM models").fetchall())

    def iter_reference(
        self, model_name: str, *, in_row_order: bool = True
    ) -> tuple[ReferenceHeader, ReferenceColumns] | None:
        """Header and ``(column, role, values)`` one column at a time, as the SQLite store's."""
        with self._transaction() as conn:
            model = conn.execute(
                "SELECT task, feature_schema, reference_rows, updated_at FROM models"
                " WHERE model_name = %s",
                (model_name,),
            ).fetchone()
            if model is None:
                return None
            names = conn.execute(
                "SELECT column_name, role FROM reference_columns WHERE model_name = %s"
                " ORDER BY ordinal",
                (model_name,),
            ).fetchall()
        header = ReferenceHeader(
            model_name, model[0], json.loads(model[1]) if model[1] else None, model[2], model[3]
        )

        def columns() -> ReferenceColumns:
            for name, role in names:  # one column's bytes in memory at a time
                key = (model_name, name)
                with self._transaction() as conn:
                    # binary: bytea arrives as its bytes, not as hex text twice their size
                    row = conn.execute(
                        'SELECT "values", encoding, data FROM reference_columns'
                        " WHERE model_name = %s AND column_name = %s",
                        key,
                        binary=True,
                    ).fetchone()
                    if row is None:
                        continue
                    text, encoding, data = row
                    row_order = None
                    if in_row_order and encoding == reference_codec.SORTED_F64:
                        (row_order,) = conn.execute(
                            "SELECT row_order FROM reference_columns"
                            " WHERE model_name = %s AND column_name = %s",
                            key,
                            binary=True,
                        ).fetchone()
                yield (
                    name,
                    role,
                    reference_codec.decode(
                        encoding, text, data, row_order, in_row_order=in_row_order
                    ),
                )

        return header, columns()

    def read_changes(
        self, after_prediction_id: int, after_actual_id: int, limit: int = 50_000
    ) -> Changes:
        """Rows after the given positions whose transactions (and every older one) have finished.

        Positions are ``txid << 63 | id`` (module docstring). An actual's ``model_name`` is set only
        when its prediction is among those read so far, as in the SQLite store.
        """
        after_txid, after_id = decode_position(after_prediction_id)
        after_actual_txid, after_actual_row = decode_position(after_actual_id)
        with self._transaction(read_only=True) as conn:
            horizon = conn.execute(
                "SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint"
            ).fetchone()[0]
            rows = conn.execute(
                "SELECT p.txid::text::bigint, p.id, p.request_id, p.ts, p.model_name, p.model_version,"
                " p.features, p.prediction, p.latency_seconds, a.txid::text::bigint, a.id, a.actual"
                " FROM predictions p LEFT JOIN actuals a ON a.request_id = p.request_id"
                " WHERE (p.txid, p.id) > (%s::text::xid8, %s) AND p.txid < %s::text::xid8"
                " ORDER BY p.txid, p.id LIMIT %s",
                (after_txid, after_id, horizon, limit),
            ).fetchall()
            predictions = [_prediction_record(row) for row in rows]
            last_prediction_id = predictions[-1].id if predictions else after_prediction_id
            last_txid, last_id = decode_position(last_prediction_id)
            actual_rows = conn.execute(
                "SELECT a.txid::text::bigint, a.id, a.request_id, a.actual, a.ts, p.model_name"
                " FROM actuals a LEFT JOIN predictions p ON p.request_id = a.request_id"
                " AND (p.txid, p.id) <= (%s::text::xid8, %s)"
                " WHERE (a.txid, a.id) > (%s::text::xid8, %s) AND a.txid < %s::text::xid8"
                " ORDER BY a.txid, a.id",
                (last_txid, last_id, after_actual_txid, after_actual_row, horizon),
            ).fetchall()
        actuals = [
            ActualRecord(encode_position(txid, row_id), request_id, actual, ts, model)
            for txid, row_id, request_id, actual, ts, model in actual_rows
        ]
        last_actual_id = actuals[-1].id if actuals else after_actual_id
        return Changes(predictions, actuals, last_prediction_id, last_actual_id)

    def read_recent(
        self, model_name: str, upto_prediction_id: int, upto_actual_id: int, limit: int
    ) -> list[PredictionRecord]:
        """The newest ``limit`` predictions of ``model_name`` at or before a position, oldest first."""
        upto_txid, upto_id = decode_position(upto_prediction_id)
        actual_txid, actual_id = decode_position(upto_actual_id)
        with self._transaction(read_only=True) as conn:
            rows = conn.execute(
                "SELECT p.txid::text::bigint, p.id, p.request_id, p.ts, p.model_name, p.model_version,"
                " p.features, p.prediction, p.latency_seconds, a.txid::text::bigint, a.id, a.actual"
                " FROM predictions p LEFT JOIN actuals a ON a.request_id = p.request_id"
                " AND (a.txid, a.id) <= (%s::text::xid8, %s)"
                " WHERE p.model_name = %s AND (p.txid, p.id) <= (%s::text::xid8, %s)"
                " ORDER BY p.txid DESC, p.id DESC LIMIT %s",
                (actual_txid, actual_id, model_name, upto_txid, upto_id, limit),
            ).fetchall()
        return [_prediction_record(row) for row in reversed(rows)]

    def max_prediction_id(self) -> int:
        """The position of the newest prediction (0 for an empty log)."""
        with self._transaction() as conn:
            row = conn.execute(
                "SELECT txid::text::bigint, id FROM predictions ORDER BY txid DESC, id DESC LIMIT 1"
            ).fetchone()
        return 0 if row is None else encode_position(row[0], row[1])

    def count_predictions(self) -> int:
        with self._transaction() as conn:
            return int(conn.execute("SELECT count(*) FROM predictions").fetchone()[0])


def _upgrade_schema(conn: Any) -> None:
    """To the current schema (3), under the schema lock: reference columns stored uncompressed
    (binary floats do not compress; reading them then needs no decompression) and re-encoded where
    an older mlmon stored them as JSON or as numbers in row order (see :mod:`exporter.reference_codec`)."""
    conn.execute("ALTER TABLE reference_columns ADD COLUMN IF NOT EXISTS row_order BYTEA")
    conn.execute(
        "ALTER TABLE reference_columns ALTER COLUMN data SET STORAGE EXTERNAL,"
        " ALTER COLUMN row_order SET STORAGE EXTERNAL"
    )
    stale = conn.execute(
        "SELECT model_name, column_name FROM reference_columns"
        " WHERE encoding IS NULL OR encoding IN ('', %s)",
        (reference_codec.F64,),
    ).fetchall()
    for key in stale:  # one column in memory at a time
        text, encoding, data = conn.execute(
            'SELECT "values", encoding, data FROM reference_columns'
            " WHERE model_name = %s AND column_name = %s",
            key,
            binary=True,
        ).fetchone()
        column = reference_codec.upgrade(encoding, text, data)
        conn.execute(
            'UPDATE reference_columns SET "values" = %s, encoding = %s, data = %s, row_order = %s'
            " WHERE model_name = %s AND column_name = %s",
            (column.text, column.encoding, column.data, column.row_order, *key),
        )


def _jsonb(value: Any) -> str | None:
    return None if value is None else json.dumps(value)


def _pg_prediction_row(row: tuple) -> tuple:
    """The SQLite row tuple with the prediction as JSON text for the ``jsonb`` column."""
    request_id, ts, model_name, model_version, features, prediction, latency = row
    if latency is not None and not math.isfinite(latency):
        latency = None
    return (request_id, ts, model_name, model_version, features, _jsonb(prediction), latency)


def _prediction_record(row: tuple) -> PredictionRecord:
    (txid, row_id, request_id, ts, model, version, features, prediction, latency) = row[:9]
    actual_txid, actual_id, actual = row[9:]
    return PredictionRecord(
        encode_position(txid, row_id),
        request_id,
        ts,
        model,
        version,
        features,
        prediction,
        latency,
        None if actual_id is None else encode_position(actual_txid, actual_id),
        actual,
    )
