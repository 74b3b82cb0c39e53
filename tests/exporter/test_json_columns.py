"""The compiled features scanner (exporter.json_columns) against the general path it replaces.

The general path is ``FeatureColumns.from_rows(schema, parse_features(texts))`` (orjson for the batch,
the standard library row by row when that fails). For every batch below, what the exporter builds
(:func:`exporter.batch.feature_columns`) must equal it bit for bit; the batches the scanner must take
are checked to be taken (else a broken scanner would hide behind the fallback), and the ones it must
hand back are checked to be handed back.
"""

from __future__ import annotations

import json
import random

import numpy as np
import orjson
import pytest

from exporter import batch, json_columns
from exporter.batch import feature_columns, parse_features
from exporter.schema import FeatureSchema, FeatureSpec
from exporter.statistics.columns import FeatureColumns

SCHEMA = FeatureSchema(
    (
        FeatureSpec("x", "numeric"),
        FeatureSpec("y", "numeric", required=False, minimum=-10.0, maximum=10.0),
        FeatureSpec("zürich", "numeric"),
        FeatureSpec("w", "numeric", minimum=0),
        FeatureSpec("c", "categorical", categories=("a", "b", "1", "true")),
        FeatureSpec("d", "categorical", required=False),
    )
)


def general_path(schema: FeatureSchema, texts: list) -> FeatureColumns:
    parsed = parse_features(texts)
    return FeatureColumns.from_rows(schema, [{} if row is None else row for row in parsed])


def assert_same(got: FeatureColumns, want: FeatureColumns) -> None:
    assert got.n_rows == want.n_rows
    assert list(got.values) == list(want.values) and list(got.status) == list(want.status)
    for name in want.values:
        g, w = got.values[name], want.values[name]
        assert g.dtype == w.dtype, name
        if w.dtype == np.float64:  # bit for bit: NaN where missing, -0.0 stays -0.0
            assert g.view(np.int64).tolist() == w.view(np.int64).tolist(), name
        else:
            assert [(type(v), v) for v in g.tolist()] == [(type(v), v) for v in w.tolist()], name
        assert got.status[name].dtype == want.status[name].dtype == np.int8
        assert got.status[name].tolist() == want.status[name].tolist(), name
    assert {k: v.tolist() for k, v in got.unknown_fields.items()} == {
        k: v.tolist() for k, v in want.unknown_fields.items()
    }


def check(texts: list, *, fast: bool, schema: FeatureSchema = SCHEMA) -> None:
    """The exporter's columns equal the general path's; ``fast``: the scanner took the batch."""
    taken = json_columns.parse_columns(schema, texts)
    assert (taken is not None) == fast
    columns, bad_json = feature_columns(schema, texts, [f"r{i}" for i in range(len(texts))])
    assert_same(columns, general_path(schema, texts))
    assert bad_json == [f"r{i}" for i, row in enumerate(parse_features(texts)) if row is None]


# Batches the scanner understands completely: it must take them.
TAKEN = {
    "compact rows, one key order": [
        '{"x":1.5,"y":2,"zürich":-3.25,"c":"a","d":"q"}',
        '{"x":-0.0001,"y":-10,"zürich":1e3,"c":"b","d":""}',
    ],
    "spaces, other key orders, missing keys": [
        ' {"c" : "a" , "x": 1 }\n',
        '{\t"d": "z", "y": 3.5}',
        "{}",
        "{ }",
        '{"zürich": 0}',
    ],
    "null, booleans and strings where numbers belong": [
        '{"x": null, "y": true, "zürich": "12", "c": null, "d": false}',
        '{"x": false, "y": "", "zürich": true, "c": true, "d": null}',
    ],
    "numbers where categories belong": [
        '{"c": 1, "d": 1.0}',
        '{"c": 1.0, "d": 1}',
        '{"c": 1e0, "d": -0}',
        '{"c": -0.0, "d": 2.50}',
        '{"c": 12345678901234567890, "d": 123456789012345678901234567890}',
        '{"c": 9223372036854775808, "d": -9223372036854775809}',
        '{"c": 1e-7, "d": 100000000000000000000000.0}',
    ],
    "signed zeros and exponents": [
        '{"x": -0, "y": -0.0, "zürich": 0e5}',
        '{"x": -0e-3, "y": 0.000, "zürich": -0.0E+0}',
        '{"x": 1E+2, "y": 1e-2, "zürich": 5E-0}',
    ],
    "numbers at the edges of the exact path": [
        '{"x": 9007199254740992, "y": 9007199254740993, "zürich": -9007199254740993}',
        '{"x": 123456789012345678, "y": 18446744073709551615, "zürich": 18446744073709551616}',
        '{"x": 0.30000000000000004, "y": 1.7976931348623157e308, "zürich": 5e-324}',
        '{"x": 1e22, "y": 1e23, "zürich": 1.5e-22}',
        '{"x": 4.9406564584124654e-324, "y": 2.2250738585072011e-308, "zürich": 1e-400}',
        '{"x": 9007199254740991.0, "y": 0.1e-21, "zürich": 123456789.123456789}',
        '{"x": 100000000000000000000000000000000000000000, "y": 1, "zürich": 2}',
        # digits that wrap a 64-bit integer to exactly 0 (2**64 * 10)
        '{"x": 18446744073709551616.0, "y": 184467440737095516160, "zürich": 1844674407370955161.60e1}',
    ],
    "out of range values stay numbers": [
        '{"y": 10.5, "w": -1}',
        '{"y": -11, "w": 0}',
        '{"y": 10, "w": -0.0}',
        '{"y": 1e300, "w": -1e-300}',
    ],
    "unicode strings": ['{"c": "Zürich", "d": "日本"}', '{"c": "€", "d": "😀"}'],
}


@pytest.mark.parametrize("texts", TAKEN.values(), ids=TAKEN.keys())
def test_the_scanner_takes_plain_rows_and_reads_them_as_the_general_path(texts):
    check(texts, fast=True)


# Batches it must hand back to the general path (which reads some of their rows depending on the others).
HANDED_BACK = {
    "an unknown field": ['{"x": 1}', '{"x": 2, "extra": 3}'],
    "a duplicate field": ['{"x": 1, "x": 2}'],
    "an escape in a string": ['{"c": "a\\"b"}'],
    "an escaped backslash or newline": ['{"c": "x\\\\"}', '{"d": "a\\nb"}'],
    "an escape in a key": ['{"\\u0078": 1}'],
    "a nested value": ['{"x": [1, 2]}', '{"c": {"a": 1}}'],
    "NaN, Infinity (other writers)": ['{"x": NaN}', '{"x": Infinity}', '{"x": -Infinity}'],
    "a number beyond float range": ['{"x": 1e400}', '{"x": 1}'],
    "a number beyond float range in a category": ['{"c": 1e400}'],
    "rows that are not objects": ["[1, 2]", '"text"', "not json", '{"x": 1}', "null", ""],
    "two objects in one row": ['{"x": 1}, {"x": 2}', '{"x": 3}'],
    "a row that only parses joined to the next": ['{"x": [1', "2]}", '{"x": 5}', "{},{}"],
    "trailing text": ['{"x": 1}x'],
    "a truncated row": ['{"x": 1'],
    "a trailing comma": ['{"x": 1,}'],
    "a missing colon": ['{"x" 1}'],
    "single quotes": ["{'x': 1}"],
    "a leading zero": ['{"x": 01}'],
    "a bare dot": ['{"x": 1.}', '{"x": .5}'],
    "a plus sign": ['{"x": +1}'],
    "a lone minus": ['{"x": -}'],
    "an empty exponent": ['{"x": 1e}', '{"x": 1e+}'],
    "a misspelt literal": ['{"x": tru}', '{"x": nul}', '{"x": falsey}'],
    "a raw control character in a string": ['{"c": "a\tb"}'],
    "a lone surrogate": ['{"c": "\ud800"}'],
    "bytes from another writer": [b'{"x": 1}', '{"x": 2}'],
}


@pytest.mark.parametrize("texts", HANDED_BACK.values(), ids=HANDED_BACK.keys())
def test_the_scanner_hands_back_what_it_does_not_fully_understand(texts):
    check(texts, fast=False)


def test_an_empty_batch_and_an_empty_schema_use_the_general_path():
    check([], fast=False)
    check(['{"x": 1}'], fast=False, schema=FeatureSchema(()))


def _number(rng: random.Random) -> str:
    """A JSON number of any shape: short and long mantissas, leading zeros, all sorts of exponents."""
    sign = rng.choice(["", "", "-"])
    integer = rng.choice(
        ["0", str(rng.randint(1, 9)), str(rng.randint(1, 10 ** rng.randint(1, 25)))]
    )
    text = sign + integer
    if rng.random() < 0.7:
        text += "." + "".join(rng.choice("0123456789") for _ in range(rng.randint(1, 22)))
    if rng.random() < 0.4:
        text += rng.choice("eE") + rng.choice(["", "+", "-"]) + str(rng.randint(0, 40))
    if rng.random() < 0.05:
        text += rng.choice(["e300", "e-330"])
    return text


def test_numbers_read_exactly_as_orjson_reads_them():
    rng = random.Random(18)
    numbers = [_number(rng) for _ in range(20_000)]
    numbers = [n for n in numbers if _orjson_reads(n)]
    texts = [f'{{"x": {n}, "c": {n}}}' for n in numbers]
    for chunk in range(0, len(texts), 1_000):
        check(texts[chunk : chunk + 1_000], fast=True)
    columns = json_columns.parse_columns(SCHEMA, texts)
    assert columns is not None
    expected = np.array([float(orjson.loads(n)) for n in numbers])
    assert columns.values["x"].view(np.int64).tolist() == expected.view(np.int64).tolist()


def _orjson_reads(text: str) -> bool:
    try:
        orjson.loads(text)
    except orjson.JSONDecodeError:
        return False
    return True


_VALUES = [
    "1",
    "-2.5",
    "0.1",
    "1e5",
    "null",
    "true",
    "false",
    '"a"',
    '"b"',
    '"1"',
    '""',
    '"Zürich"',
    "3.0",
    "-0",
    "12345678901234567890",
    "0.30000000000000004",
]


def _row(rng: random.Random) -> str:
    names = ['"x"', '"y"', '"zürich"', '"w"', '"c"', '"d"']
    rng.shuffle(names)
    fields = [f"{name}:{rng.choice(_VALUES)}" for name in names[: rng.randint(0, len(names))]]
    space = rng.choice(["", " ", "\n"])
    return "{" + space + ("," + space).join(fields) + space + "}"


def test_random_batches_and_their_mutations_read_as_the_general_path():
    rng = random.Random(2026)
    taken = 0
    for _ in range(300):
        texts = [_row(rng) for _ in range(rng.randint(1, 30))]
        check(texts, fast=True)
        taken += 1
        # one byte of one row changed, dropped or doubled: the result still equals the general path's
        mutated = list(texts)
        k = rng.randrange(len(mutated))
        text = mutated[k]
        at = rng.randrange(len(text))
        mutated[k] = rng.choice(
            [
                text[:at] + rng.choice('{}[]",:\\ 0123456789.eE+-tfnaxyc\x00') + text[at + 1 :],
                text[:at] + text[at + 1 :],
                text[:at] + text[at] + text[at:],
            ]
        )
        taken_mutated = json_columns.parse_columns(SCHEMA, mutated) is not None
        columns, _ = feature_columns(SCHEMA, mutated, [str(i) for i in range(len(mutated))])
        assert_same(columns, general_path(SCHEMA, mutated))
        if taken_mutated:  # then every row must be a JSON object both parsers read alike
            assert all(isinstance(json.loads(t), dict) for t in mutated)
    assert taken == 300


def test_the_benchmark_rows_take_the_fast_path():
    rng = np.random.default_rng(0)
    names = [f"num_{i:02d}" for i in range(20)] + [f"cat_{i}" for i in range(4)]
    schema = FeatureSchema(
        tuple(FeatureSpec(n, "numeric") for n in names[:20])
        + tuple(FeatureSpec(n, "categorical", categories=("a", "b", "c")) for n in names[20:])
    )
    rows = [
        dict(
            zip(
                names,
                np.round(rng.normal(0, 1, 20), 4).tolist() + list(rng.choice(list("abcdef"), 4)),
            )
        )
        for _ in range(500)
    ]
    texts = [json.dumps(row, separators=(",", ":")) for row in rows]
    check(texts, fast=True, schema=schema)


def test_the_scanner_stands_in_only_for_orjson(monkeypatch):
    # orjson reads an integer beyond 64 bits as a float, the standard library as an int: other categories
    texts = ['{"c": 123456789012345678901234567890}']
    with_orjson, _ = feature_columns(SCHEMA, texts, ["r0"])
    assert with_orjson.values["c"].tolist() == ["123456789012345677877719597056"]
    monkeypatch.setattr(batch, "batch_loads", json.loads)
    with_json, _ = feature_columns(SCHEMA, texts, ["r0"])
    assert with_json.values["c"].tolist() == ["123456789012345678901234567890"]
    assert_same(with_json, general_path(SCHEMA, texts))
