"""Failures talking to Grafana, each with a message a user can act on.

No message, repr or attribute of these exceptions holds a credential: they are
built from the credential's *kind* and *source* (e.g. "service-account token
from GRAFANA_TOKEN"), never its value, and every message goes through
:func:`mlmon.grafana.redact.redact` when the exception is built (Grafana's own
error text, quoted in messages, may echo a header).
"""

from __future__ import annotations

from mlmon.errors import MlmonError
from mlmon.grafana.redact import redact


class GrafanaError(MlmonError):
    """Base class of everything this package raises."""

    def __init__(self, message: str = ""):
        super().__init__(redact(message))


class GrafanaConfigError(GrafanaError):
    """The target, credentials or config file are missing or invalid."""


class GrafanaUnreachable(GrafanaError):
    """Connection errors or timeouts persisted through every retry."""


class NotGrafanaError(GrafanaError):
    """The URL answers, but not like a Grafana server (a configuration problem: exit 2)."""


class UnexpectedAnswerError(NotGrafanaError):
    """A 2xx answer that is not the JSON Grafana's API gives (a login page, a proxy, a redirect)."""


class RedirectRefused(UnexpectedAnswerError):
    """A redirect mlmon will not follow (another origin, or one that would turn a write into a GET)."""


class GrafanaAuthError(GrafanaError):
    """401/403: the credential was rejected or lacks a permission."""

    def __init__(self, message: str, *, status: int):
        self.status = status
        super().__init__(message)


class GrafanaConflictError(GrafanaError):
    """412/409: the resource changed in Grafana, or its name is taken.

    ``reason`` is Grafana's status string (``version-mismatch``,
    ``name-exists``, ``plugin-dashboard``) or ``edited-in-grafana`` when mlmon
    itself noticed that someone else saved the dashboard since the last push.
    """

    def __init__(self, message: str, *, reason: str):
        self.reason = reason
        super().__init__(message)


class GrafanaRequestError(GrafanaError):
    """Any other refusal (4xx) or server failure (5xx after retries)."""

    def __init__(self, message: str, *, status: int | None = None):
        self.status = status
        super().__init__(message)
