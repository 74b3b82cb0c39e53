"""The export cycle: read what is new in the prediction log, recompute every model's metrics, publish.

One :class:`Exporter` lives for the whole process. Each :meth:`Exporter.run_cycle`

1. opens the log if it is not open yet (``open_db``; a missing file is waited for),
2. reloads a model's reference when its writer replaced it (``config``/``read``),
3. reads only the rows logged since the last cycle (``read``), counts them into
   the cumulative counters and appends them to the model's in-memory window,
4. per model computes ``performance``, ``drift``, ``quality`` and ``business``
   metrics from the window; drift and quality follow the window's rows as they
   enter and leave (:class:`~exporter.statistics.incremental.IncrementalDrift`,
   :class:`~exporter.statistics.quality.QualityCounts`), so a steady-state cycle
   costs O(new rows) plus a few vectorised passes, not a re-sort of the window,
5. publishes a new :class:`~exporter.snapshot.Snapshot` for the collectors.

A failure in one stage of one model is logged once (with the model and what
to do), counted in ``exporter_errors_total{stage}``, and leaves that stage's
previous values in place; every other stage and model still runs, and
``/metrics`` keeps answering. ``exporter_last_success_timestamp_seconds`` moves
only when a whole cycle succeeds.
"""

from __future__ import annotations

import ctypes
import gc
import logging
import math
import operator
import sqlite3
import time
import zlib
from collections import Counter, defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np

from exporter import catalog, results
from exporter.batch import parse_batch, provisional_schema
from exporter.config import ExporterConfig
from exporter.counters import ModelCounters
from exporter.logfile import LogFile, went_back
from exporter.profiles import ModelReference, load_reference
from exporter.schema import FeatureSchema, SchemaConfigError
from exporter.snapshot import Samples, Snapshot, merge
from exporter.statistics.columns import FeatureColumns
from exporter.statistics.drift import DriftConfig
from exporter.statistics.incremental import IncrementalDrift
from exporter.statistics.performance import (
    Task,
    compute_performance,
    infer_task,
    regression_metrics,
)
from exporter.statistics.quality import QualityCounts
from exporter.statistics.ranked import WindowOutOfStep
from exporter.statistics.reference import ReferenceProfile
from exporter.store import ActualRecord, PredictionRecord, PredictionStore, open_store
from exporter.values import numeric
from exporter.window import ModelWindow

log = logging.getLogger("exporter")
T = TypeVar("T")

STAGES: tuple[str, ...] = tuple(catalog.EXPORTER_STAGES.split("|"))
READ_BATCH_ROWS = 50_000
# A sharded exporter asks the store to leave out the models other shards serve, up to this many names
# (a log with more model names than that, e.g. random ones, is still filtered after reading).
MAX_SKIPPED_MODELS = 10_000
# The exporter only reads: it waits less for a lock than writers do, and retries next cycle.
READER_BUSY_TIMEOUT_MS = 2_000


class StageFailure(Exception):
    """A stage could not run; the message says what and what to do."""


@dataclass
class ModelState:
    """Everything the exporter keeps for one model between cycles."""

    name: str
    schema: FeatureSchema
    profile: ReferenceProfile
    reference: ModelReference | None
    window: ModelWindow
    # stage -> window.changes when the stage last succeeded: an unchanged window is not recomputed
    computed: dict[str, int] = field(default_factory=dict)
    # follow the window's rows as they enter and leave; created by the first drift / quality stage
    drift: IncrementalDrift | None = None
    quality: QualityCounts | None = None

    @property
    def reference_version(self) -> float | None:
        return self.reference.header.updated_at if self.reference else None


class Exporter:
    """Runs export cycles over the prediction log at ``config.db_path`` and holds the latest snapshot."""

    def __init__(self, config: ExporterConfig, clock: Callable[[], float] = time.time):
        self.config = config
        self.clock = clock
        self.snapshot = Snapshot()
        self.models: dict[str, ModelState] = {}
        self.counters: dict[str, ModelCounters] = {}
        self.errors = {stage: 0 for stage in STAGES}
        self.cycles = 0
        self.last_success = 0.0
        self.last_duration = math.nan
        self.stage_seconds: dict[
            str, float
        ] = {}  # time spent per stage in the last cycle (debug log, benchmark)
        self._store: PredictionStore | None = None
        self._last_prediction_id = 0
        self._last_actual_id = 0
        self._log_file: LogFile | None = None  # the file the ids above were read from
        # Models with a slot (at most config.max_models) -> clock time a row of theirs was last read.
        self._tracked: dict[str, float] = {}
        # Models with a reference in the log, as of the last read.
        self._referenced: set[str] = set()
        self._unconfirmed: set[str] = set()  # tracked models still to be found in a replaced log
        # Models another shard serves, as far as seen: the store leaves their rows on the server.
        self._elsewhere: set[str] = set()
        self._limit_logged = False
        self.untracked_predictions = 0
        self._results: dict[
            tuple[str, str], Samples
        ] = {}  # (stage, model) -> its last good samples
        self._failing: dict[tuple[str, str], str] = {}  # (stage, where) -> message already logged
        self._failed_this_cycle = False
        self._drift_config = DriftConfig(
            alpha=config.alpha,
            correction=config.correction,  # type: ignore[arg-type]
            min_rows=config.min_rows,
            min_effect=config.drift_min_effect,
        )
        self._publish(math.nan)

    # --- the cycle -------------------------------------------------------------

    def run_cycle(self) -> bool:
        """Run one cycle; True when every stage of every model succeeded."""
        started = time.perf_counter()
        self._failed_this_cycle = False
        self.stage_seconds = {}
        store = self._stage("open_db", "", self._open)
        if store is not None:
            if self._stage("read", "", lambda: self._refresh_references(store)):
                self._stage("read", "", lambda: self._read_new_rows(store))
            # Hold no connection between cycles: a replaced or repaired file is seen next cycle, and a
            # lock taken by another process in between shows up as a read error rather than a hang.
            store.close()
            now = self.clock()
            self._evict_idle(now)
            for state in list(self.models.values()):
                self._compute(state, now)
        self.cycles += 1
        if not self._failed_this_cycle:
            self.last_success = self.clock()
        self._publish(time.perf_counter() - started)
        return not self._failed_this_cycle

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None

    def _stage(self, stage: str, where: str, work: Callable[[], T]) -> T | None:
        """Run ``work`` as ``stage`` (for model ``where``); on failure count it, log it once, return None."""
        started = time.perf_counter()
        try:
            value = work()
        except Exception as exc:
            self._fail(stage, where, exc)
            if stage in ("open_db", "read") and isinstance(exc, sqlite3.Error):
                self.close()  # reopen next cycle: the file may have been replaced or repaired
            return None
        finally:
            self.stage_seconds[stage] = (
                self.stage_seconds.get(stage, 0.0) + time.perf_counter() - started
            )
        self._recovered(stage, where)
        return value

    def _fail(self, stage: str, where: str, exc: Exception) -> None:
        """Count a failure of ``stage``; log it unless the same failure was logged last time."""
        self.errors[stage] += 1
        self._failed_this_cycle = True
        message = _describe(exc)
        if self._failing.get((stage, where)) != message:
            self._failing[(stage, where)] = message
            target = f" (model {where!r})" if where else ""
            log.error(
                "stage %s%s failed: %s",
                stage,
                target,
                message,
                exc_info=not isinstance(
                    exc, (StageFailure, sqlite3.Error, SchemaConfigError, FileNotFoundError)
                ),
            )

    def _recovered(self, stage: str, where: str) -> None:
        if self._failing.pop((stage, where), None) is not None:
            log.info("stage %s%s recovered", stage, f" (model {where!r})" if where else "")

    def _open(self) -> PredictionStore:
        if self._store is None and self.config.db_url:
            self._store = open_store(self.config.db_url, create=False)
            log.info("reading prediction log %s", self.config.db_location)
        if self._store is None:
            path = self.config.db_path
            if not path.exists():
                if self._tracked:
                    self._evict(set(self._tracked), f"the prediction log {path} is gone")
                raise StageFailure(
                    f"prediction log {path} does not exist yet; waiting for a model service to "
                    f"create it (set METRICS_DB_PATH to the file the API writes)"
                )
            self._store = PredictionStore(path, create=False, timeout_ms=READER_BUSY_TIMEOUT_MS)
            log.info("reading prediction log %s", path)
        return self._store

    # --- reading ---------------------------------------------------------------

    def _refresh_references(self, store: PredictionStore) -> bool:
        if not store.has_schema():
            raise StageFailure(
                f"{self.config.db_location} has no prediction-log tables yet; they are created by the first "
                "PredictionStore(path) of a writer (schema in the README)"
            )
        self._follow_log_file(store)
        versions = {
            model: version
            for model, version in store.reference_versions().items()
            if self._exports(model)  # another exporter (shard) serves the others
        }
        self._referenced = set(versions)
        for model, version in versions.items():
            state = self.models.get(model)
            if state is None or state.reference_version != version:
                self._stage("config", model, lambda: self._load_model(store, model))
        return True

    def _follow_log_file(self, store: PredictionStore) -> None:
        """Notice a log that is not the one read so far (see exporter.logfile) and read it from the start.

        Counters continue from their totals (Prometheus counters never go down): the new log's rows are
        counted on top. Windows and statistics restart from the new log's rows.
        """
        current = LogFile.of(store)
        previous, self._log_file = self._log_file, current
        if previous is None:
            return
        why = previous.replaced_by(current) or went_back(
            self._last_prediction_id, store.max_prediction_id()
        )
        if why is None:
            return
        log.warning(
            "prediction log %s %s: reading it again from the start; counters continue from their "
            "totals, windows and statistics restart from its rows",
            self.config.db_location,
            why,
        )
        self._last_prediction_id = self._last_actual_id = 0
        self._forget_models(set(self.models))
        # Those not in the new log are dropped once it is read.
        self._unconfirmed = set(self._tracked)

    # --- which models are exported (issue 12 D3: bounded model_name cardinality) ---

    def _admit(self, model: str) -> bool:
        """True when ``model`` has (or now gets) one of the ``max_models`` slots."""
        if model in self._tracked:
            return True
        if len(self._tracked) >= self.config.max_models:
            if not self._limit_logged:
                self._limit_logged = True
                log.warning(
                    "model %r and any further model are not exported: %d models already are "
                    "(EXPORTER_MAX_MODELS); their predictions are counted in "
                    "exporter_untracked_predictions_total. Raise the limit or split the models "
                    "between exporters",
                    model,
                    len(self._tracked),
                )
            return False
        self._tracked[model] = self.clock()
        return True

    def _evict(self, models: set[str], why: str) -> None:
        """Stop exporting ``models``: their series disappear, their memory is released, their slots free."""
        if not models:
            return
        for model in models:
            self._tracked.pop(model, None)
            self.counters.pop(model, None)
        self._forget_models(models)
        self._limit_logged = False
        _release_memory()
        names = sorted(models)
        shown = ", ".join(map(repr, names[:5])) + (
            f" and {len(names) - 5} more" if len(names) > 5 else ""
        )
        log.warning("%s: no longer exporting model(s) %s", why, shown)

    def _evict_idle(self, now: float) -> None:
        idle = self.config.model_idle_seconds
        if idle is None:
            return
        self._evict(
            {
                model
                for model, seen in self._tracked.items()
                if now - seen > idle and model not in self._referenced
            },
            f"no new prediction for {idle:g}s and no reference data (EXPORTER_MODEL_IDLE_SECONDS)",
        )

    def _forget_models(self, models: set[str]) -> None:
        """Drop the windows, statistics and last results of ``models`` (their counters stay)."""
        for model in models:
            self.models.pop(model, None)
        for key in [key for key in self._results if key[1] in models]:
            del self._results[key]
        for key in [key for key in self._failing if key[1] in models]:
            del self._failing[key]

    def _load_model(self, store: PredictionStore, model: str) -> None:
        if not self._admit(model):
            return
        log.info("model %r: loading its reference data", model)
        started = time.perf_counter()
        reference = load_reference(store, model, self.config.schema_path)
        if reference is None:
            return
        log.info(
            "model %r: reference of %d rows, %d features, task %s, loaded in %.1fs",
            model,
            reference.header.rows,
            len(reference.schema),
            reference.task or "inferred",
            time.perf_counter() - started,
        )
        window = self._new_window(reference.schema)
        recent = store.read_recent(
            model, self._last_prediction_id, self._last_actual_id, self.config.window_rows
        )
        window.append(parse_batch(reference.schema, recent))
        self.models[model] = ModelState(
            model, reference.schema, reference.profile, reference, window
        )

    @property
    def _partial(self) -> bool:
        return self.config.shard is not None or self.config.models is not None

    def _exports(self, model: str) -> bool:
        """Whether this exporter serves ``model`` (``--models``, ``--shard``); every model by default."""
        if self.config.models is not None and model not in self.config.models:
            return False
        if self.config.shard is not None:
            index, count = self.config.shard
            return shard_of(model, count) == index
        return True

    def _served(self, predictions: list[PredictionRecord]) -> list[PredictionRecord]:
        """The predictions of models this exporter serves; the other models are remembered (up to
        :data:`MAX_SKIPPED_MODELS`), so that the next reads leave their rows in the database."""
        served, elsewhere = [], set()
        for record in predictions:
            if self._exports(record.model_name):
                served.append(record)
            else:
                elsewhere.add(record.model_name)
        room = MAX_SKIPPED_MODELS - len(self._elsewhere)
        if elsewhere and room > 0:
            self._elsewhere.update(list(elsewhere - self._elsewhere)[:room])
        return served

    def _new_window(self, schema: FeatureSchema) -> ModelWindow:
        return ModelWindow(schema, self.config.window_rows, self.config.window_seconds)

    def _read_new_rows(self, store: PredictionStore) -> None:
        """Read everything logged since the last cycle; rows of a long backlog beyond the window are only counted."""
        pending: dict[str, deque[PredictionRecord]] = defaultdict(
            lambda: deque(maxlen=self.config.window_rows)
        )
        actuals: list[ActualRecord] = []
        try:
            while True:
                changes = store.read_changes(
                    self._last_prediction_id,
                    self._last_actual_id,
                    READ_BATCH_ROWS,
                    skip_models=self._elsewhere,
                )
                predictions, new_actuals = changes.predictions, changes.actuals
                if self._partial:  # another exporter (shard) serves the other models
                    predictions = self._served(predictions)
                    new_actuals = [
                        a
                        for a in new_actuals
                        if a.model_name is None or self._exports(a.model_name)
                    ]
                admitted = self._count(predictions, new_actuals)
                self._last_prediction_id, self._last_actual_id = (
                    changes.last_prediction_id,
                    changes.last_actual_id,
                )
                for model, records in admitted.items():
                    pending[model].extend(records)
                actuals.extend(new_actuals)
                if len(changes.predictions) < READ_BATCH_ROWS:
                    break
                log.info(
                    "catching up with the prediction log: read up to id %d",
                    self._last_prediction_id,
                )
        finally:  # what was read and counted must reach the windows even if a later batch failed
            self._append(pending, actuals)
        if self._unconfirmed:  # a replaced log is read: models that are not in it have left
            gone = self._unconfirmed - set(self.models) - self._referenced
            self._unconfirmed = set()
            self._evict(gone, f"not in the new prediction log {self.config.db_location}")

    def _count(
        self, predictions: list[PredictionRecord], actuals: list[ActualRecord]
    ) -> dict[str, list[PredictionRecord]]:
        """Count new rows into the counters; returns the predictions of the models that have a slot, by model
        (in the order they first appear)."""
        by_model = _by_model(predictions)
        now = self.clock()
        last_actual_id = self._last_actual_id
        for model, records in list(by_model.items()):
            if not self._admit(model):
                self.untracked_predictions += len(records)
                del by_model[model]
                continue
            self._tracked[model] = now
            # An actual read in an earlier cycle, before its prediction: counted now that both are here.
            self._counters(model).actuals += sum(
                1
                for actual_id in map(_ACTUAL_ID, records)
                if actual_id is not None and actual_id <= last_actual_id
            )
        for model, records in by_model.items():
            state = self.models.get(model)
            classifier = (
                state is not None
                and state.reference is not None
                and state.reference.task == "classification"
            )
            # prediction_value_distribution is about regression outputs: class labels (even integer ones) are skipped
            values = numeric([] if classifier else list(map(_PREDICTION, records)))
            self._counters(model).add_predictions(
                numeric(list(map(_LATENCY_SECONDS, records))), values
            )
        for labelled, count in Counter(map(_ACTUAL_MODEL_NAME, actuals)).items():
            if labelled is not None and labelled in self._tracked:
                self._counters(labelled).actuals += count
        return by_model

    def _counters(self, model: str) -> ModelCounters:
        counters = self.counters.get(model)
        if counters is None:
            counters = self.counters[model] = ModelCounters()
        return counters

    def _append(
        self, pending: dict[str, deque[PredictionRecord]], actuals: list[ActualRecord]
    ) -> None:
        for model, records in pending.items():
            state = self.models.get(model)
            if state is None:
                schema = provisional_schema(list(records))
                profile = ReferenceProfile.from_columns(FeatureColumns.empty(schema))
                log.warning(
                    "model %r has no reference data: drift is not tested and the schema is inferred "
                    "from its predictions (call PredictionStore.set_reference)",
                    model,
                )
                state = self.models[model] = ModelState(
                    model, schema, profile, None, self._new_window(schema)
                )
            batch = parse_batch(state.schema, list(records))
            state.window.append(batch)
            if batch.bad_json:
                self._fail(
                    "read",
                    model,
                    StageFailure(
                        f"{len(batch.bad_json)} new row(s) have features that are not a JSON object (first: request_id "
                        f"{batch.bad_json[0]!r}); their features count as missing. Log features as a JSON object"
                    ),
                )
            else:
                self._recovered("read", model)
        for labelled, pairs in _labels_by_model(actuals).items():
            if labelled is not None and labelled in self.models:
                self.models[labelled].window.set_actuals(pairs)

    # --- computing -------------------------------------------------------------

    def _compute(self, state: ModelState, now: float) -> None:
        state.window.expire(now)
        model = state.name
        for stage, work in (
            ("performance", self._performance),
            ("drift", self._drift),
            ("quality", self._quality),
            ("business", self._business),
        ):
            # Statistics of an unchanged window are unchanged (an idle model costs nothing);
            # business metrics depend on the clock (label lag) and are always recomputed.
            if stage != "business" and state.computed.get(stage) == state.window.changes:
                continue
            samples = self._stage(stage, model, lambda: work(state, now))
            if samples is not None:
                self._results[(stage, model)] = samples
                state.computed[stage] = state.window.changes

    def _performance(self, state: ModelState, now: float) -> Samples:
        window = state.window
        labelled = window.has_actual
        task: Task | None = state.reference.task if state.reference is not None else None
        if (
            task is None
        ):  # neither declared nor inferable from reference targets: infer from the labels
            task = infer_task(window.actuals[labelled])
        if task is None:
            return Samples()
        samples: list[Samples] = []
        codes = window.version_codes
        versions = np.flatnonzero(np.bincount(codes, minlength=len(window.version_names)))
        for code in versions:
            version = window.version_names[code]
            # the labelled rows of this version (of all rows when the window holds one version)
            rows = labelled if versions.size == 1 else labelled & (codes == code)
            if not rows.any():  # no ground truth yet: only the task is known
                samples.append(results.model_info_samples(state.name, str(version), task))
                continue
            if task == "regression":  # one compiled pass over the window's numbers, no copies
                report = regression_metrics(
                    window.actual_numbers,
                    window.predicted_numbers,
                    self.config.regression_tolerance,
                    rows=rows,
                )
            else:
                report = compute_performance(window.actuals[rows], window.predictions[rows], task)
            samples.append(results.performance_samples(state.name, str(version), report))
        return merge(*samples)

    def _drift(self, state: ModelState, now: float) -> Samples:
        if state.drift is None:
            state.drift = IncrementalDrift(state.profile, self._drift_config)
            state.window.track(state.drift)
        try:
            report = state.drift.report()
        except WindowOutOfStep as exc:  # never expected; recovering costs one from-scratch pass
            log.warning("model %r: %s; rebuilding the drift state from the window", state.name, exc)
            state.window.untrack(state.drift)
            state.drift = IncrementalDrift(state.profile, self._drift_config)
            state.window.track(state.drift)
            report = state.drift.report()
        return results.drift_samples(state.name, report)

    def _quality(self, state: ModelState, now: float) -> Samples:
        if state.quality is None:
            state.quality = QualityCounts(state.profile)
            state.window.track(state.quality)
        return results.quality_samples(state.name, state.schema, state.quality.report())

    def _business(self, state: ModelState, now: float) -> Samples:
        window = state.window
        return results.window_samples(
            state.name,
            state.profile.n_rows,
            window.n_rows,
            int(np.count_nonzero(window.has_actual)),
            window.label_lag_seconds(now),
        )

    # --- publishing ------------------------------------------------------------

    def _publish(self, duration: float) -> None:
        self.last_duration = duration
        health = results.health_samples(
            last_success=self.last_success,
            duration=duration,
            cycles=self.cycles,
            errors=self.errors,
            models=len(self._tracked),
            untracked_predictions=self.untracked_predictions,
        )
        self.snapshot = Snapshot(
            merge(*self._results.values(), results.counter_samples(self.counters), health)
        )


_MODEL_NAME = operator.itemgetter(PredictionRecord._fields.index("model_name"))
_PREDICTION = operator.itemgetter(PredictionRecord._fields.index("prediction"))
_LATENCY_SECONDS = operator.itemgetter(PredictionRecord._fields.index("latency_seconds"))
_ACTUAL_ID = operator.itemgetter(PredictionRecord._fields.index("actual_id"))


def _by_model(predictions: list[PredictionRecord]) -> dict[str, list[PredictionRecord]]:
    """``predictions`` grouped by model, models in the order they first appear."""
    names = list(map(_MODEL_NAME, predictions))
    if names and names.count(names[0]) == len(names):  # the usual batch: one model
        return {names[0]: predictions}
    by_model: dict[str, list[PredictionRecord]] = defaultdict(list)
    for name, record in zip(names, predictions):
        by_model[name].append(record)
    return by_model


_ACTUAL_MODEL_NAME = operator.itemgetter(ActualRecord._fields.index("model_name"))
_ACTUAL_REQUEST_ID = operator.itemgetter(ActualRecord._fields.index("request_id"))
_ACTUAL_VALUE = operator.itemgetter(ActualRecord._fields.index("actual"))


def _labels_by_model(actuals: list[ActualRecord]) -> dict[str | None, list[tuple[str, Any]]]:
    """(request_id, actual) pairs by model (None: prediction not read yet), models in the order they first appear."""
    names = list(map(_ACTUAL_MODEL_NAME, actuals))
    pairs = list(zip(map(_ACTUAL_REQUEST_ID, actuals), map(_ACTUAL_VALUE, actuals)))
    if names and names.count(names[0]) == len(names):  # the usual read: one model's labels
        return {names[0]: pairs}
    by_model: dict[str | None, list[tuple[str, Any]]] = defaultdict(list)
    for name, pair in zip(names, pairs):
        by_model[name].append(pair)
    return by_model


def _release_memory() -> None:
    """Hand the memory of dropped models back to the system (eviction is rare; this costs a few ms).

    A window is many arrays below glibc's mmap threshold: freed, they stay in malloc's arenas and the
    process keeps its RSS (measured: 760 MB after dropping 500 models, 135 MB after ``malloc_trim``).
    """
    gc.collect()  # a window and the statistics that track it refer to each other
    try:
        trim = ctypes.CDLL(None).malloc_trim  # the C library the interpreter runs on
    except (OSError, AttributeError):  # not glibc (musl, macOS, Windows): nothing to trim
        return
    trim(0)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, (StageFailure, SchemaConfigError)):
        return str(exc)
    if isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc):
        return f"the prediction log is locked by another process ({exc}); retrying next cycle"
    if isinstance(exc, sqlite3.DatabaseError):
        return f"the prediction log cannot be read ({exc}); check the file (sqlite3 FILE 'PRAGMA integrity_check')"
    if isinstance(exc, FileNotFoundError):  # removed between opening it and looking at it
        return f"the prediction log {exc.filename} disappeared while being read; waiting for it"
    return f"{type(exc).__name__}: {exc}"


def shard_of(model_name: str, count: int) -> int:
    """The shard (0..count-1) that serves ``model_name``: a stable hash, the same in every process and release."""
    return zlib.crc32(model_name.encode("utf-8")) % count
