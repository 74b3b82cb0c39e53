"""Deterministic JSON: the same dashboard always gives the same bytes."""

from __future__ import annotations

import json
from typing import Any

from mlmon.errors import SourceError


def render(data: Any) -> bytes:
    """Sorted keys, two-space indent, UTF-8, a final newline; NaN/Infinity are errors (not JSON)."""
    try:
        text = json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False, allow_nan=False)
    except ValueError as exc:
        raise SourceError(
            f"cannot be written as JSON: {exc}", hint="replace NaN/Infinity with numbers"
        ) from None
    return (text + "\n").encode("utf-8")
