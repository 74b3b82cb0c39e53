"""Exceptions shared by the toolchain; each says where the problem is and what to do."""

from __future__ import annotations


class MlmonError(Exception):
    """Base class: a problem the user can act on (the CLI prints it without a traceback)."""


class SourceError(MlmonError):
    """A dashboard or alert source that cannot be compiled.

    ``source`` is the file, ``item`` the panel title or rule name, ``json_path``
    where in the compiled output (when known), and ``hint`` what to do.
    """

    def __init__(
        self,
        message: str,
        *,
        source: str | None = None,
        item: str | None = None,
        json_path: str | None = None,
        hint: str | None = None,
    ):
        self.message = message
        self.source = source
        self.item = item
        self.json_path = json_path
        self.hint = hint
        super().__init__(str(self))

    def __str__(self) -> str:
        where = ": ".join(
            part
            for part in (self.source, repr(self.item) if self.item else None, self.json_path)
            if part
        )
        text = f"{where}: {self.message}" if where else self.message
        return f"{text} ({self.hint})" if self.hint else text


class CatalogError(SourceError):
    """A query names a metric or label that the metric catalog (exporter/catalog.py) does not declare."""
