"""What a panel drawer works with."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from mlmon.preview.canvas import Canvas
from mlmon.preview.data import Series, TargetResult
from mlmon.preview.fields import FieldConfig
from mlmon.preview.layout import Box
from mlmon.preview.timerange import TimeRange


class Unsupported(Exception):
    """The panel uses something the preview cannot draw faithfully: it becomes a labelled placeholder."""


@dataclass
class PanelContext:
    canvas: Canvas
    panel: Mapping[str, Any]
    box: Box  # the whole panel
    content: Box  # below the title
    results: list[TargetResult]
    fields: FieldConfig
    time_range: TimeRange
    notes: list[str] = field(default_factory=list)

    @property
    def options(self) -> Mapping[str, Any]:
        return self.panel.get("options") or {}

    def series(self) -> list[Series]:
        return [s for r in self.results for s in r.series]

    def reduce_calc(self) -> str:
        reduce_options = self.options.get("reduceOptions") or {}
        calcs = reduce_options.get("calcs") or ["lastNotNull"]
        if reduce_options.get("values"):
            raise Unsupported(
                "reduceOptions.values (one value per row) is not drawn by the preview"
            )
        if len(calcs) > 1:
            self.notes.append(f"only the first calculation ({calcs[0]}) is shown")
        return str(calcs[0])
