"""Template variables: the Prometheus data source and label pickers built from the catalog."""

from __future__ import annotations

from grafanalib.core import Template

from mlmon.dsl import query as q

DATASOURCE_VARIABLE = "datasource"
# Every panel and target queries through the templated data source.
DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}
# The uid the stack provisions its Prometheus data source with (stack/grafana provisioning).
DEFAULT_DATASOURCE_UID = "prometheus"

_REFRESH_ON_TIME_RANGE_CHANGE = 2
_SORT_ALPHABETICAL = 1


def datasource(default_uid: str = DEFAULT_DATASOURCE_UID) -> Template:
    """The ``$datasource`` picker (type prometheus), defaulting to the provisioned data source."""
    variable = Template(
        name=DATASOURCE_VARIABLE,
        label="Data source",
        type="datasource",
        query="prometheus",
        default=default_uid,
        refresh=1,
    )
    variable._current = {"selected": False, "text": default_uid, "value": default_uid}
    return variable


def label_picker(
    name: str, label: str, query: str, *, multi: bool = True, include_all: bool = True
) -> Template:
    """A query variable over ``label_values(...)``; multi-select with "All" by default."""
    variable = Template(
        name=name,
        label=label,
        query=query,
        dataSource=DATASOURCE,
        multi=multi,
        includeAll=include_all,
        allValue=".*" if include_all else None,
        refresh=_REFRESH_ON_TIME_RANGE_CHANGE,
        sort=_SORT_ALPHABETICAL,
    )
    if include_all:
        variable._current = {"selected": True, "text": ["All"], "value": ["$__all"]}
    return variable


def model() -> Template:
    """``$model``: model names from ``model_info``."""
    return label_picker("model", "Model", q.label_values("model_info", "model_name"))


def version() -> Template:
    """``$version``: versions of the selected models."""
    return label_picker(
        "version", "Version", q.label_values("model_info", "version", model_name="$model")
    )


def feature() -> Template:
    """``$feature``: features with a drift test for the selected models."""
    return label_picker(
        "feature", "Feature", q.label_values("data_drift_pvalue", "feature", model_name="$model")
    )


def column() -> Template:
    """``$column``: input columns with quality metrics for the selected models."""
    return label_picker(
        "column", "Column", q.label_values("data_completeness", "column", model_name="$model")
    )


def endpoint() -> Template:
    """``$endpoint``: route templates the model API has served."""
    return label_picker("endpoint", "Endpoint", q.label_values("api_requests_total", "endpoint"))
