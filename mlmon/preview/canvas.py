"""A matplotlib figure addressed in page pixels (top-left origin), with Grafana's panel chrome.

The Agg backend is used directly (no pyplot): no display is needed, and
figures are not kept in pyplot's global registry between renders.
"""

from __future__ import annotations

from typing import BinaryIO

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch, Rectangle

from mlmon.preview import colors
from mlmon.preview.layout import Box

DPI = 100
FONT = "DejaVu Sans"  # ships with matplotlib: the same glyphs on every machine
TITLE_HEIGHT = 32


def px_to_pt(pixels: float) -> float:
    return pixels * 72 / DPI


class Canvas:
    def __init__(self, width: int, height: int) -> None:
        self.width, self.height = width, height
        self.figure = Figure(
            figsize=(width / DPI, height / DPI), dpi=DPI, facecolor=colors.BACKGROUND
        )
        FigureCanvasAgg(self.figure)
        # Figure-level shapes would otherwise cover the axes (zorder 0): backgrounds stack below them,
        # each above the ones drawn before it; text goes on top of everything.
        self._background_z = -1000.0

    # -- coordinates ---------------------------------------------------------------
    def fraction(self, box: Box) -> tuple[float, float, float, float]:
        """``box`` as matplotlib's (left, bottom, width, height) figure fractions."""
        return (
            box.x / self.width,
            1 - (box.y + box.h) / self.height,
            box.w / self.width,
            box.h / self.height,
        )

    def axes(self, box: Box, **kwargs: object) -> Axes:
        ax = self.figure.add_axes(self.fraction(box), **kwargs)
        ax.set_facecolor("none")
        return ax

    # -- drawing ----------------------------------------------------------------------
    def rect(
        self,
        box: Box,
        color: str,
        *,
        alpha: float = 1.0,
        edge: str | None = None,
        rounded: bool = False,
    ) -> None:
        left, bottom, width, height = self.fraction(box)
        self._background_z += 0.01
        if rounded:
            patch = FancyBboxPatch(
                (left, bottom),
                width,
                height,
                boxstyle=f"round,pad=0,rounding_size={2 / self.width}",
                transform=self.figure.transFigure,
                facecolor=color,
                edgecolor=edge or color,
                linewidth=0.8,
                alpha=alpha,
                zorder=self._background_z,
            )
        else:
            patch = Rectangle(
                (left, bottom),
                width,
                height,
                transform=self.figure.transFigure,
                facecolor=color,
                edgecolor=edge or "none",
                linewidth=0.8 if edge else 0,
                alpha=alpha,
                zorder=self._background_z,
            )
        self.figure.add_artist(patch)

    def text(
        self,
        x: float,
        y: float,
        text: str,
        *,
        size: float = 12,
        color: str = colors.TEXT,
        ha: str = "left",
        va: str = "center",
        weight: str = "normal",
        clip: Box | None = None,
    ) -> None:
        """``text`` at page pixel (x, y); ``size`` in pixels as CSS gives it."""
        artist = self.figure.text(
            x / self.width,
            1 - y / self.height,
            text,
            fontsize=px_to_pt(size),
            color=color,
            ha=ha,
            va=va,
            fontweight=weight,
            fontfamily=FONT,
            zorder=10,
        )
        if clip is not None:
            left, bottom, width, height = self.fraction(clip)
            artist.set_clip_box(None)
            artist.set_clip_on(True)
            artist.set_clip_path(
                Rectangle((left, bottom), width, height, transform=self.figure.transFigure)
            )

    def fit_text(self, text: str, box: Box, *, max_size: float, min_size: float = 8) -> float:
        """A font size (px) at which ``text`` fits ``box``, from DejaVu's average glyph width."""
        width_per_px = 0.6 * max(len(text), 1)
        return max(min(max_size, box.w / width_per_px, box.h * 0.8), min_size)

    def truncate(self, text: str, width: float, size: float) -> str:
        fits = int(width / (0.58 * size))
        return text if len(text) <= fits else text[: max(fits - 1, 1)] + "…"

    # -- Grafana chrome -------------------------------------------------------------------
    def panel(
        self, box: Box, title: str, *, background: str = colors.PANEL, marker: str | None = None
    ) -> Box:
        """The panel's card and title; returns the content box below the title."""
        self.rect(box, background, edge=colors.PANEL_BORDER, rounded=True)
        title_text = self.truncate(title, box.w - 40, 14)
        self.text(box.x + 8, box.y + TITLE_HEIGHT / 2, title_text, size=14, weight="bold")
        if marker:
            self.text(
                box.x + box.w - 10,
                box.y + TITLE_HEIGHT / 2,
                marker,
                size=14,
                color=colors.NAMED["orange"],
                ha="right",
                weight="bold",
            )
        return box.inset(8, TITLE_HEIGHT, 8, 8)

    def message(
        self, box: Box, text: str, *, color: str = colors.TEXT_WEAK, size: float = 16
    ) -> None:
        lines = _wrap(text, box.w, size * 0.8)
        self.text(
            box.x + box.w / 2,
            box.y + box.h / 2,
            "\n".join(lines),
            size=size,
            color=color,
            ha="center",
        )

    def save(self, target: BinaryIO) -> None:
        self.figure.savefig(target, dpi=DPI, facecolor=colors.BACKGROUND, format="png")


def _wrap(text: str, width: float, size: float) -> list[str]:
    per_line = max(int(width / (0.58 * size)), 10)
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for word in paragraph.split():
            if line and len(line) + 1 + len(word) > per_line:
                lines.append(line)
                line = word
            else:
                line = f"{line} {word}".strip()
        lines.append(line)
    return lines[:6]
