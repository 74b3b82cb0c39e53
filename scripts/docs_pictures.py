#!/usr/bin/env python3
"""Regenerate docs/images/*.png: the four dashboards drawn by `mlmon preview` during a real `mlmon demo` run.

    .venv/bin/python scripts/docs_pictures.py [--duration 240]

The demo runs on free 127.0.0.1 ports in a temporary directory (Debian's
prometheus must be installed). Its dashboards page is redrawn once, while the
drift episode is under way (65% into the run), and those pictures are kept:
palette-reduced to stay small in the repository.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from mlmon.demo.runner import FIRST_PREVIEW

ROOT = Path(__file__).resolve().parents[1]
IMAGES = ROOT / "docs" / "images"
MAX_BYTES = 400 * 1024
CAPTURE_AT = 0.65  # share of the run: the drift episode lasts from 30% to 70%


def squeeze(source: Path, target: Path) -> int:
    """A 256-colour PNG of ``source``: the dark UI has few colours, so this costs nothing visible."""
    with Image.open(source) as image:
        reduced = image.convert("RGB").quantize(
            colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE
        )
        reduced.save(target, optimize=True)
    return target.stat().st_size


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--duration",
        type=float,
        default=240.0,
        help="length of the demo run in seconds (default 240)",
    )
    args = parser.parse_args(argv)
    if shutil.which("prometheus") is None:
        print(
            "docs_pictures: needs Debian's prometheus (apt-get install prometheus)", file=sys.stderr
        )
        return 2
    with tempfile.TemporaryDirectory(prefix="mlmon-docs-pictures-") as tmp:
        state, captured = Path(tmp) / "state", Path(tmp) / "captured"
        captured.mkdir()
        demo = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "mlmon",
                "demo",
                "--no-build",
                "--duration",
                f"{args.duration:g}",
                # The demo draws 20 s into the run, then every --preview-every seconds: its second
                # drawing falls 65% into the run, while the drift episode is under way.
                "--preview-every",
                f"{args.duration * CAPTURE_AT - FIRST_PREVIEW:.0f}",
                "--report-every",
                "30",
                "--state-dir",
                str(state),
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        assert demo.stdout is not None
        redraws = 0
        for line in demo.stdout:
            print(line, end="", flush=True)
            if "dashboards: 4 redrawn" in line:
                redraws += 1
                if redraws == 2:  # the one taken mid-episode
                    for png in (state / "preview").glob("*.png"):
                        shutil.copy(png, captured / png.name)
        if demo.wait() != 0 or not any(captured.iterdir()):
            print(
                "docs_pictures: the demo failed or drew nothing; docs/images/ left as it was",
                file=sys.stderr,
            )
            return 1
        IMAGES.mkdir(parents=True, exist_ok=True)
        too_big = []
        for png in sorted(captured.glob("*.png")):
            size = squeeze(png, IMAGES / png.name)
            print(f"{IMAGES.relative_to(ROOT) / png.name}: {size / 1024:.0f} KiB")
            if size > MAX_BYTES:
                too_big.append(png.name)
    if too_big:
        print(
            f"docs_pictures: larger than {MAX_BYTES // 1024} KiB: {', '.join(too_big)}",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
