"""A matplotlib figure addressed in page pixels (top-left origin), with Grafana's panel chrome.

The Agg backend is used directly (no pyplot): no display is needed, and
figures are not kept in pyplot's global registry between renders.
"""

from __future__ import annotations

from typing import Any, BinaryIO

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch, Patch, Rectangle
from numpy.typing import ArrayLike

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

    def axes(self, box: Box, **kwargs: Any) -> Axes:
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
        patch: Patch
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

    def rects(self, boxes: list[Box], fills: list) -> None:
        """Many plain rectangles as one collection (gradients drawn as thin slices)."""
        polygons = []
        for box in boxes:
            left, bottom, width, height = self.fraction(box)
            polygons.append(
                [
                    (left, bottom),
                    (left + width, bottom),
                    (left + width, bottom + height),
                    (left, bottom + height),
                ]
            )
        self._background_z += 0.01
        collection = PolyCollection(
            polygons, facecolors=fills, edgecolors="none", transform=self.figure.transFigure
        )
        collection.set_zorder(self._background_z)
        self.figure.add_artist(collection)

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
        # zlib level 1: a third of the default's encoding time for a slightly larger file
        # (scripts/docs_pictures.py squeezes the committed pictures).
        self.figure.savefig(
            target,
            dpi=DPI,
            facecolor=colors.BACKGROUND,
            format="png",
            pil_kwargs={"compress_level": 1},
        )


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


class Plot:
    """A data rectangle on the canvas, mapped to page pixels by hand.

    Lines, fills and bars are added as a few figure-level collections instead
    of through a matplotlib ``Axes`` per panel: creating axes (with their tick
    machinery) was most of a dashboard's drawing time.
    """

    def __init__(
        self, canvas: Canvas, box: Box, x_range: tuple[float, float], y_range: tuple[float, float]
    ) -> None:
        self.canvas, self.box = canvas, box
        self.x0, self.x1 = x_range
        self.y0, self.y1 = y_range
        left, bottom, width, height = canvas.fraction(box)
        self._clip = Rectangle((left, bottom), width, height, transform=canvas.figure.transFigure)

    def to_figure(self, x: ArrayLike, y: ArrayLike) -> np.ndarray:
        """Figure fractions of data points, as an (n, 2) array."""
        c, b = self.canvas, self.box
        px = b.x + (np.asarray(x, dtype=float) - self.x0) / ((self.x1 - self.x0) or 1) * b.w
        py = b.y + b.h - (np.asarray(y, dtype=float) - self.y0) / ((self.y1 - self.y0) or 1) * b.h
        return np.column_stack((px / c.width, 1 - py / c.height))

    def y_pixel(self, y: float) -> float:
        return self.box.y + self.box.h - (y - self.y0) / ((self.y1 - self.y0) or 1) * self.box.h

    def x_pixel(self, x: float) -> float:
        return self.box.x + (x - self.x0) / ((self.x1 - self.x0) or 1) * self.box.w

    def _add(self, collection: LineCollection | PolyCollection, zorder: float) -> None:
        collection.set_transform(self.canvas.figure.transFigure)
        collection.set_clip_path(self._clip)
        collection.set_zorder(zorder)
        self.canvas.figure.add_artist(collection)

    def lines(
        self,
        runs: list[tuple[np.ndarray, np.ndarray, str]],
        width_px: float,
        *,
        dashed: bool = False,
        alpha: float = 1.0,
        zorder: float = 3,
    ) -> None:
        """Polylines ``(x, y, colour)``; a NaN in ``y`` breaks the line, as Grafana leaves a gap."""
        segments, colors_ = [], []
        for x, y, color in runs:
            for xs, ys in _finite_runs(x, y):
                segments.append(self.to_figure(xs, ys))
                colors_.append(color)
        if segments:
            self._add(
                LineCollection(
                    segments,
                    colors=colors_,
                    linewidths=px_to_pt(width_px),
                    linestyles=(0, (4, 3)) if dashed else "solid",
                    alpha=alpha,
                    capstyle="butt",
                    joinstyle="round",
                ),
                zorder,
            )

    def fills(
        self,
        runs: list[tuple[np.ndarray, np.ndarray, np.ndarray, str]],
        alpha: float,
        zorder: float = 2,
    ) -> None:
        """Areas between ``low`` and ``high`` over ``x`` (per finite run), each ``(x, low, high, colour)``."""
        polygons, colors_ = [], []
        for x, low, high, color in runs:
            finite = np.isfinite(high) & np.isfinite(low)
            for xs, lows, highs in _finite_runs3(x, low, high, finite):
                top = self.to_figure(xs, highs)
                bottom = self.to_figure(xs[::-1], lows[::-1])
                polygons.append(np.vstack((top, bottom)))
                colors_.append(color)
        if polygons:
            self._add(
                PolyCollection(polygons, facecolors=colors_, edgecolors="none", alpha=alpha), zorder
            )

    def bars(
        self,
        x: np.ndarray,
        low: np.ndarray,
        high: np.ndarray,
        color: str,
        width_px: float,
        alpha: float,
    ) -> None:
        finite = np.isfinite(high) & np.isfinite(low)
        segments = [
            np.vstack((self.to_figure([xi], [lo]), self.to_figure([xi], [hi])))
            for xi, lo, hi in zip(x[finite], low[finite], high[finite])
            if hi != lo
        ]
        if segments:
            self._add(
                LineCollection(
                    segments,
                    colors=color,
                    linewidths=px_to_pt(max(width_px, 1)),
                    alpha=alpha,
                    capstyle="butt",
                ),
                2.5,
            )

    def rules(
        self,
        ys: list[float],
        color: str | list[str],
        width_px: float = 1,
        *,
        dashed: bool = False,
        zorder: float = 1,
    ) -> None:
        """Horizontal lines across the plot (grid lines, threshold lines)."""
        segments = [self.to_figure([self.x0, self.x1], [y, y]) for y in ys]
        if segments:
            self._add(
                LineCollection(
                    segments,
                    colors=color,
                    linewidths=px_to_pt(width_px),
                    linestyles=(0, (4, 3)) if dashed else "solid",
                ),
                zorder,
            )

    def columns(self, xs: list[float], color: str, width_px: float = 1) -> None:
        """Vertical grid lines."""
        segments = [self.to_figure([x, x], [self.y0, self.y1]) for x in xs]
        if segments:
            self._add(LineCollection(segments, colors=color, linewidths=px_to_pt(width_px)), 1)

    def band(self, low: float, high: float, color: str, alpha: float) -> None:
        corners = self.to_figure([self.x0, self.x1, self.x1, self.x0], [low, low, high, high])
        self._add(PolyCollection([corners], facecolors=color, edgecolors="none", alpha=alpha), 1.5)


def _finite_runs(x: np.ndarray, y: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    finite = np.isfinite(y)
    return [(x[s], y[s]) for s in _run_slices(finite)]


def _finite_runs3(x, low, high, finite) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    return [(x[s], low[s], high[s]) for s in _run_slices(finite)]


def _run_slices(mask: np.ndarray) -> list[slice]:
    """Slices of the consecutive True stretches of ``mask``."""
    if not mask.size:
        return []
    edges = np.flatnonzero(np.diff(np.concatenate(([0], mask.astype(np.int8), [0]))))
    return [slice(start, end) for start, end in zip(edges[::2], edges[1::2])]
