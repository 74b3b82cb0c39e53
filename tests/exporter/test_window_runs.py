"""The window writes and reads its circular arrays in contiguous runs: checked against a plain list of rows.

Random batch sizes (smaller than, equal to and larger than the capacity) make every case of wrap-around
happen; after each append the held rows, the rows a listener was told about (entering and leaving) and
the labels found must be exactly what a list that keeps the newest ``capacity`` rows says.
"""

from __future__ import annotations

import random

import numpy as np

from exporter.schema import FeatureSchema, FeatureSpec
from exporter.statistics.columns import FeatureColumns
from exporter.store import PredictionRecord
from exporter.window import ModelWindow, parse_batch

SCHEMA = FeatureSchema(
    (
        FeatureSpec("x", "numeric", minimum=0.0, maximum=500.0),
        FeatureSpec("c", "categorical", categories=("a", "b")),
    )
)


def _record(i: int, rng: random.Random) -> PredictionRecord:
    extra = ', "extra": 1' if rng.random() < 0.1 else ""  # an unknown field now and then
    value = rng.choice([str(i), "null", '"text"'])
    category = rng.choice(['"a"', '"b"', '"z"', "null"])
    return PredictionRecord(
        i,
        f"r{i}",
        float(i),
        "m",
        rng.choice(["v1", "v1", "v2"]),
        f'{{"x": {value}, "c": {category}{extra}}}',
        float(i),
        None,
        None,
        None,
    )


class Recorder:
    """Keeps what it is told and reads it only when asked (as the drift statistics do): rows handed over as
    views of the ring, overwritten since, would show."""

    def __init__(self) -> None:
        self.events: list[tuple[int, FeatureColumns]] = []

    @staticmethod
    def rows(rows: FeatureColumns) -> list[tuple[int, int, object, int, bool]]:
        """(x as bits, its status, c, its status, unknown field) per row."""
        x = rows.values["x"].view(np.int64).tolist()
        extra = rows.unknown_fields.get("extra", np.zeros(rows.n_rows, bool)).tolist()
        return list(
            zip(
                x,
                rows.status["x"].tolist(),
                rows.values["c"].tolist(),
                rows.status["c"].tolist(),
                extra,
            )
        )

    def add(self, rows: FeatureColumns) -> None:
        self.events.append((+1, rows))

    def remove(self, rows: FeatureColumns) -> None:
        self.events.append((-1, rows))

    def held(self) -> list[tuple[int, int, object, int, bool]]:
        held: list[tuple[int, int, object, int, bool]] = []
        for sign, rows in self.events:
            if sign > 0:
                held.extend(self.rows(rows))
            else:
                leaving = self.rows(rows)
                assert held[: len(leaving)] == leaving  # the oldest rows leave, in order
                del held[: len(leaving)]
        return held


def test_runs_of_the_ring_hold_the_newest_rows_and_tell_listeners_exactly():
    rng = random.Random(7)
    capacity = 37
    window = ModelWindow(SCHEMA, capacity)
    recorder = Recorder()
    window.track(recorder)
    every: list[PredictionRecord] = []
    labels: dict[str, float] = {}
    for _ in range(120):
        batch = [_record(len(every) + k, rng) for k in range(rng.choice([1, 5, 36, 37, 38, 80]))]
        every.extend(batch)
        window.append(parse_batch(SCHEMA, batch))
        held = every[-capacity:]
        expected = parse_batch(SCHEMA, held)
        assert window.n_rows == len(held)
        # the window's arrays in row order: oldest first, starting at the ring's first held slot
        order = np.argsort(window.ts, kind="stable")
        assert window.ts[order].tolist() == [r.ts for r in held]
        columns = window.columns
        for name in SCHEMA.names:
            got, want = columns.values[name][order], expected.columns.values[name]
            if want.dtype == np.float64:
                assert got.view(np.int64).tolist() == want.view(np.int64).tolist()
            else:
                assert got.tolist() == want.tolist()
            assert columns.status[name][order].tolist() == expected.columns.status[name].tolist()
        assert [window.version_names[c] for c in window.version_codes[order]] == [
            r.model_version for r in held
        ]
        assert recorder.held() == Recorder.rows(expected.columns)
        unknown = columns.unknown_fields.get("extra", np.zeros(len(held), bool))[order]
        assert unknown.tolist() == [', "extra"' in r.features_json for r in held]
        # labels: rows still held are found, rows that left are not
        asked = rng.sample(every, min(len(every), 10))
        found = window.set_actuals([(r.request_id, float(r.id) * 2) for r in asked])
        assert found == sum(1 for r in asked if r in held)
        for r in asked:
            if r in held:
                labels[r.request_id] = float(r.id) * 2
        has = window.has_actual[order].tolist()
        assert has == [r.request_id in labels for r in held]
        assert window.actual_numbers[order][np.array(has, bool)].tolist() == [
            labels[r.request_id] for r in held if r.request_id in labels
        ]
