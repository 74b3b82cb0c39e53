"""``dashboard(...)``: what a module in ``dashboards_src/`` assigns to its ``dashboard`` name."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from grafanalib.core import Dashboard, DashboardLink, Template, Templating, Time

from mlmon.dsl import variables as var
from mlmon.dsl.layout import Row, place
from mlmon.errors import SourceError

# Every mlmon dashboard carries this tag; the dashboards link to each other through it.
TAG = "mlmon"
SCHEMA_VERSION = 39
_UID = re.compile(r"[A-Za-z0-9_-]{1,40}")
_SHARED_CROSSHAIR = 1


def cross_links(tag: str = TAG) -> list[DashboardLink]:
    """A drop-down of every dashboard tagged ``tag``, keeping the time range and variables."""
    return [
        DashboardLink(
            title="MLOps dashboards",
            type="dashboards",
            tags=[tag],
            asDropdown=True,
            includeVars=True,
            keepTime=True,
            icon="external link",
            tooltip="Other mlmon dashboards",
        )
    ]


def dashboard(
    title: str,
    uid: str,
    description: str,
    rows: Sequence[Row],
    *,
    variables: Iterable[Template] = (),
    tags: Iterable[str] = (),
    time: tuple[str, str] = ("now-6h", "now"),
    refresh: str = "30s",
    links: Sequence[DashboardLink] | None = None,
    editable: bool = False,
) -> Dashboard:
    """A dashboard with the ``$datasource`` variable first, laid-out rows, the mlmon tag and cross-links.

    ``uid`` must be stable (it names the output file and the dashboard's URL):
    1–40 letters, digits, ``-`` or ``_``. Dashboards are not ``editable`` in
    Grafana by default: the source is the truth, and edits made in the UI
    would be overwritten by the next push (use ``mlmon import`` to bring a
    UI-designed dashboard into the source instead).
    """
    if not _UID.fullmatch(uid):
        raise SourceError(f"uid {uid!r} must be 1-40 letters, digits, '-' or '_'", item=title)
    if not description.strip():
        raise SourceError("the dashboard has no description", item=title)
    extra = list(variables)
    names = [v.name for v in extra]
    template_list = ([] if var.DATASOURCE_VARIABLE in names else [var.datasource()]) + extra
    return Dashboard(
        title=title,
        uid=uid,
        description=description.strip(),
        panels=place(rows),
        templating=Templating(list=template_list),
        tags=sorted({TAG, *tags}),
        links=cross_links() if links is None else list(links),
        time=Time(*time),
        refresh=refresh,
        timezone="browser",
        graphTooltip=_SHARED_CROSSHAIR,
        schemaVersion=SCHEMA_VERSION,
        editable=editable,
    )
