"""Multiple-testing correction across a model's features.

With 20 features and no drift, testing each at α = 0.05 raises a false alarm
in 1 - 0.95^20 = 64% of cycles. Bonferroni (the default) tests each at α/k and
keeps the family-wise error rate at α; Benjamini–Hochberg controls the false
discovery rate instead and has more power when several features drift.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

Correction = Literal["bonferroni", "bh"]
CORRECTIONS: tuple[str, ...] = ("bonferroni", "bh")


def adjust_pvalues(pvalues: np.ndarray, method: Correction = "bonferroni") -> np.ndarray:
    """Adjusted p-values (NaN stays NaN and does not count as a test); reject where adjusted ≤ α.

    ``"bh"`` matches ``scipy.stats.false_discovery_control(p, method="bh")``.
    """
    pvalues = np.asarray(pvalues, dtype=np.float64)
    adjusted = np.full_like(pvalues, np.nan)
    tested = np.flatnonzero(np.isfinite(pvalues))
    k = tested.size
    if k == 0:
        return adjusted
    p = pvalues[tested]
    if method == "bonferroni":
        adjusted[tested] = np.minimum(p * k, 1.0)
    elif method == "bh":
        order = np.argsort(p)
        scaled = p[order] * k / np.arange(1, k + 1)
        monotone = np.minimum.accumulate(scaled[::-1])[::-1]
        result = np.empty(k)
        result[order] = np.minimum(monotone, 1.0)
        adjusted[tested] = result
    else:
        raise ValueError(f"unknown correction {method!r}; use one of {CORRECTIONS}")
    return adjusted
