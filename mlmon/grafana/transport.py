"""The HTTP session under :class:`mlmon.grafana.client.GrafanaClient`: authentication
and bounded retries.

A plain ``requests`` session, so the same transport runs in production and under
``responses`` in the tests, and retries see raw responses (status,
``Retry-After``) before the client turns them into exceptions. Log records go
through :func:`mlmon.grafana.redact.redact`.
"""

from __future__ import annotations

import email.utils
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import requests
import requests.adapters
import requests.auth

from mlmon import __version__
from mlmon.grafana.config import Credential, Target
from mlmon.grafana.redact import RedactingFilter

log = logging.getLogger(__name__)
log.addFilter(RedactingFilter())

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_RETRY_AFTER = 60.0


class BearerAuth(requests.auth.AuthBase):
    """``Authorization: Bearer <token>``; its repr never shows the token."""

    def __init__(self, credential: Credential):
        self._credential = credential

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self._credential.secret.reveal()}"
        return request

    def __repr__(self) -> str:
        return f"BearerAuth({self._credential.source})"


class BasicAuth(requests.auth.AuthBase):
    """HTTP basic auth whose repr shows the user, never the password."""

    def __init__(self, credential: Credential):
        self._credential = credential

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = requests.auth._basic_auth_str(
            self._credential.user or "", self._credential.secret.reveal()
        )
        return request

    def __repr__(self) -> str:
        return f"BasicAuth(user={self._credential.user!r})"


@dataclass(frozen=True)
class RetryPolicy:
    """At most ``attempts`` tries; exponential backoff from ``base`` seconds, capped at ``cap``."""

    attempts: int = 4
    base: float = 0.5
    cap: float = 8.0

    def backoff(self, attempt: int) -> float:
        return min(self.cap, self.base * 2 ** (attempt - 1))


def retry_after_seconds(value: str | None) -> float | None:
    """Parse ``Retry-After`` (seconds or an HTTP date), bounded by MAX_RETRY_AFTER."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        parsed = email.utils.parsedate_to_datetime(value) if value else None
        if parsed is None:
            return None
        seconds = parsed.timestamp() - time.time()
    return max(0.0, min(MAX_RETRY_AFTER, seconds))


class RetryingAdapter(requests.adapters.HTTPAdapter):
    """Retries connection errors, timeouts, 429 and 5xx with backoff; never 4xx.

    ``sleep`` is injectable so tests run retry sequences without waiting.
    """

    def __init__(
        self,
        policy: RetryPolicy,
        sleep: Callable[[float], None] | None = None,
        pool_maxsize: int = 16,
    ):
        self.policy = policy
        self._sleep = sleep
        super().__init__(pool_connections=pool_maxsize, pool_maxsize=pool_maxsize, max_retries=0)

    def send(self, request: requests.PreparedRequest, **kwargs) -> requests.Response:  # type: ignore[override]
        what = f"{request.method} {request.path_url.split('?')[0]}"
        for attempt in range(1, self.policy.attempts + 1):
            last = attempt == self.policy.attempts
            try:
                response = super().send(request, **kwargs)
            except (requests.exceptions.ConnectionError, requests.exceptions.Timeout) as exc:
                if last:
                    raise
                delay = self.policy.backoff(attempt)
                log.warning(
                    "%s failed (%s); retry %d/%d in %.1fs",
                    what,
                    type(exc).__name__,
                    attempt,
                    self.policy.attempts - 1,
                    delay,
                )
            else:
                if response.status_code not in RETRY_STATUSES or last:
                    return response
                asked = retry_after_seconds(response.headers.get("Retry-After"))
                delay = self.policy.backoff(attempt) if asked is None else asked
                log.warning(
                    "%s answered %d; retry %d/%d in %.1fs",
                    what,
                    response.status_code,
                    attempt,
                    self.policy.attempts - 1,
                    delay,
                )
                response.close()
            (self._sleep or default_sleep)(delay)
        raise AssertionError("unreachable: the last attempt returns or raises")


def default_sleep(seconds: float) -> None:
    """Backoff waits; looked up at call time so tests can replace it."""
    time.sleep(seconds)


def build_session(
    target: Target, sleep: Callable[[float], None] | None = None, pool_maxsize: int = 16
) -> requests.Session:
    session = requests.Session()
    adapter = RetryingAdapter(RetryPolicy(attempts=max(1, target.attempts)), sleep, pool_maxsize)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers["User-Agent"] = f"mlmon/{__version__}"
    if target.org_id is not None:
        session.headers["X-Grafana-Org-Id"] = str(target.org_id)
    if target.credential is not None:
        session.auth = (
            BearerAuth(target.credential)
            if target.credential.kind == "token"
            else BasicAuth(target.credential)
        )
    return session
