"""``mlmon demo``: the whole monitoring loop on one machine, without Docker.

:mod:`mlmon.demo.services` starts and stops the local processes,
:mod:`mlmon.demo.summary` turns the exporter's metrics into a one-screen report,
:mod:`mlmon.demo.runner` ties them together with the traffic simulator.
"""
