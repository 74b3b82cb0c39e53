"""What one export cycle hands to the collectors: samples per catalog metric, immutable once built.

The cycle builds a new :class:`Snapshot` and swaps it in with one assignment,
so a scrape running in the HTTP thread always sees a whole cycle, never half
of one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

# (cumulative buckets [(le, count), ..., ("+Inf", count)], sum of observations)
HistogramValue = tuple[list[tuple[str, float]], float]
Value = float | HistogramValue
# metric name -> [(label values in the catalog's label order, value), ...]
Samples = dict[str, list[tuple[tuple[str, ...], Value]]]


def merge(*parts: Samples) -> Samples:
    merged: Samples = {}
    for part in parts:
        for name, samples in part.items():
            merged.setdefault(name, []).extend(samples)
    return merged


@dataclass(frozen=True)
class Snapshot:
    samples: Mapping[str, list[tuple[tuple[str, ...], Value]]] = field(default_factory=dict)

    @classmethod
    def of(cls, samples: Samples) -> Snapshot:
        return cls(MappingProxyType(samples))

    def get(self, name: str) -> list[tuple[tuple[str, ...], Value]]:
        return self.samples.get(name, [])
