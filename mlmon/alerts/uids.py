"""Stable Grafana identifiers derived from names.

A rule's uid is what makes ``PUT .../rule-groups/{group}`` update a rule in
place instead of creating a twin, so it must not change between builds:
it is derived from the group and rule names only. Grafana allows at most 40
characters from ``[a-zA-Z0-9_-]``; longer names keep a readable prefix and a
hash of the full name.
"""

from __future__ import annotations

import hashlib
import re

MAX_UID_LENGTH = 40
UID_PATTERN = re.compile(r"[a-zA-Z0-9_-]{1,40}")
_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def slug(text: str) -> str:
    """``"DataDriftDetected"`` -> ``"data-drift-detected"``, ``"MLOps alerts"`` -> ``"mlops-alerts"``."""
    spaced = _CAMEL_BOUNDARY.sub("-", text)
    return re.sub(r"[^a-z0-9]+", "-", spaced.lower()).strip("-")


def shorten(text: str, limit: int = MAX_UID_LENGTH) -> str:
    if len(text) <= limit:
        return text
    digest = hashlib.sha256(text.encode()).hexdigest()[:8]
    return f"{text[: limit - len(digest) - 1].rstrip('-')}-{digest}"


def rule_uid(group: str, title: str) -> str:
    return shorten(f"{slug(group)}-{slug(title)}")


def folder_uid(title: str) -> str:
    return shorten(slug(title))
