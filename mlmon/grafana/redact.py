"""One redaction function for everything push, diff and pull print or log.

Credentials reach output in ways no message template controls: a URL typed
without its scheme, a proxy or Grafana echoing the ``Authorization`` header in
an error body, a datasource URL with a password in it. :func:`redact` removes

- every credential value this process holds (each :class:`~mlmon.grafana.config.Secret`
  registers itself), also in its base64 ``user:password`` form;
- ``Bearer``/``Basic`` credentials and ``Authorization:`` header values;
- the password of ``user:password@host`` in any URL, with or without a scheme;
- Grafana service-account tokens (``glsa_...``) and API keys (``eyJrIjoi...``).

Exceptions of :mod:`mlmon.grafana.errors` redact their message when built, and
the command layer, the plan and summary printers and the transport's log
records pass through here too, so a new message cannot forget it.
"""

from __future__ import annotations

import base64
import logging
import re
import threading

MASK = "<redacted>"
_MIN_SECRET = 4  # shorter values would mask ordinary words

_known: set[str] = set()
_lock = threading.Lock()

_PATTERNS = (
    # Authorization: <scheme> <value>, Bearer <value>, Basic <value>
    (re.compile(r"(?i)(authorization\s*[:=]\s*)(?!bearer\b|basic\b)[^\s,;\"']+"), rf"\1{MASK}"),
    # (scheme names as sent, capitalised: "basic auth as user ..." in our own messages stays)
    (re.compile(r"\b(Bearer|Basic)(\s+)[A-Za-z0-9._~+/=-]{8,}"), rf"\1\2{MASK}"),
    # user:password@ in a URL, with or without scheme
    (re.compile(r"(?<![\w.-])([\w.%+-]+):([^\s/@:]+)@(?=[\w.\[-])"), rf"\1:{MASK}@"),
    # Grafana service-account tokens and legacy API keys
    (re.compile(r"\bglsa_[A-Za-z0-9_]{8,}"), MASK),
    (re.compile(r"\beyJrIjoi[A-Za-z0-9+/=_-]{8,}"), MASK),
)


def register(secret: str, user: str | None = None) -> None:
    """Mask ``secret`` (and ``user:secret`` in base64, as basic auth sends it) from now on."""
    if len(secret) < _MIN_SECRET:
        return
    forms = {secret}
    if user is not None:
        forms.add(base64.b64encode(f"{user}:{secret}".encode()).decode())
    with _lock:
        _known.update(forms)


def redact(text: object) -> str:
    """``text`` as a string without any credential in it; idempotent."""
    out = str(text)
    with _lock:
        known = sorted(_known, key=len, reverse=True)  # longest first: no partial leftovers
    for value in known:
        if value in out:
            out = out.replace(value, MASK)
    for pattern, replacement in _PATTERNS:
        out = pattern.sub(replacement, out)
    return out


class RedactingFilter(logging.Filter):
    """Log records leave with their message redacted (arguments are merged first)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        return True
