"""Label inference for lint rules: lives in :mod:`mlmon.catalog.labels` (shared with the DSL and alerts)."""

from mlmon.catalog.labels import (
    LabelProblem,
    Labels,
    check_labels,
    infer_labels,
    is_scalar,
    selector_labels,
)

__all__ = ["LabelProblem", "Labels", "check_labels", "infer_labels", "is_scalar", "selector_labels"]
