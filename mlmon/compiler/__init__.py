"""The dashboard compiler: source modules → normalised, validated, deterministic Grafana JSON.

- ``loader``: imports the modules of ``dashboards_src/`` (errors name file, line, panel);
- ``normalise``: grafanalib output → the modern dashboard model;
- ``validate`` + ``checks``: mlmon's JSON Schema (``mlmon/schema``) and structural checks;
- ``render``: deterministic bytes;
- ``dashboards``: the whole pipeline for a directory;
- ``outputs``: compare with and write ``generated/`` atomically.
"""
