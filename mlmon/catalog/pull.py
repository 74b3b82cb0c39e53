"""Metric families from a live Prometheus: types and help from its metadata API, labels from its series.

``GET /api/v1/metadata`` gives each family's type and help;
``GET /api/v1/labels?match[]=<series>`` the label names its series carry
(without ``__name__``, the target labels ``job``/``instance`` and the
histogram/summary ``le``/``quantile``, which the catalog implies). Families
the exporter's catalog declares, and Prometheus's own series, are skipped:
those have their own source of truth.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from typing import Any

from exporter import catalog as exporter_catalog
from mlmon.catalog import PROMETHEUS_SERIES, TARGET_LABELS
from mlmon.catalog.extension import TYPES, Update
from mlmon.errors import MlmonError

_IMPLIED_LABELS = TARGET_LABELS | {"__name__", "le", "quantile"}


class PullError(MlmonError):
    """Prometheus could not be asked (unreachable, not Prometheus, an API error)."""


def _get(base: str, path: str, params: list[tuple[str, str]], timeout: float) -> Any:
    url = f"{base.rstrip('/')}/api/v1/{path}"
    if params:
        url += "?" + urllib.parse.urlencode(params)
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            payload = json.loads(response.read())
    except urllib.error.HTTPError as exc:
        raise PullError(
            f"{url}: HTTP {exc.code} ({exc.reason}); is this a Prometheus server?"
        ) from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise PullError(
            f"cannot reach {base}: {reason}; check --prometheus (e.g. http://localhost:9090)"
        ) from None
    except json.JSONDecodeError:
        raise PullError(f"{url}: the answer is not JSON; is this a Prometheus server?") from None
    if not isinstance(payload, dict) or payload.get("status") != "success":
        raise PullError(f"{url}: {payload.get('error') if isinstance(payload, dict) else payload}")
    return payload["data"]


def _first_series(name: str, kind: str) -> str:
    return (
        f"{name}_bucket"
        if kind == "histogram"
        else (f"{name}_count" if kind == "summary" else name)
    )


def pull(
    base: str,
    *,
    match: str | None = None,
    timeout: float = 10.0,
    progress: Callable[[int, int], None] | None = None,
) -> Update:
    """The families a Prometheus knows (optionally only names matching ``match``), with their labels."""
    pattern = re.compile(match) if match else None
    metadata = _get(base, "metadata", [], timeout)
    if not isinstance(metadata, dict):
        raise PullError(f"{base}: unexpected metadata answer")
    families: list[tuple[str, str, str]] = []
    for name, entries in sorted(metadata.items()):
        if pattern is not None and not pattern.fullmatch(name):
            continue
        if (
            name in exporter_catalog.CATALOG
            or name in exporter_catalog.SERIES
            or name in PROMETHEUS_SERIES
        ):
            continue
        entry = entries[0] if isinstance(entries, list) and entries else {}
        kind = entry.get("type", "unknown")
        families.append((name, kind if kind in TYPES else "unknown", entry.get("help", "")))
    update = Update()
    source = f"prometheus {base}"
    # Labels on `up` are the targets' labels: what relabelling adds to every series.
    update.target_labels |= (
        set(_get(base, "labels", [("match[]", "up")], timeout) or []) - _IMPLIED_LABELS
    )
    for index, (name, kind, help_) in enumerate(families, start=1):
        # OpenMetrics scrapes report a counter's family without _total; its series carry the suffix.
        candidates = (
            [name, f"{name}_total"] if kind == "counter" and not name.endswith("_total") else [name]
        )
        for candidate in candidates:
            labels = _get(base, "labels", [("match[]", _first_series(candidate, kind))], timeout)
            if labels:
                break
        if labels:
            family = candidate
            update.add(
                family,
                kind,
                [label for label in labels if label not in _IMPLIED_LABELS],
                help_,
                source,
            )
        if progress is not None:
            progress(index, len(families))
    return update
