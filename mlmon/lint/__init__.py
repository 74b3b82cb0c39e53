"""``mlmon lint``: static rules over Grafana dashboard JSON and alert rules, and a live check against Prometheus.

``lint_paths`` runs the enabled rules (``mlmon.lint.rules``) over files and
directories and returns a ``Report``; ``mlmon.lint.live`` runs every query
against a Prometheus; ``mlmon.lint.output`` renders findings as text, JSON or
GitHub annotations.
"""

from mlmon.lint.engine import Report, lint_paths
from mlmon.lint.findings import Finding, Level, Location

__all__ = ["Finding", "Level", "Location", "Report", "lint_paths"]
