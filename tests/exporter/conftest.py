from __future__ import annotations

import pytest
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from exporter.collectors import registry_for
from exporter.config import ExporterConfig
from exporter.cycle import Exporter


def exposition(exporter: Exporter) -> str:
    return generate_latest(registry_for(lambda: exporter.snapshot)).decode()


def samples(text: str) -> dict[tuple[str, frozenset], float]:
    """{(sample name, labels): value} of an exposition."""
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(exporter: Exporter, name: str, **labels: str) -> float:
    return samples(exposition(exporter))[(name, frozenset(labels.items()))]


@pytest.fixture
def make_exporter(tmp_path):
    created: list[Exporter] = []

    def make(**settings) -> Exporter:
        settings.setdefault("db_path", tmp_path / "log.db")
        exporter = Exporter(ExporterConfig(**settings))
        created.append(exporter)
        return exporter

    yield make
    for exporter in created:
        exporter.close()
