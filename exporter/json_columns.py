"""A fast path from logged features JSON straight to feature columns, without a dict per row.

:func:`parse_columns` reads the features texts of a batch with a compiled
(numba) scanner that writes each value into its column as it goes, and returns
the same :class:`~exporter.statistics.columns.FeatureColumns` that
``FeatureColumns.from_rows(schema, parse_features(texts))`` returns (see
:mod:`exporter.batch`) — or None, and the caller takes that path instead.

It takes a batch only when it understands every row completely, so that the
result cannot differ: each text must be exactly one flat JSON object whose keys
are all features of the schema, each at most once, written without escapes;
its values are strings without escapes, numbers, ``true``, ``false`` or
``null``. Anything else in any row (an unknown or duplicate field, an escape, a
nested value, a text that is not one object, a number orjson rejects) hands the
whole batch back, because the old path reads some of those rows differently
depending on the others (orjson for the batch or the standard library row by
row; unknown fields labelled in the order they appear).

Numbers are converted exactly as orjson converts them: when their digits form
an integer up to 2**53 and the power of ten is at most 22 either way, the value
is exact or one correctly rounded IEEE multiplication or division away
(Clinger's fast path, what every correct parser tries first); every other
number of a numeric column (17-digit decimals, huge or tiny ones) goes to
orjson, all of them in one call. The numbers and strings of a categorical column
are converted once per distinct text, then encoded as
:func:`~exporter.statistics.columns.encode_column` encodes them.
tests/exporter/test_json_columns.py checks the result against the old path on
adversarial batches, random numbers and random mutations.

Compiled on first use and cached on disk (:mod:`exporter.compiled`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import orjson

from exporter.compiled import jit as _jit
from exporter.schema import FeatureSchema
from exporter.statistics.columns import (
    MISSING,
    OK,
    OUT_OF_RANGE,
    WRONG_TYPE,
    FeatureColumns,
    _as_float,
    _encode_categorical,
)

# What the scanner found for each (feature, row).
ABSENT, NULL, TRUE, FALSE, NUMBER, STRING, HARD_NUMBER = 0, 1, 2, 3, 4, 5, 6


# Powers of ten that a float64 holds exactly (10**22 is the largest).
_EXACT_POWERS_OF_TEN = np.array([10.0**k for k in range(23)])
_MAX_EXACT_INTEGER = 2**53


@_jit
def _skip_space(buf: np.ndarray, p: int, end: int) -> int:
    """The first index from ``p`` that is not JSON whitespace (space, \\n, \\r, \\t)."""
    if (
        p < end and buf[p] > 32
    ):  # the usual case, checked where it is called (small enough to inline)
        return p
    return _skip_whitespace(buf, p, end)


@_jit
def _skip_whitespace(buf: np.ndarray, p: int, end: int) -> int:
    while p < end:
        c = buf[p]
        if c != 32 and c != 10 and c != 13 and c != 9:
            break
        p += 1
    return p


@_jit
def _string_end(buf: np.ndarray, p: int, end: int) -> int:
    """Index of the closing quote of a string whose first character is at ``p``; -1 if it has an escape,
    a control character, or no closing quote (such rows are left to the general path)."""
    while p < end:
        c = buf[p]
        if c == 34:  # "
            return p
        if c == 92 or c < 32:  # backslash, or a control character JSON forbids
            return -1
        p += 1
    return -1


@_jit
def _find_name(
    buf: np.ndarray, start: int, stop: int, names: np.ndarray, bounds: np.ndarray, hint: int
) -> int:
    """The feature whose UTF-8 name is ``buf[start:stop]``, trying ``hint`` first; -1 if none."""
    count = len(bounds) - 1
    length = stop - start
    j = hint - 1
    for _ in range(count):
        j += 1
        if j == count:
            j = 0
        first = bounds[j]
        if bounds[j + 1] - first != length:
            continue
        same = True
        for q in range(length):
            if names[first + q] != buf[start + q]:
                same = False
                break
        if same:
            return j
    return -1


@_jit
def _scan_rows(
    buf: np.ndarray,
    starts: np.ndarray,
    names: np.ndarray,
    bounds: np.ndarray,
    plain: np.ndarray,
    numeric: np.ndarray,
    powers: np.ndarray,
    kind: np.ndarray,
    number: np.ndarray,
    span_start: np.ndarray,
    span_stop: np.ndarray,
) -> int:
    """Scan every row (``buf[starts[i]:starts[i+1]]``) into ``kind``/``number``/spans (features × rows).

    Returns -1 when every row was understood, else the index of the first row that was not.
    ``kind`` must come in filled with ABSENT.
    """
    n_features = len(bounds) - 1
    order = np.zeros(
        max(n_features, 1), dtype=np.int64
    )  # feature seen at each key position last row
    for j in range(n_features):
        order[j] = j
    for i in range(len(starts) - 1):
        p = starts[i]
        end = starts[i + 1]
        p = _skip_space(buf, p, end)
        if p >= end or buf[p] != 123:  # {
            return i
        p = _skip_space(buf, p + 1, end)
        if p < end and buf[p] == 125:  # }
            p += 1
        else:
            position = 0
            while True:
                if p >= end or buf[p] != 34:
                    return i
                hint = order[position] if position < n_features else 0
                # The usual row repeats the previous row's key order: compare with that name in place.
                j = hint
                key_stop = p + 1 + bounds[j + 1] - bounds[j]
                if key_stop < end and buf[key_stop] == 34 and plain[j]:
                    for q in range(bounds[j], bounds[j + 1]):
                        if names[q] != buf[p + 1 + q - bounds[j]]:
                            j = -1
                            break
                else:
                    j = -1
                if j < 0:
                    key_stop = _string_end(buf, p + 1, end)
                    if key_stop < 0:
                        return i
                    j = _find_name(buf, p + 1, key_stop, names, bounds, hint)
                if j < 0 or kind[j, i] != ABSENT:  # an unknown field, or one given twice
                    return i
                if position < n_features:
                    order[position] = j
                position += 1
                p = _skip_space(buf, key_stop + 1, end)
                if p >= end or buf[p] != 58:  # :
                    return i
                p = _skip_space(buf, p + 1, end)
                if p >= end:
                    return i
                c = buf[p]
                if c == 34:  # a string
                    stop = _string_end(buf, p + 1, end)
                    if stop < 0:
                        return i
                    kind[j, i] = STRING
                    span_start[j, i] = p + 1
                    span_stop[j, i] = stop
                    p = stop + 1
                elif c == 116:  # true
                    if p + 4 > end or buf[p + 1] != 114 or buf[p + 2] != 117 or buf[p + 3] != 101:
                        return i
                    kind[j, i] = TRUE
                    p += 4
                elif c == 102:  # false
                    if (
                        p + 5 > end
                        or buf[p + 1] != 97
                        or buf[p + 2] != 108
                        or buf[p + 3] != 115
                        or buf[p + 4] != 101
                    ):
                        return i
                    kind[j, i] = FALSE
                    p += 5
                elif c == 110:  # null
                    if p + 4 > end or buf[p + 1] != 117 or buf[p + 2] != 108 or buf[p + 3] != 108:
                        return i
                    kind[j, i] = NULL
                    p += 4
                elif c == 45 or (48 <= c and c <= 57):  # - or a digit: a number
                    first = p
                    negative = c == 45
                    if negative:
                        p += 1
                    if p >= end or buf[p] < 48 or buf[p] > 57:
                        return i
                    # The digits, leading zeros included, accumulate into one integer (it wraps beyond 19
                    # significant digits, but then the number is left to orjson).
                    mantissa = np.uint64(0)
                    digits_start = p
                    leading_zeros = 0
                    if buf[p] == 48:  # a leading zero stands alone
                        p += 1
                        leading_zeros = 1
                    else:
                        while p < end and 48 <= buf[p] and buf[p] <= 57:
                            mantissa = mantissa * np.uint64(10) + np.uint64(buf[p] - 48)
                            p += 1
                    integral = True
                    exponent = 0
                    if p < end and buf[p] == 46:  # .
                        integral = False
                        p += 1
                        fraction_start = p
                        if (
                            leading_zeros
                        ):  # 0.000123: the zeros before the 1 are not significant either
                            while p < end and buf[p] == 48:
                                p += 1
                            leading_zeros += p - fraction_start
                        while p < end and 48 <= buf[p] and buf[p] <= 57:
                            mantissa = mantissa * np.uint64(10) + np.uint64(buf[p] - 48)
                            p += 1
                        if p == fraction_start:  # no digit after the dot
                            return i
                        exponent = fraction_start - p
                        digits = p - digits_start - 1 - leading_zeros
                    else:
                        digits = p - digits_start - leading_zeros
                    if p < end and (buf[p] == 101 or buf[p] == 69):  # e, E
                        integral = False
                        p += 1
                        sign = 1
                        if p < end and (buf[p] == 43 or buf[p] == 45):
                            if buf[p] == 45:
                                sign = -1
                            p += 1
                        if p >= end or buf[p] < 48 or buf[p] > 57:
                            return i
                        written = 0
                        while p < end and 48 <= buf[p] and buf[p] <= 57:
                            if written < 100_000:
                                written = written * 10 + (buf[p] - 48)
                            p += 1
                        exponent += sign * written
                    kind[j, i] = NUMBER
                    if not numeric[j]:  # a category: converted later, once per distinct text
                        span_start[j, i] = first
                        span_stop[j, i] = p
                    else:
                        value = 0.0
                        # exact: a float64 holds the digits as an integer (< 2**53), with nothing wrapped
                        exact = bool(digits <= 19 and mantissa <= np.uint64(_MAX_EXACT_INTEGER))
                        if digits == 0:  # zero: "-0" is the int 0, "-0.0" the float -0.0
                            value = -0.0 if negative and not integral else 0.0
                            negative = False
                            exact = True
                        elif not exact:
                            pass
                        elif integral:
                            value = float(mantissa)
                        elif 0 <= exponent and exponent <= 22:
                            value = float(mantissa) * powers[exponent]
                        elif -22 <= exponent and exponent < 0:
                            value = float(mantissa) / powers[-exponent]
                        else:
                            exact = False
                        if exact:
                            number[j, i] = -value if negative else value
                        else:  # converted later by orjson, with every other such number
                            kind[j, i] = HARD_NUMBER
                            span_start[j, i] = first
                            span_stop[j, i] = p
                else:
                    return i
                p = _skip_space(buf, p, end)
                if p >= end:
                    return i
                if buf[p] == 44:  # ,
                    p = _skip_space(buf, p + 1, end)
                    continue
                if buf[p] == 125:  # }
                    p += 1
                    break
                return i
        if _skip_space(buf, p, end) != end:
            return i
    return -1


@_jit
def _join_spans(buf: np.ndarray, span_start: np.ndarray, span_stop: np.ndarray) -> np.ndarray:
    """The texts ``buf[span_start[k]:span_stop[k]]`` as one JSON array text ``[a,b,...]``."""
    size = 1 + len(span_start)
    for k in range(len(span_start)):
        size += span_stop[k] - span_start[k]
    out = np.empty(max(size, 2), dtype=np.uint8)
    out[0] = 91  # [
    q = 1
    for k in range(len(span_start)):
        if k:
            out[q] = 44  # ,
            q += 1
        for p in range(span_start[k], span_stop[k]):
            out[q] = buf[p]
            q += 1
    out[q] = 93  # ]
    return out[: q + 1]


@_jit
def _distinct_spans(
    buf: np.ndarray, kind: np.ndarray, span_start: np.ndarray, span_stop: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Codes of equal (kind, text) pairs in one column: (code per row, first row of each code)."""
    n = len(kind)
    size = 16
    while size < 2 * n:
        size *= 2
    table = np.full(size, -1, dtype=np.int64)  # open addressing: slot -> code
    codes = np.empty(n, dtype=np.int32)
    firsts = np.empty(n, dtype=np.int64)
    count = 0
    for i in range(n):
        h = np.uint64(14695981039346656037) ^ np.uint64(kind[i])  # FNV-1a
        for p in range(span_start[i], span_stop[i]):
            h = (h ^ np.uint64(buf[p])) * np.uint64(1099511628211)
        slot = np.int64(h & np.uint64(size - 1))
        while True:
            code = table[slot]
            if code < 0:
                table[slot] = count
                firsts[count] = i
                codes[i] = count
                count += 1
                break
            other = firsts[code]
            if kind[other] == kind[i] and (
                span_stop[other] - span_start[other] == span_stop[i] - span_start[i]
            ):
                same = True
                offset = span_start[other] - span_start[i]
                for p in range(span_start[i], span_stop[i]):
                    if buf[p + offset] != buf[p]:
                        same = False
                        break
                if same:
                    codes[i] = code
                    break
            slot = (slot + 1) & (size - 1)
    return codes, firsts[:count]


class _SchemaNames:
    """A schema's feature names as the scanner wants them (UTF-8 bytes end to end, and their bounds)."""

    def __init__(self, schema: FeatureSchema):
        encoded = [spec.name.encode("utf-8") for spec in schema]
        self.schema = schema
        self.names = np.frombuffer(b"".join(encoded) or b"\0", dtype=np.uint8)
        self.bounds = np.zeros(len(encoded) + 1, dtype=np.int64)
        np.cumsum([len(name) for name in encoded], out=self.bounds[1:])
        self.numeric = np.array([spec.kind == "numeric" for spec in schema], dtype=np.bool_)
        self.numeric_rows = np.flatnonzero(self.numeric)
        numeric = [spec for spec in schema if spec.kind == "numeric"]
        # (lower, upper) bounds of the numeric features as columns (±inf where a side is open), if any
        self.bounds_of_numeric: tuple[np.ndarray, np.ndarray] | None = None
        if any(spec.minimum is not None or spec.maximum is not None for spec in numeric):
            self.bounds_of_numeric = (
                np.array([[-math.inf if s.minimum is None else s.minimum] for s in numeric]),
                np.array([[math.inf if s.maximum is None else s.maximum] for s in numeric]),
            )
        # names a key can spell without escapes (no quote, backslash or control character)
        self.plain = np.array(
            [not any(byte in b'"\\' or byte < 32 for byte in name) for name in encoded],
            dtype=np.bool_,
        )


_prepared: dict[int, _SchemaNames] = {}


def _names_of(schema: FeatureSchema) -> _SchemaNames:
    prepared = _prepared.get(id(schema))
    if prepared is None or prepared.schema is not schema:
        if len(_prepared) > 256:  # schemas of evicted models
            _prepared.clear()
        prepared = _prepared[id(schema)] = _SchemaNames(schema)
    return prepared


def parse_columns(schema: FeatureSchema, texts: Sequence[Any]) -> FeatureColumns | None:
    """The features texts of a batch as columns, exactly as the general path reads them; None when a row is
    not one this fast path fully understands (see the module docstring)."""
    if not texts or not len(schema):
        return None
    try:
        joined = "".join(texts)
        data = joined.encode("utf-8")
    except (
        TypeError,
        UnicodeEncodeError,
    ):  # not all text (bytes from another writer), lone surrogates
        return None
    starts = np.zeros(len(texts) + 1, dtype=np.int64)
    if len(data) == len(joined):  # ASCII: a character is a byte
        np.cumsum(np.fromiter(map(len, texts), dtype=np.int64, count=len(texts)), out=starts[1:])
    else:
        np.cumsum([len(text.encode("utf-8")) for text in texts], out=starts[1:])
    buf = np.frombuffer(data, dtype=np.uint8)
    prepared = _names_of(schema)
    shape = (len(schema), len(texts))
    kind = np.zeros(shape, dtype=np.int8)
    number = np.empty(shape, dtype=np.float64)
    span_start = np.zeros(shape, dtype=np.int64)
    span_stop = np.zeros(shape, dtype=np.int64)
    failed = _scan_rows(
        buf,
        starts,
        prepared.names,
        prepared.bounds,
        prepared.plain,
        prepared.numeric,
        _EXACT_POWERS_OF_TEN,
        kind,
        number,
        span_start,
        span_stop,
    )
    if failed >= 0:
        return None
    numeric = prepared.numeric_rows
    encoded = {}
    if numeric.size:
        numbers = _numeric_values(
            buf, kind[numeric], number[numeric], span_start[numeric], span_stop[numeric]
        )
        if numbers is None:
            return None
        values, status = numbers
        if prepared.bounds_of_numeric is not None:  # as _mark_out_of_range, all columns at once
            lower, upper = prepared.bounds_of_numeric
            with np.errstate(invalid="ignore"):
                status[(values < lower) | (values > upper)] = OUT_OF_RANGE
        for row, j in enumerate(numeric.tolist()):
            encoded[j] = values[row], status[row]
    specs = list(schema)
    for j, spec in enumerate(specs):
        if j not in encoded:
            column = _categorical(spec, data, buf, kind[j], span_start[j], span_stop[j])
            if column is None:
                return None
            encoded[j] = column
    return FeatureColumns(
        schema,
        len(texts),
        {spec.name: encoded[j][0] for j, spec in enumerate(specs)},
        {spec.name: encoded[j][1] for j, spec in enumerate(specs)},
        {},
    )


def _numeric_values(
    buf: np.ndarray,
    kind: np.ndarray,
    number: np.ndarray,
    span_start: np.ndarray,
    span_stop: np.ndarray,
) -> tuple[np.ndarray, np.ndarray] | None:
    """(values, status) of the numeric columns (features × rows), as ``_encode_numeric`` makes them."""
    hard = np.flatnonzero(kind == HARD_NUMBER)
    if hard.size:  # converted by orjson, as the general path converts every number
        text = _join_spans(buf, span_start.ravel()[hard], span_stop.ravel()[hard])
        try:
            parsed = orjson.loads(text.tobytes())
        except (
            orjson.JSONDecodeError
        ):  # e.g. beyond float range: the general path reads the batch differently
            return None
        with np.errstate(over="ignore"):
            try:
                converted = np.array(parsed, dtype=np.float64)
            except OverflowError:  # an int beyond float range
                converted = np.array([_as_float(v) for v in parsed], dtype=np.float64)
        number.ravel()[hard] = converted
        kind.ravel()[hard[~np.isfinite(converted)]] = NULL  # missing, like null
    is_number = (kind == NUMBER) | (kind == HARD_NUMBER)
    status = np.where(
        is_number,
        np.int8(OK),
        np.where((kind == ABSENT) | (kind == NULL), np.int8(MISSING), np.int8(WRONG_TYPE)),
    ).astype(np.int8)
    values = np.where(status == OK, number, math.nan)
    return values, status


def _categorical(
    spec,
    data: bytes,
    buf: np.ndarray,
    kind: np.ndarray,
    span_start: np.ndarray,
    span_stop: np.ndarray,
):
    """(values, status) of one categorical column: each distinct text converted and encoded once."""
    codes, firsts = _distinct_spans(buf, kind, span_start, span_stop)
    distinct: list[Any] = []
    for row in firsts.tolist():
        found = kind[row]
        if found == STRING:
            distinct.append(data[span_start[row] : span_stop[row]].decode("utf-8"))
        elif found == NUMBER:
            try:
                distinct.append(orjson.loads(data[span_start[row] : span_stop[row]]))
            except orjson.JSONDecodeError:
                return None
        else:
            distinct.append({TRUE: True, FALSE: False}.get(int(found)))
    keys, status = _encode_categorical(spec, distinct)
    return keys[codes], status[codes]
