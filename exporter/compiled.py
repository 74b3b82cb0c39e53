"""numba, set up once for the exporter's compiled loops (:mod:`exporter.statistics.kernels`, the drift
pass; :mod:`exporter.json_columns`, the features scanner).

:func:`jit` compiles a function in nopython mode, releasing the GIL, without bounds checks (the indices
are the loops' own), and caches the machine code on disk: next to the module, or in ``NUMBA_CACHE_DIR``
(the exporter image compiles everything into it while it is built). The first process after an install
compiles for a few seconds; the next ones load the cache in ~0.3 s. Where no cache location is writable
(a read-only install without a home directory) the function is compiled in each process instead.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

import numba

Function = TypeVar("Function", bound=Callable[..., Any])


def jit(function: Function) -> Function:
    """``function`` compiled by numba (see the module docstring), typed as the Python function it compiles."""
    options: dict[str, Any] = {"nogil": True, "boundscheck": False}
    try:
        compiled = numba.njit(cache=True, **options)(function)
    except RuntimeError:  # numba: "cannot cache function ...: no locator available"
        compiled = numba.njit(**options)(function)
    return cast(Function, compiled)


def warm_up() -> None:
    """Compile (or load from the cache) every compiled loop of the exporter, for the kinds of arrays the
    exporter passes them: the exporter image runs this while it is built, so a container starts with the
    machine code in ``NUMBA_CACHE_DIR`` instead of compiling for seconds in its first cycle."""
    import numpy as np

    from exporter import json_columns
    from exporter.schema import FeatureSchema, FeatureSpec
    from exporter.statistics.numeric import SortedSample
    from exporter.statistics.performance import regression_metrics
    from exporter.statistics.ranked import RankedWindow
    from exporter.statistics.reference import numeric_from_sorted

    reference = numeric_from_sorted("x", np.arange(64.0))
    window = RankedWindow(reference)  # the ranked window's tables
    window.update([(1, np.arange(0.5, 32.0))])
    window.update([(-1, np.arange(0.5, 16.0)), (1, np.arange(40.0, 48.0))])
    window.sample().statistics(reference.psi_edges)
    sample = SortedSample.search(reference.sorted_values, np.arange(8.0), reference.prefix)
    sample.statistics(reference.psi_edges)  # a from-scratch sample's
    schema = FeatureSchema((FeatureSpec("x", "numeric"), FeatureSpec("c", "categorical")))
    texts = ['{"x": 1.5, "c": "a"}', '{"x": 0.12345678901234567, "c": 2}']  # plain and hard numbers
    if json_columns.parse_columns(schema, texts) is None:
        raise RuntimeError("the features scanner did not take plain rows")
    numbers = np.arange(1.0, 9.0)
    regression_metrics(numbers, numbers + 0.5)  # all rows
    regression_metrics(numbers, numbers + 0.5, rows=numbers > 4)  # a window's labelled rows
