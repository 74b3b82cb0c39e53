"""Uploading generated/ to Grafana: configuration, an HTTP client with domain verbs,
plans (what would change) and their application.

Modules: ``config`` (targets, credentials), ``transport`` (HTTP session, auth,
retries), ``client`` (domain verbs on Grafana's HTTP API), ``source`` (what
generated/ asks for), ``canonical`` (both sides without server-managed noise, so
only real changes compare unequal), ``semantic_diff`` (readable diffs), ``plan`` (what push would do), ``apply`` (doing it),
``report`` (progress and summary), ``pull`` (Grafana back to JSON),
``ownership`` (what prune may delete), ``redact`` (no credential in any output).
"""
