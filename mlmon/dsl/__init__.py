"""The dashboard DSL: typed helpers over grafanalib whose queries come from the metric catalog.

- ``mlmon.dsl.query``: PromQL expressions built from ``exporter/catalog.py``
  (shared with the alert DSL; imports no grafanalib).
- ``mlmon.dsl.panels``: panel helpers (units, thresholds, descriptions).
- ``mlmon.dsl.variables``: the standard template variables.
- ``mlmon.dsl.layout``: automatic grid layout.
- ``mlmon.dsl.dashboard``: the ``dashboard(...)`` entry point a source module calls.

Kept import-free so ``from mlmon.dsl import query`` stays cheap for the alert compiler.
"""
