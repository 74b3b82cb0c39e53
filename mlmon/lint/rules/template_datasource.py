"""template-datasource: the dashboard lets users pick the Prometheus datasource, through a conventionally named variable."""

from __future__ import annotations

from collections.abc import Iterable

from mlmon.lint.dashboard import Dashboard, Variable, is_promql_plugin
from mlmon.lint.findings import Finding, Level, Location
from mlmon.lint.registry import Rule


def short_plugin_name(plugin: str) -> str:
    """``loki`` stays ``loki``; a plugin id ``vendor-name-datasource`` becomes ``name``."""
    parts = plugin.split("-")
    if len(parts) >= 3 and parts[-1] == "datasource":
        return "_".join(parts[1:-1])
    return plugin


def expected_names(variable: Variable, only_one: bool) -> tuple[set[str], set[str]]:
    """The names and labels a datasource variable may have: ``<plugin>_datasource`` / "<Plugin> data source",
    or, when it is the dashboard's only datasource variable, also ``datasource`` / "Data source"."""
    plugin = short_plugin_name(variable.query.strip())
    names = {f"{plugin.lower()}_datasource"}
    labels = {f"{plugin.title()} data source"}
    if only_one:
        names.add("datasource")
        labels.add("Data source")
    return names, labels


def _either(options: set[str]) -> str:
    return " or ".join(repr(option) for option in sorted(options))


class TemplateDatasource(Rule):
    name = "template-datasource"
    level = Level.ERROR
    description = (
        "A dashboard with Prometheus queries has a Prometheus datasource variable (error), and every "
        "datasource variable follows the naming convention (warning): named datasource and labelled "
        '"Data source" when it is the only one, else named <plugin>_datasource and labelled '
        '"<Plugin> data source" (set rules.template-datasource.naming: false to skip the convention).'
    )
    hint = (
        'add a variable {"type": "datasource", "name": "datasource", "label": "Data source", '
        '"query": "prometheus"} and use ${datasource} in panels'
    )

    def check_dashboard(self, dashboard: Dashboard, where: Location) -> Iterable[Finding]:
        datasources = [v for v in dashboard.variables if v.type == "datasource"]
        if next(dashboard.prometheus_targets(), None) is not None and not any(
            is_promql_plugin(v.query.lower()) for v in datasources
        ):
            yield self.finding(where, "no Prometheus datasource variable in templating.list")
        if not self.settings.get("naming", True):
            return
        for variable in datasources:
            names, labels = expected_names(variable, only_one=len(datasources) == 1)
            location = dashboard.variable_location(variable)
            if variable.name not in names:
                yield self._convention(
                    location,
                    f"datasource variable is named {variable.name!r}, expected {_either(names)}",
                )
            label = str(variable.raw.get("label") or "")
            if label not in labels:
                yield self._convention(
                    location,
                    f"datasource variable is labelled {label!r}, expected {_either(labels)}",
                )

    def _convention(self, where: Location, message: str) -> Finding:
        hint = (
            "rename/relabel the variable (and its uses), or set rules.template-datasource.naming: false "
            "in .mlmon-lint.yml when the dashboard keeps its own convention"
        )
        return Finding(self.name, Level.WARNING, message, hint, where)


RULES = (TemplateDatasource,)
