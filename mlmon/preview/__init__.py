"""``mlmon preview``: compiled dashboards drawn with data from a real Prometheus, to PNG and HTML.

:mod:`~mlmon.preview.render` runs a dashboard: :mod:`~mlmon.preview.layout`
places the panels on Grafana's grid, :mod:`~mlmon.preview.templating` and
:mod:`~mlmon.preview.timerange` expand variables and interval macros,
:mod:`~mlmon.preview.data` runs the queries, :mod:`~mlmon.preview.panels` draws
each panel type on a :mod:`~mlmon.preview.canvas` with Grafana's
:mod:`~mlmon.preview.units`, :mod:`~mlmon.preview.colors` and
:mod:`~mlmon.preview.fields` config; :mod:`~mlmon.preview.html` writes the
pages and :mod:`~mlmon.preview.serve` serves them for the demo.
"""
