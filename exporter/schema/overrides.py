"""Schema override files: the user's corrections to an inferred feature schema.

Overrides come from a JSON file (stdlib ``json`` only: the exporter's container
has no YAML parser)::

    {"features": {"sqft": {"kind": "numeric", "min": 0, "max": 20000},
                  "zipcode": {"kind": "categorical", "categories": ["98101", "98102"]},
                  "notes": {"required": false, "range": null}}}

or, for several models, ``{"models": {"<model_name>": {"features": {...}}}}``.
Only the keys given replace the inferred ones; ``"range": null`` removes the
range check; ``"categories": null`` accepts any category.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from exporter.schema.feature import KINDS, FeatureSpec, SchemaConfigError
from exporter.values import category_key, is_number


def override_specs(
    specs: Mapping[str, FeatureSpec],
    overrides: Mapping[str, Mapping[str, Any]],
    *,
    source: str = "<overrides>",
) -> dict[str, FeatureSpec]:
    """``specs`` (feature name → spec) with per-feature overrides applied (the ``features`` object of the JSON file).

    A feature named in the overrides but absent from ``specs`` is added (its
    ``kind`` is then required). Raises :class:`SchemaConfigError` naming
    ``source`` and the feature for unknown keys or bad values.
    """
    specs = dict(specs)
    for name, override in overrides.items():
        where = f"{source}: feature {name!r}"
        if not isinstance(override, Mapping):
            raise SchemaConfigError(
                f'{where}: expected an object like {{"kind": "numeric"}}, got {override!r}'
            )
        unknown = set(override) - _OVERRIDE_KEYS
        if unknown:
            raise SchemaConfigError(
                f"{where}: unknown key(s) {sorted(unknown)}; allowed keys are {sorted(_OVERRIDE_KEYS)}"
            )
        base = specs.get(name)
        if base is None:
            if "kind" not in override:
                raise SchemaConfigError(
                    f'{where}: not in the reference data, so "kind" is required'
                )
            base = FeatureSpec(name, override["kind"] if override["kind"] in KINDS else "numeric")
        try:
            specs[name] = _apply_override(base, override)
        except (TypeError, ValueError) as exc:
            raise SchemaConfigError(f"{where}: {exc}") from None
    return specs


_OVERRIDE_KEYS = frozenset({"kind", "required", "min", "max", "range", "categories", "min_effect"})


def _apply_override(base: FeatureSpec, override: Mapping[str, Any]) -> FeatureSpec:
    kind = override.get("kind", base.kind)
    if kind not in KINDS:
        raise ValueError(f'"kind" must be one of {list(KINDS)}, not {kind!r}')
    changes: dict[str, Any] = {"kind": kind}
    if "required" in override:
        if not isinstance(override["required"], bool):
            raise ValueError(f'"required" must be true or false, not {override["required"]!r}')
        changes["required"] = override["required"]
    if kind == "numeric":
        minimum, maximum = (base.minimum, base.maximum) if base.kind == "numeric" else (None, None)
        if "range" in override:
            rng = override["range"]
            if rng is None:
                minimum = maximum = None
            elif isinstance(rng, list) and len(rng) == 2:
                minimum, maximum = rng
            else:
                raise ValueError(f'"range" must be [min, max] or null, not {rng!r}')
        minimum = override.get("min", minimum)
        maximum = override.get("max", maximum)
        for label, bound in (("min", minimum), ("max", maximum)):
            if bound is not None and not is_number(bound):
                raise ValueError(f'"{label}" must be a number or null, not {bound!r}')
        changes.update(
            minimum=None if minimum is None else float(minimum),
            maximum=None if maximum is None else float(maximum),
            categories=None,
        )
    else:
        categories = base.categories if base.kind == "categorical" else None
        if "categories" in override:
            cats = override["categories"]
            if cats is not None and not isinstance(cats, list):
                raise ValueError(f'"categories" must be a list or null, not {cats!r}')
            categories = (
                None if cats is None else tuple(dict.fromkeys(category_key(c) for c in cats))
            )
        changes.update(categories=categories, minimum=None, maximum=None)
    if "min_effect" in override:  # drift's practical-significance threshold (issue #13)
        threshold = override["min_effect"]
        if threshold is not None and not (is_number(threshold) and threshold >= 0):
            raise ValueError(f'"min_effect" must be a number ≥ 0 or null, not {threshold!r}')
        changes["min_effect"] = None if threshold is None else float(threshold)
    return replace(base, **changes)


def load_overrides(
    path: str | Path, model_name: str | None = None
) -> Mapping[str, Mapping[str, Any]]:
    """Read a schema override file and return its ``features`` object (for ``model_name`` if sectioned)."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SchemaConfigError(f"{path}: schema override file not found") from None
    except json.JSONDecodeError as exc:
        raise SchemaConfigError(
            f"{path}:{exc.lineno}:{exc.colno}: not valid JSON ({exc.msg})"
        ) from None
    if not isinstance(data, Mapping):
        raise SchemaConfigError(f'{path}: expected a JSON object with "features" or "models"')
    if "models" in data:
        models = data["models"]
        if not isinstance(models, Mapping):
            raise SchemaConfigError(
                f'{path}: "models" must be an object of model name → {{"features": ...}}'
            )
        section = models.get(model_name, {}) if model_name is not None else {}
        features = section.get("features", {}) if isinstance(section, Mapping) else None
    else:
        features = data.get("features", {})
    if not isinstance(features, Mapping):
        raise SchemaConfigError(f'{path}: "features" must be an object of feature name → settings')
    return features
