"""Text panels: Markdown drawn as plain text (headings bold, lists with bullets, link text without the URL)."""

from __future__ import annotations

import re

from mlmon.preview import colors
from mlmon.preview.panels.context import PanelContext, Unsupported

_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_EMPHASIS = re.compile(r"(\*\*|__|\*|_|`)(.+?)\1")
_TAG = re.compile(r"<[^>]+>")


def plain(line: str) -> str:
    return _EMPHASIS.sub(r"\2", _LINK.sub(r"\1", line))


def draw(ctx: PanelContext) -> None:
    mode = ctx.options.get("mode", ctx.panel.get("mode", "markdown"))
    content = str(ctx.options.get("content", ctx.panel.get("content", "")) or "")
    if mode == "html":
        content = _TAG.sub("", content)
    elif mode not in ("markdown", None):
        raise Unsupported(f"text mode {mode!r}")
    canvas, box = ctx.canvas, ctx.content
    y = box.y + 10
    for raw in content.splitlines():
        line = raw.rstrip()
        if not line.strip():
            y += 8
            continue
        size, weight, indent = 13.0, "normal", 0.0
        heading = re.match(r"^(#{1,6})\s+(.*)", line)
        if heading:
            size, weight, line = max(20 - 2 * len(heading.group(1)), 13), "bold", heading.group(2)
        bullet = re.match(r"^(\s*)[-*+]\s+(.*)", line)
        if bullet:
            indent, line = 12 + 8 * len(bullet.group(1)), "• " + bullet.group(2)
        text = canvas.truncate(plain(line), box.w - indent, size)
        if y + size > box.y + box.h:
            canvas.text(box.x, box.y + box.h - 6, "…", size=13, color=colors.TEXT_WEAK)
            break
        canvas.text(box.x + indent, y + size / 2, text, size=size, weight=weight)
        y += size * 1.5
