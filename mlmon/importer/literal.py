"""Readable Python source for JSON data: short containers on one line, long ones one item per line."""

from __future__ import annotations

import json
from typing import Any

from mlmon.dsl.variables import DATASOURCE

_INDENT = "    "
_INLINE_LIMIT = 100


def literal(value: Any, depth: int = 0) -> str:
    flat = _flat(value)
    if flat is not None and (
        len(flat) + len(_INDENT) * depth <= _INLINE_LIMIT or not isinstance(value, (dict, list))
    ):
        return flat
    pad, inner = _INDENT * depth, _INDENT * (depth + 1)
    if isinstance(value, dict):
        items = [f"{inner}{_scalar(k)}: {literal(v, depth + 1)}," for k, v in value.items()]
        return "{\n" + "\n".join(items) + f"\n{pad}}}"
    if isinstance(value, list):
        items = [f"{inner}{literal(v, depth + 1)}," for v in value]
        return "[\n" + "\n".join(items) + f"\n{pad}]"
    return _scalar(value)


def _scalar(value: Any) -> str:
    if isinstance(value, str):
        return json.dumps(
            value, ensure_ascii=False
        )  # a JSON string is a valid Python string literal
    return repr(value)  # None, bools, ints and floats (repr round-trips exactly)


def _flat(value: Any) -> str | None:
    """``value`` on one line, or None when it holds a multi-line string."""
    if isinstance(value, dict) and value == DATASOURCE:
        return "var.DATASOURCE"
    if isinstance(value, dict):
        parts = {k: _flat(v) for k, v in value.items()}
        if any(p is None for p in parts.values()):
            return None
        return "{" + ", ".join(f"{_scalar(k)}: {p}" for k, p in parts.items()) + "}"
    if isinstance(value, list):
        items = [_flat(v) for v in value]
        return None if any(p is None for p in items) else "[" + ", ".join(items) + "]"  # type: ignore[arg-type]
    if isinstance(value, str) and "\n" in value:
        return None
    if isinstance(value, float) and value != value:
        return "float('nan')"
    return _scalar(value)
