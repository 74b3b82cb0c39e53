"""Model performance over the labelled rows of the window, by task.

Regression (``model_mae``, ``model_rmse``, ``model_r2``, ``model_mape``, ``model_accuracy``):

* pairs where the actual or the prediction is missing or not finite are left out;
* MAPE is a ratio (0.12 = 12%) over rows whose actual is not 0 (a zero actual
  has no percentage error); NaN when every actual is 0;
* R² is NaN when it is undefined: fewer than two rows or a constant actual
  (scikit-learn would report 0 or 1 there);
* accuracy is the share of predictions within ``tolerance`` (default 10%) of
  the actual: ``|prediction - actual| ≤ tolerance·|actual|``.

Classification (``model_accuracy``, ``model_precision``, ``model_recall``,
``model_f1_score``): labels are compared as category keys (``1``, ``1.0`` and
``"1"`` are one class); precision, recall and F1 are macro averages over every
class seen in the actuals or the predictions, as scikit-learn's
``average="macro"``. A class never predicted has precision 0, a class never
present has recall 0, and F1 is 0 when precision + recall is 0 (scikit-learn's
``zero_division=0``).

The task is declared per model or inferred from the targets
(:func:`infer_task`): strings or booleans → classification; numbers that are
all integral with at most 20 distinct values → classification; other numbers
→ regression.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from exporter.compiled import jit
from exporter.schema import category_key, is_missing, is_number

Task = Literal["classification", "regression"]
TASKS: tuple[str, ...] = ("classification", "regression")
DEFAULT_TOLERANCE = 0.10
MAX_CLASSES = 20


def infer_task(
    targets: Iterable[Any], declared: str | None = None, max_classes: int = MAX_CLASSES
) -> Task | None:
    """The model's task: ``declared`` when given, else inferred from target values (module docstring).

    Returns None when there is nothing to infer from (no non-missing target).
    """
    if declared is not None:
        if declared not in TASKS:
            raise ValueError(f"task must be one of {TASKS}, not {declared!r}")
        return declared  # type: ignore[return-value]
    distinct: set[float] = set()
    seen = False
    for value in targets:
        if is_missing(value):
            continue
        seen = True
        if not is_number(value):
            return "classification"
        if isinstance(value, float) and not value.is_integer():
            return "regression"
        if len(distinct) <= max_classes:
            distinct.add(float(value))
    if not seen:
        return None
    return "classification" if len(distinct) <= max_classes else "regression"


@dataclass(frozen=True)
class PerformanceReport:
    """``metrics`` maps catalog metric names (``model_accuracy``, ``model_mae``, ...) to values; NaN when undefined."""

    task: Task
    n_labelled: int  # pairs used
    metrics: Mapping[str, float]


def compute_performance(
    actuals: Sequence[Any],
    predictions: Sequence[Any],
    task: Task,
    tolerance: float = DEFAULT_TOLERANCE,
) -> PerformanceReport:
    """Performance over paired ``actuals``/``predictions`` (raw values, e.g. from the log) for ``task``."""
    if len(actuals) != len(predictions):
        raise ValueError(f"{len(actuals)} actuals but {len(predictions)} predictions")
    if task == "regression":
        return regression_metrics(actuals, predictions, tolerance)
    if task == "classification":
        return classification_metrics(actuals, predictions)
    raise ValueError(f"task must be one of {TASKS}, not {task!r}")


def regression_metrics(
    actuals: Sequence[Any] | np.ndarray,
    predictions: Sequence[Any] | np.ndarray,
    tolerance: float = DEFAULT_TOLERANCE,
    rows: np.ndarray | None = None,
) -> PerformanceReport:
    """Regression metrics over the pairs (of ``rows`` only, a boolean mask, when given; the window passes
    its labelled rows of one model version without copying them out)."""
    y = _as_floats(actuals)
    p = _as_floats(predictions)
    if y.shape != p.shape:
        raise ValueError(f"{y.size} actuals but {p.size} predictions")
    mask = _ALL if rows is None else rows
    n, absolute, squared, residual_total, percentage, nonzero, within = _regression_sums(
        y, p, mask, rows is not None, tolerance
    )
    if n == 0:
        nan = math.nan
        return PerformanceReport(
            "regression",
            0,
            dict(model_mae=nan, model_rmse=nan, model_r2=nan, model_mape=nan, model_accuracy=nan),
        )
    return PerformanceReport(
        "regression",
        n,
        dict(
            model_mae=absolute / n,
            model_rmse=math.sqrt(squared / n),
            model_r2=1.0 - squared / residual_total if n >= 2 and residual_total > 0 else math.nan,
            model_mape=percentage / nonzero if nonzero else math.nan,
            model_accuracy=within / n,
        ),
    )


_ALL = np.ones(0, dtype=np.bool_)
_LANES = 8  # partial sums per quantity: rounding like numpy's pairwise sums, not one long chain


@jit
def _regression_sums(
    actual: np.ndarray, predicted: np.ndarray, rows: np.ndarray, use_rows: bool, tolerance: float
) -> tuple[int, float, float, float, float, int, int]:
    """Over the pairs where both numbers are finite (and ``rows`` is set, if ``use_rows``): their count,
    Σ|e|, Σe², Σ(y - ȳ)², Σ|e|/|y| over y ≠ 0 and that count, and the count with |e| <= tolerance·|y|
    (e = prediction - actual y). One pass for the sums, one for Σ(y - ȳ)² (from the mean, as numpy)."""
    sums = np.zeros((4, _LANES))  # |e|, e², y, |e|/|y|
    n = nonzero = within = 0
    for i in range(actual.size):
        y, p = actual[i], predicted[i]
        if (use_rows and not rows[i]) or not (np.isfinite(y) and np.isfinite(p)):
            continue
        lane = n % _LANES
        e = p - y
        sums[0, lane] += abs(e)
        sums[1, lane] += e * e
        sums[2, lane] += y
        if y != 0:
            sums[3, lane] += abs(e) / abs(y)
            nonzero += 1
        within += abs(e) <= tolerance * abs(y)
        n += 1
    if n == 0:
        return 0, 0.0, 0.0, 0.0, 0.0, 0, 0
    mean = sums[2].sum() / n
    spread = np.zeros(_LANES)
    k = 0
    for i in range(actual.size):
        y, p = actual[i], predicted[i]
        if (use_rows and not rows[i]) or not (np.isfinite(y) and np.isfinite(p)):
            continue
        spread[k % _LANES] += (y - mean) * (y - mean)
        k += 1
    return n, sums[0].sum(), sums[1].sum(), spread.sum(), sums[3].sum(), nonzero, within


def classification_metrics(actuals: Sequence[Any], predictions: Sequence[Any]) -> PerformanceReport:
    pairs = [
        (category_key(a), category_key(b))
        for a, b in zip(actuals, predictions)
        if not is_missing(a) and not is_missing(b)
    ]
    n = len(pairs)
    if n == 0:
        nan = math.nan
        return PerformanceReport(
            "classification",
            0,
            dict(model_accuracy=nan, model_precision=nan, model_recall=nan, model_f1_score=nan),
        )
    index: dict[str, int] = {}
    codes = np.array(
        [(index.setdefault(a, len(index)), index.setdefault(b, len(index))) for a, b in pairs]
    )
    k = len(index)
    confusion = np.bincount(codes[:, 0] * k + codes[:, 1], minlength=k * k).reshape(k, k)
    correct = np.diag(confusion).astype(np.float64)
    predicted = confusion.sum(axis=0)
    actual = confusion.sum(axis=1)
    precision = np.divide(correct, predicted, out=np.zeros(k), where=predicted > 0)
    recall = np.divide(correct, actual, out=np.zeros(k), where=actual > 0)
    denominator = precision + recall
    f1 = np.divide(2 * precision * recall, denominator, out=np.zeros(k), where=denominator > 0)
    return PerformanceReport(
        "classification",
        n,
        dict(
            model_accuracy=float(correct.sum() / n),
            model_precision=float(precision.mean()),
            model_recall=float(recall.mean()),
            model_f1_score=float(f1.mean()),
        ),
    )


def _as_floats(values: Sequence[Any] | np.ndarray) -> np.ndarray:
    """Numbers as float64; anything else (None, strings, booleans, ints too large for a float) as NaN."""
    if isinstance(values, np.ndarray) and values.dtype.kind in "iuf":
        return values.astype(np.float64, copy=False)
    return np.array([_float_or_nan(v) for v in values], dtype=np.float64)


def _float_or_nan(value: Any) -> float:
    if not is_number(value):
        return math.nan
    try:
        return float(value)
    except OverflowError:
        return math.nan
