"""Practical significance: an optional minimum effect size for the drift flag (issue #13), off by default."""

from __future__ import annotations

import json

import numpy as np
import pytest

from exporter import config as exporter_config
from exporter.schema import SchemaConfigError
from exporter.statistics import DriftConfig, compute_drift
from exporter.statistics.incremental import IncrementalDrift
from tests.statistics.builders import columns_of, profile_of, schema_of

RNG = np.random.default_rng(31)
SCHEMA = schema_of(numeric=["tiny", "large"], categorical=["city"])


def data(n: int, tiny: float, large: float, city_shares: list[float]) -> dict:
    return {
        "tiny": RNG.normal(tiny, 1.0, size=n),
        "large": RNG.normal(large, 1.0, size=n),
        "city": RNG.choice(np.array(["a", "b", "c"], dtype=object), p=city_shares, size=n),
    }


REFERENCE = profile_of(SCHEMA, data(200_000, 0.0, 0.0, [0.5, 0.3, 0.2]))
# a trivial but real shift (0.04 SD) that a 100k-row window makes "significant", a large one (0.5 SD),
# and a small categorical change (Cramér's V ≈ 0.02)
WINDOW = columns_of(SCHEMA, data(100_000, 0.04, 0.5, [0.47, 0.32, 0.21]))


def test_off_by_default_flags_every_significant_shift():
    report = compute_drift(REFERENCE, WINDOW)
    assert report.drifted == ["tiny", "large", "city"]
    assert all(f.min_effect == 0 for f in report.features.values())


def test_a_minimum_effect_keeps_trivial_shifts_from_the_flag_but_not_their_pvalues():
    off = compute_drift(REFERENCE, WINDOW)
    report = compute_drift(REFERENCE, WINDOW, DriftConfig(min_effect=0.1))
    assert report.drifted == ["large"]
    assert report.features["tiny"].effect_size < 0.1 <= report.features["large"].effect_size
    for name, feature in report.features.items():  # what is exported does not change
        assert feature.pvalue == off.features[name].pvalue
        assert feature.adjusted_pvalue == off.features[name].adjusted_pvalue <= 0.05


def test_a_feature_schema_min_effect_overrides_the_setting(tmp_path):
    path = tmp_path / "schema.json"
    path.write_text(
        json.dumps({"features": {"tiny": {"min_effect": 0.01}, "large": {"min_effect": 0.9}}})
    )
    schema = SCHEMA.with_override_file(path)
    assert schema["tiny"].to_dict()["min_effect"] == 0.01
    reference = profile_of(schema, data(50_000, 0.0, 0.0, [0.5, 0.3, 0.2]))
    window = columns_of(schema, data(50_000, 0.04, 0.5, [0.47, 0.32, 0.21]))

    report = compute_drift(reference, window, DriftConfig(min_effect=0.1))

    assert report.drifted == [
        "tiny"
    ]  # 0.01 lets the small shift through; 0.9 holds the large one back
    assert report.features["city"].min_effect == 0.1
    tracker = IncrementalDrift(reference, DriftConfig(min_effect=0.1))
    tracker.add(window)
    assert tracker.report().drifted == ["tiny"]


@pytest.mark.parametrize("bad", [-0.1, "0.2", True])
def test_a_bad_min_effect_in_the_schema_file_names_the_file_and_feature(tmp_path, bad):
    path = tmp_path / "schema.json"
    path.write_text(json.dumps({"features": {"tiny": {"min_effect": bad}}}))
    with pytest.raises(SchemaConfigError, match=r"schema\.json.*tiny.*min_effect"):
        SCHEMA.with_override_file(path)


def test_the_exporter_setting_is_read_from_the_environment():
    config, _ = exporter_config.load({"EXPORTER_DRIFT_MIN_EFFECT": "0.15"})
    assert config.drift_min_effect == 0.15
    assert exporter_config.load({})[0].drift_min_effect == 0.0
    with pytest.raises(exporter_config.ConfigError, match="EXPORTER_DRIFT_MIN_EFFECT"):
        exporter_config.load({"EXPORTER_DRIFT_MIN_EFFECT": "-1"})
    with pytest.raises(ValueError, match="min_effect"):
        DriftConfig(min_effect=-0.5)
