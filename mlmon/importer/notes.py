"""What the migration changed: one note per key dropped, renamed or converted, with its JSON path."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Note:
    path: str  # JSON path in the input dashboard, e.g. "rows[1].panels[0].yaxes"
    message: str
    panel: str | None = None  # the panel's title, when the note is about a panel

    def __str__(self) -> str:
        where = f"{self.path} ({self.panel!r})" if self.panel else self.path
        return f"{where}: {self.message}"


@dataclass
class Notes:
    items: list[Note] = field(default_factory=list)

    def add(self, path: str, message: str, panel: str | None = None) -> None:
        self.items.append(Note(path, message, panel))

    def __iter__(self):
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)
