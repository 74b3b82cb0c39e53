"""Population stability index (PSI) of two binned distributions."""

from __future__ import annotations

import numpy as np

# Empty bins would make ln(q/p) infinite; shares are floored at this value
# (0.01%), so one empty bin adds at most about p·ln(p/0.0001) instead of inf.
DEFAULT_EPSILON = 1e-4


def population_stability_index(
    reference: np.ndarray, current: np.ndarray, epsilon: float = DEFAULT_EPSILON
) -> float:
    """PSI = Σ (q - p) · ln(q / p) over bins, with shares p (reference) and q (current) floored at ``epsilon``.

    Rule of thumb: < 0.1 stable, 0.1-0.25 moderate shift, > 0.25 large shift.
    """
    p = np.maximum(np.asarray(reference, dtype=np.float64), epsilon)
    q = np.maximum(np.asarray(current, dtype=np.float64), epsilon)
    return float(np.sum((q - p) * np.log(q / p)))
