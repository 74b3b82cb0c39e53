"""The prediction-log writer: a bounded in-memory buffer committed by one background thread.

Request handlers append rows under a lock (a few hundred nanoseconds); the
writer thread commits them in batches, one transaction per batch, never a
commit per request. With a :class:`~exporter.instrumentation.spill.SpillFile`
a watchdog thread bounds how long an accepted row lives only in memory: rows
older than ``max_age`` (the database stalls) go to the spill file and are
replayed into the log once commits succeed again, or at the next start.
In durable mode a response waits (asynchronously) until its rows are
committed or spilled: nothing answered is lost to a kill, at a cost measured
by ``scripts/bench_api.py``.

Everything :meth:`PredictionLogWriter.health` reports is kept in memory, so a
health check never touches the database: the writer thread itself probes
whether the log is writable, off the host service's event loop.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from typing import Any, Protocol

from exporter.instrumentation.spill import SpillFile

log = logging.getLogger(__name__)

Actual = tuple[str, Any, float | None]


class PredictionSink(Protocol):
    """What the writer needs from a prediction store (``exporter.store.PredictionStore`` provides it).

    A sink may also offer ``writable() -> bool`` (probed by the writer thread)
    and ``prune_orphan_actuals(max_age_seconds, max_rows) -> int``.
    """

    def log_predictions(self, records: list[dict[str, Any]]) -> Any: ...

    def log_actuals(self, records: list[Actual]) -> Any: ...


@dataclass
class WriterStats:
    submitted: int = 0  # rows accepted into the buffer (predictions and actuals)
    written: int = 0  # predictions committed to the store
    actuals_written: int = 0
    dropped: int = 0  # rows refused because the buffer was full (or the writer closed)
    failed: int = 0  # rows given up on after repeated database errors, with no spill file (logged)
    spilled: int = 0  # rows moved to the spill file because the database stalled or failed
    replayed: int = 0  # rows replayed from the spill file into the log
    orphans_removed: int = 0  # actuals whose prediction never arrived, removed by the retention
    last_error: str | None = None
    last_commit: float | None = None  # time.time() of the last successful commit


@dataclass(frozen=True)
class WriterHealth:
    """The writer's state, read from memory: what a health endpoint reports."""

    alive: bool  # the writer thread runs
    writable: bool  # alive, the last commit and the last probe succeeded, no commit stalled
    durable: bool  # responses wait until their rows are committed or spilled
    queue_depth: int  # rows in memory, buffered or being committed
    spill_bytes: int  # rows waiting in the spill file for the database
    written: int
    dropped: int
    failed: int
    spilled: int
    orphans_removed: int
    last_commit: float | None
    last_error: str | None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class PredictionLogWriter:
    """Writes buffered prediction rows to the store from one thread, one transaction per batch.

    The writer thread swaps the buffer out every ``flush_interval`` seconds
    (sooner when ``batch_size`` rows are waiting, at once in durable mode) and
    commits it. The buffer holds at most ``max_queue`` rows: beyond that
    ``submit`` drops the row, returns False and calls ``on_drop`` (the
    middleware counts it in ``prediction_log_dropped_total``), so a stalled
    database costs memory up to that bound and never blocks a request.
    Ground-truth values go through the same buffer, so one thread owns all writes.
    """

    def __init__(
        self,
        store: PredictionSink,
        *,
        max_queue: int = 10_000,
        batch_size: int = 1_000,
        flush_interval: float = 0.25,
        retries: int = 3,
        on_drop: Callable[[int], None] | None = None,
        spill: SpillFile | None = None,
        max_age: float = 0.5,
        durable: bool = False,
        probe_interval: float = 1.0,
        orphan_max_age: float | None = None,
        orphan_max_rows: int | None = None,
        orphan_check_interval: float = 60.0,
        on_orphans_removed: Callable[[int], None] | None = None,
    ):
        if max_queue < 1 or batch_size < 1:
            raise ValueError("max_queue and batch_size must be at least 1")
        if max_age <= 0:
            raise ValueError("max_age must be positive")
        self._store = store
        self._max_rows = max_queue
        self._batch_size = batch_size
        self._flush_interval = flush_interval
        self._retries = retries
        self._on_drop = on_drop
        self._spill = spill
        self._max_age = max_age
        self.durable = durable
        self._probe_interval = probe_interval
        self._orphan_max_age = orphan_max_age
        self._orphan_max_rows = orphan_max_rows
        self._orphan_check_interval = orphan_check_interval
        self._on_orphans_removed = on_orphans_removed

        self._predictions: list[dict[str, Any]] = []
        self._actuals: list[Actual] = []
        self._oldest: float | None = None  # time.monotonic() when the oldest buffered row arrived
        self._in_flight: tuple[list[dict[str, Any]], list[Actual]] | None = None
        self._in_flight_count = 0
        self._in_flight_spilled = False
        self._commit_started: float | None = None  # monotonic; None while no commit runs
        # Row sequence numbers, for durable responses: every accepted row gets the next number.
        self._accepted_seq = 0
        self._taken_seq = (
            0  # rows up to here left the buffer (being committed, committed or spilled)
        )
        self._settled_seq = 0  # rows up to here are committed, spilled or given up on
        self._failed_ranges: list[tuple[int, int]] = []  # (after, through] given up on: kept short
        self._waiters: list[tuple[int, asyncio.AbstractEventLoop, asyncio.Future[bool]]] = []
        self._last_commit_ok = True
        self._stall_reported = False
        self._last_probe_ok = True
        self._last_probe = time.monotonic()
        self._last_orphan_check = time.monotonic()
        self._closed = False
        self._wake = threading.Condition(threading.Lock())
        self._spill_io = threading.Lock()  # one spill append at a time, so "spilled" means written
        self.stats = WriterStats()
        self._start_threads()

    def _start_threads(self) -> None:
        self._thread = threading.Thread(target=self._run, name="prediction-log-writer", daemon=True)
        self._thread.start()
        self._watchdog: threading.Thread | None = None
        if self._spill is not None:
            self._watchdog = threading.Thread(
                target=self._watch, name="prediction-log-watchdog", daemon=True
            )
            self._watchdog.start()

    def reopen(self) -> None:
        """Accept rows again after :meth:`close` (an app whose lifespan is started a second time)."""
        with self._wake:
            if not self._closed:
                return
        self._thread.join()
        if self._watchdog is not None:
            self._watchdog.join()
        with self._wake:
            self._closed = False
        self._start_threads()

    # -- producer side (request handlers) --------------------------------
    def submit(self, record: Mapping[str, Any]) -> bool:
        """Buffer one prediction row (the keyword arguments of ``PredictionStore.log_prediction``)."""
        return self._add(self._predictions, record)

    def submit_many(self, records: list[dict[str, Any]]) -> int:
        """Buffer several prediction rows under one lock (a batch request); returns how many were accepted."""
        with self._wake:
            room = (
                0
                if self._closed
                else max(0, self._max_rows - len(self._predictions) - len(self._actuals))
            )
            accepted = records[:room]
            if accepted and self._oldest is None:
                self._oldest = time.monotonic()
            self._predictions.extend(accepted)
            self._accepted_seq += len(accepted)
            self.stats.submitted += len(accepted)
            dropped = len(records) - len(accepted)
            self.stats.dropped += dropped
            if self.durable or len(self._predictions) >= self._batch_size:
                self._wake.notify()
        if dropped and self._on_drop:
            self._on_drop(dropped)
        return len(accepted)

    def submit_actual(self, request_id: str, actual: Any, ts: float | None = None) -> bool:
        return self._add(self._actuals, (request_id, actual, ts))

    def _add(self, buffer: list[Any], item: Any) -> bool:
        with self._wake:
            # After close nobody would write it: a request still running at shutdown counts as dropped.
            accepted = (
                not self._closed and len(self._predictions) + len(self._actuals) < self._max_rows
            )
            if accepted:
                if self._oldest is None:
                    self._oldest = time.monotonic()
                buffer.append(item)
                self._accepted_seq += 1
                self.stats.submitted += 1
                if self.durable or len(buffer) == self._batch_size:
                    self._wake.notify()
            else:
                self.stats.dropped += 1
        if not accepted and self._on_drop:
            self._on_drop(1)
        return accepted

    @property
    def accepted_seq(self) -> int:
        """The sequence number of the last accepted row (for :meth:`wait_durable`)."""
        return self._accepted_seq

    async def wait_durable(self, seq: int) -> bool:
        """Wait, without blocking the event loop, until every row up to ``seq`` is committed or spilled.

        False when one of them was given up on (database and spill file both failed)."""
        loop = asyncio.get_running_loop()
        with self._wake:
            if seq <= self._settled_seq:
                return not any(after < seq <= through for after, through in self._failed_ranges)
            future: asyncio.Future[bool] = loop.create_future()
            self._waiters.append((seq, loop, future))
            self._wake.notify()
        return await future

    def _settle(self, after: int, through: int, ok: bool) -> None:
        """Rows (after, through] are committed or spilled (``ok``) or given up on: answer their waiters."""
        with self._wake:
            if not ok:
                self._failed_ranges = [*self._failed_ranges[-99:], (after, through)]
            self._settled_seq = max(self._settled_seq, through)
            ready = [w for w in self._waiters if w[0] <= through]
            if ready:
                self._waiters = [w for w in self._waiters if w[0] > through]
        for _, loop, future in ready:
            loop.call_soon_threadsafe(_set_result, future, ok)

    @property
    def queue_depth(self) -> int:
        """Rows buffered or being written."""
        with self._wake:
            return len(self._predictions) + len(self._actuals) + self._in_flight_count

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def health(self) -> WriterHealth:
        """The writer's state from memory: never waits for the database (safe on an event loop)."""
        now = time.monotonic()
        with self._wake:
            stalled = (
                self._commit_started is not None and now - self._commit_started > self._max_age
            )
            depth = len(self._predictions) + len(self._actuals) + self._in_flight_count
            commit_ok, probe_ok = self._last_commit_ok, self._last_probe_ok
        alive = self._thread.is_alive()
        stats = self.stats
        return WriterHealth(
            alive=alive,
            writable=alive and commit_ok and probe_ok and not stalled,
            durable=self.durable,
            queue_depth=depth,
            spill_bytes=self._spill.size() if self._spill is not None else 0,
            written=stats.written,
            dropped=stats.dropped,
            failed=stats.failed,
            spilled=stats.spilled,
            orphans_removed=stats.orphans_removed,
            last_commit=stats.last_commit,
            last_error=stats.last_error,
        )

    def flush(self, timeout: float = 10.0) -> bool:
        """Block until every row submitted so far is committed (or ``timeout``); True when done."""
        deadline = time.monotonic() + timeout
        with self._wake:
            self._wake.notify()
        while self.queue_depth:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.005)
        return True

    def close(self, timeout: float = 30.0) -> None:
        """Stop accepting rows, write everything still buffered, and stop the threads."""
        with self._wake:
            if self._closed:
                return
            self._closed = True
            self._wake.notify_all()
        self._thread.join(timeout)
        if self._thread.is_alive():
            log.error(
                "prediction log writer did not finish within %.0fs; %d rows may be lost",
                timeout,
                self.queue_depth,
            )
        if self._watchdog is not None:
            self._watchdog.join(timeout)

    # -- the writer thread -------------------------------------------------
    def _run(self) -> None:
        if self._spill is not None:
            self._replay()  # rows a previous process spilled before it was killed
        while True:
            with self._wake:
                if (
                    not self._closed
                    and len(self._predictions) < self._batch_size
                    and not (
                        (self.durable or self._waiters) and (self._predictions or self._actuals)
                    )
                ):
                    self._wake.wait(self._flush_interval)
                predictions, self._predictions = self._predictions, []
                actuals, self._actuals = self._actuals, []
                self._oldest = None
                after, through = self._taken_seq, self._accepted_seq
                self._taken_seq = through
                self._in_flight_count = len(predictions) + len(actuals)
                if self._in_flight_count:
                    self._in_flight = (predictions, actuals)
                    self._in_flight_spilled = False
                    self._commit_started = time.monotonic()
                stopping = self._closed
            try:
                if predictions or actuals:
                    ok = self._write(predictions, actuals)
                    self._settle(after, through, ok)
            finally:
                with self._wake:
                    self._in_flight = None
                    self._in_flight_count = 0
                    self._commit_started = None
            self._housekeeping()
            if stopping:
                with self._wake:
                    if not (self._predictions or self._actuals):
                        return

    def _write(self, predictions: list[dict[str, Any]], actuals: list[Actual]) -> bool:
        """Commit the rows; what cannot be committed goes to the spill file. False when rows were lost."""
        ok = True
        for start in range(0, len(predictions), self._batch_size):
            chunk = predictions[start : start + self._batch_size]
            if not self._commit(
                functools.partial(self._store.log_predictions, chunk), len(chunk), "written"
            ):
                ok = self._spill_failed(chunk, []) and ok
        if actuals and not self._commit(
            lambda: self._store.log_actuals(actuals), len(actuals), "actuals_written"
        ):
            ok = self._spill_failed([], actuals) and ok
        return ok

    def _commit(self, write: Callable[[], Any], count: int, counter: str) -> bool:
        for attempt in range(self._retries + 1):
            try:
                write()
            except Exception as exc:
                self.stats.last_error = f"{type(exc).__name__}: {exc}"
                self._last_commit_ok = False
                if attempt < self._retries:
                    time.sleep(0.1 * 2**attempt)
                    continue
                return False
            setattr(self.stats, counter, getattr(self.stats, counter) + count)
            self.stats.last_commit = time.time()
            self._last_commit_ok = True
            self._stall_reported = False
            return True
        return False

    def _spill_failed(self, predictions: list[dict[str, Any]], actuals: list[Actual]) -> bool:
        count = len(predictions) + len(actuals)
        with self._spill_io:
            if self._in_flight_spilled:  # the watchdog already saved them while the commit hung
                return True
            if self._spill is not None and self._spill.append(predictions, actuals):
                self.stats.spilled += count
                log.warning(
                    "prediction log: %d row(s) could not be committed (%s); kept in %s, replayed "
                    "when the database accepts writes again",
                    count,
                    self.stats.last_error,
                    self._spill.path,
                )
                return True
        self.stats.failed += count
        log.error(
            "prediction log: giving up on %d row(s) after %d attempts: %s",
            count,
            self._retries + 1,
            self.stats.last_error,
        )
        return False

    def _housekeeping(self) -> None:
        """Between batches: probe the log, replay spilled rows, apply the orphan retention."""
        now = time.monotonic()
        probe = getattr(self._store, "writable", None)
        if probe is not None and now - self._last_probe >= self._probe_interval:
            self._last_probe = now
            self._last_probe_ok = bool(probe())
        if (
            self._spill is not None
            and self._last_commit_ok
            and self._last_probe_ok
            and self._spill.size()
        ):
            self._replay()
        prune = getattr(self._store, "prune_orphan_actuals", None)
        if (
            prune is not None
            and (self._orphan_max_age is not None or self._orphan_max_rows is not None)
            and now - self._last_orphan_check >= self._orphan_check_interval
        ):
            self._last_orphan_check = now
            try:
                removed = prune(self._orphan_max_age, self._orphan_max_rows)
            except Exception as exc:
                log.warning("prediction log: orphan retention failed: %s", exc)
                return
            if removed:
                self.stats.orphans_removed += removed
                if self._on_orphans_removed:
                    self._on_orphans_removed(removed)
                log.info(
                    "prediction log: removed %d ground-truth value(s) whose prediction never arrived",
                    removed,
                )

    def _replay(self) -> None:
        assert self._spill is not None
        predictions, actuals, length = self._spill.read()
        if not length:
            return
        for start in range(0, len(predictions), self._batch_size):
            chunk = predictions[start : start + self._batch_size]
            if not self._commit(
                functools.partial(self._store.log_predictions, chunk), 0, "written"
            ):
                return  # the file stays; the next successful commit retries
        if actuals and not self._commit(lambda: self._store.log_actuals(actuals), 0, "written"):
            return
        self._spill.discard(length)
        self.stats.replayed += len(predictions) + len(actuals)
        log.info(
            "prediction log: replayed %d row(s) from %s",
            len(predictions) + len(actuals),
            self._spill.path,
        )

    # -- the watchdog thread -------------------------------------------------
    def _watch(self) -> None:
        while True:
            with self._wake:
                if self._closed and not self._thread.is_alive():
                    return
            self._spill_stale()
            time.sleep(self._max_age / 4)
            if not self._thread.is_alive():
                return

    def _spill_stale(self) -> None:
        """Move rows older than ``max_age`` (the commit hangs) from memory to the spill file."""
        assert self._spill is not None
        now = time.monotonic()
        with self._spill_io:
            with self._wake:
                take_in_flight = (
                    self._in_flight is not None
                    and not self._in_flight_spilled
                    and self._commit_started is not None
                    and now - self._commit_started > self._max_age
                )
                take_buffer = self._oldest is not None and now - self._oldest > self._max_age
                if not (take_in_flight or take_buffer):
                    return
                predictions: list[dict[str, Any]] = []
                actuals: list[Actual] = []
                if take_in_flight:
                    assert self._in_flight is not None
                    predictions += self._in_flight[0]
                    actuals += self._in_flight[1]
                # Rows up to _taken_seq are in flight (or settled); the buffer holds the rest.
                after = through = self._taken_seq
                if take_buffer:
                    predictions += self._predictions
                    actuals += self._actuals
                    self._predictions, self._actuals, self._oldest = [], [], None
                    through = self._taken_seq = self._accepted_seq
            saved = self._spill.append(predictions, actuals)
            with self._wake:
                self._in_flight_spilled = take_in_flight and saved
        count = len(predictions) + len(actuals)
        if saved:
            self.stats.spilled += count
            # Once per stall at WARNING (the watchdog spills every tick while it lasts).
            log.log(
                logging.DEBUG if self._stall_reported else logging.WARNING,
                "prediction log: the database has not accepted a commit for over %.1fs; %d row(s) "
                "moved to %s, replayed when it does",
                self._max_age,
                count,
                self._spill.path,
            )
            self._stall_reported = True
            self._settle(after, through, True)
        elif take_buffer:
            lost = through - after
            self.stats.dropped += lost
            if self._on_drop and lost:
                self._on_drop(lost)
            log.error(
                "prediction log: the spill file %s is full (%d bytes); %d row(s) dropped",
                self._spill.path,
                self._spill.max_bytes,
                lost,
            )
            self._settle(after, through, False)


def _set_result(future: asyncio.Future[bool], ok: bool) -> None:
    if not future.done():
        future.set_result(ok)
