"""Why a feature's drift test was skipped: the ``reason`` label of ``data_drift_test_skipped``.

The one list of skip reasons. :mod:`exporter.catalog` builds the label's allowed
values from it, so this module must stay importable with the standard library
only (the catalog is imported by model services without numpy).
"""

from __future__ import annotations

import enum


class SkipReason(enum.StrEnum):
    """A skipped test exports NaN statistics, ``drift_detected = 0`` and one of these as its reason."""

    TOO_FEW_ROWS = (
        "too_few_rows"  # fewer than min_rows finite values in the window or the reference
    )
    LOW_EXPECTED_COUNT = (
        "low_expected_count"  # chi-square: too few rows for two columns of ≥ 5 expected
    )
    NO_REFERENCE = "no_reference"  # the feature has no value in the whole reference
    NO_CURRENT_VALUES = "no_current_values"  # the feature has no value in the window
    CONSTANT_REFERENCE = "constant_reference"  # one category in the reference and in the window
