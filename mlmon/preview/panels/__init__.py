"""One drawing module per Grafana panel type; :data:`DRAWERS` maps a panel ``type`` to its ``draw``.

A drawer gets a :class:`~mlmon.preview.panels.context.PanelContext` whose
queries returned data, draws into ``ctx.content`` and appends to ``ctx.notes``
anything of the panel it could not show faithfully.
"""

from __future__ import annotations

from collections.abc import Callable

from mlmon.preview.panels import bargauge, gauge, piechart, stat, table, text, timeseries
from mlmon.preview.panels.context import PanelContext

Drawer = Callable[[PanelContext], None]

DRAWERS: dict[str, Drawer] = {
    "timeseries": timeseries.draw,
    "stat": stat.draw,
    "gauge": gauge.draw,
    "bargauge": bargauge.draw,
    "table": table.draw,
    "piechart": piechart.draw,
    "text": text.draw,
}
# Panel types that show something without any query (Grafana draws them without data).
NEEDS_NO_DATA = frozenset({"text"})
