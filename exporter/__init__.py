"""mlmon's exporter: reads the prediction log a model API writes and serves
model-performance, drift, data-quality and business metrics to Prometheus.

It must not import ``mlmon``: its container ships without grafanalib.
"""
