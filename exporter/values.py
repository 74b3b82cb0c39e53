"""Raw values from the prediction log's JSON: what counts as missing or as a number, and conversion to float64.

One place for the rules every part of the exporter applies to a logged value:

* missing: None, NaN or ±inf (counted as missing, never tested);
* a number: an int or float that is not a bool (JSON ``true`` is not a number);
* a category key: the string a categorical value is counted under;
* float64 arrays: :func:`numeric` (lenient: NaN where a value is not a number,
  for predictions and ground truth) and :func:`number_column` (strict: None
  unless every value is a number or None that a float holds exactly, for
  reference columns that inference and encoding then share). Both take the
  same one-call numpy path for the usual all-numbers column.

This module must not import ``mlmon``; it needs only the standard library and numpy.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

_NUMBERS_OR_NONE = frozenset({int, float, type(None)})
# Beyond this magnitude a float no longer holds every integer.
_EXACT_FLOAT_INTEGERS = 2.0**53


def is_missing(value: Any) -> bool:
    """True for an absent value: None, NaN or ±inf (they are counted as missing, never tested)."""
    return value is None or (isinstance(value, float) and not math.isfinite(value))


def is_number(value: Any) -> bool:
    """True for an int or float that is not a bool (JSON ``true`` is not a number)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def category_key(value: Any) -> str:
    """The string a categorical value is counted under.

    Booleans become ``"true"``/``"false"`` (as in JSON), integral numbers lose
    their ``.0`` (``3`` and ``3.0`` are the same category), strings are kept.
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _all_numbers(values: Sequence[Any] | np.ndarray) -> np.ndarray | None:
    """``values`` as float64 (None → NaN) in one numpy call when they are only ints, floats and None;
    None when anything else is there or an int is beyond float range."""
    if not set(map(type, values)) <= _NUMBERS_OR_NONE:
        return None
    with np.errstate(over="ignore"):
        try:
            return np.array(values, dtype=np.float64)
        except OverflowError:
            return None


def numeric(values: Sequence[Any] | np.ndarray) -> np.ndarray:
    """Values as float64, NaN where not a number (class labels, None, booleans, ints beyond float range)."""
    converted = _all_numbers(values)
    if converted is not None:  # the usual case
        return converted
    out = np.full(len(values), math.nan)
    for i, value in enumerate(values):
        if is_number(value):
            try:
                out[i] = value
            except OverflowError:  # an int beyond float range
                pass
    return out


def number_column(raw: Sequence[Any] | np.ndarray) -> np.ndarray | None:
    """A column of only ints, floats and None as float64 (None → NaN), converted once for inference and
    encoding; None when it holds anything else or integers a float cannot hold exactly."""
    values = _all_numbers(raw)
    if values is None:
        return None
    finite = values[np.isfinite(values)]
    if finite.size and max(-float(finite.min()), float(finite.max())) >= _EXACT_FLOAT_INTEGERS:
        return None
    return values
