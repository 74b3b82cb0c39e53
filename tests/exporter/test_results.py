"""Samples name catalog metrics and labels by name: a wrong metric or label fails at once, not as a missing series."""

from __future__ import annotations

import dataclasses

import pytest

from exporter import catalog, results
from exporter.snapshot import Samples, Snapshot, merge


def test_labels_are_given_by_name_in_any_order_and_stored_in_catalog_order():
    samples = Samples()
    samples.add(results.DRIFT_PVALUE, 0.5, test="ks", feature="area", model_name="m")
    assert samples.get(catalog.get("data_drift_pvalue")) == [(("m", "area", "ks"), 0.5)]


@pytest.mark.parametrize(
    "labels",
    [
        {"model_name": "m", "feature": "area"},  # one missing
        {"model_name": "m", "feature": "area", "test": "ks", "column": "x"},  # one too many
        {"model_name": "m", "featur": "area", "test": "ks"},  # misspelt
    ],
)
def test_labels_that_are_not_exactly_the_catalogs_raise_naming_the_metric(labels):
    with pytest.raises(ValueError, match="data_drift_pvalue: labels"):
        Samples().add(results.DRIFT_PVALUE, 0.5, **labels)


def test_a_metric_that_is_not_the_catalogs_raises():
    lookalike = dataclasses.replace(catalog.get("data_drift_psi"), help="a copy")
    with pytest.raises(ValueError, match="not a metric of the catalog"):
        Samples().add(lookalike, 1.0, model_name="m", feature="area")


def test_a_misspelt_metric_name_raises_with_a_suggestion():
    with pytest.raises(KeyError, match="did you mean data_drift_psi"):
        catalog.get("data_drift_pis")


def test_every_builder_produces_only_exporter_metrics_with_their_labels():
    health = results.health_samples(
        last_success=1.0,
        duration=0.1,
        cycles=2,
        errors={"read": 1},
        models=3,
        untracked_predictions=4,
    )
    window = results.window_samples("m", 10, 5, 2, 3.0)
    snapshot = Snapshot(merge(health, window))
    served = catalog.by_source(catalog.Source.EXPORTER)
    assert len(snapshot.samples) == len(health) + len(window) == 10
    for metric in served:
        for labels, _ in snapshot.get(metric):
            assert len(labels) == len(metric.labels)
    assert snapshot.get(catalog.get("exporter_untracked_predictions_total")) == [((), 4.0)]
