"""mlmon: monitoring-as-code for machine-learning services.

Dashboards and alert rules are Python (grafanalib) objects built through a
small DSL whose queries come from the exporter's metric catalog; ``mlmon``
compiles them to Grafana JSON in ``generated/``, validates and lints them, and
uploads them through Grafana's HTTP API.
"""

__version__ = "0.1.0"
