"""The demo's dashboards page: previews of the compiled dashboards redrawn from the demo's Prometheus.

Rendering runs in a background thread, one at a time, so the status lines keep
their pace; the HTML page is served on 127.0.0.1 and reloads itself.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

from mlmon.preview.html import placeholder, write_site
from mlmon.preview.render import PreviewOptions, render_files
from mlmon.preview.timerange import TimeRange

PAGE_REFRESH_SECONDS = 30
# The range shown: the run so far and a little before it (at least a minute), at most an hour.
MIN_RANGE, MAX_RANGE = 60.0, 3600.0


class DemoPreviews:
    def __init__(
        self, dashboards: Path, out_dir: Path, prometheus_url: str, log_path: Path
    ) -> None:
        self.dashboards = dashboards
        self.out_dir = out_dir
        self.prometheus_url = prometheus_url
        self.log_path = log_path
        self.started = time.time()
        self._worker: threading.Thread | None = None
        self.last_result = ""

    def files(self) -> list[Path]:
        return sorted(self.dashboards.glob("*.json"))

    def write_placeholder(self, first_in: float) -> None:
        placeholder(
            self.out_dir,
            f"The first previews of the dashboards are drawn about {first_in:.0f} s after the traffic starts; "
            "this page reloads by itself.",
            PAGE_REFRESH_SECONDS,
        )

    def render(self) -> str:
        """Draw every dashboard now; a one-line result for the status output."""
        files = self.files()
        if not files:
            return "dashboards: nothing to draw (no generated/dashboards/*.json; run `mlmon build`)"
        seconds = min(max(time.time() - self.started + 30, MIN_RANGE), MAX_RANGE)
        options = PreviewOptions(self.prometheus_url, TimeRange.parse(f"{seconds:.0f}s", "now"))
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "a") as log:

            def note(line: str) -> None:
                print(line, file=log, flush=True)

            try:
                previews = render_files(files, options, self.out_dir, log=note)
            except Exception as exc:  # the demo goes on without pictures; the log says why
                note(f"rendering failed: {exc!r}")
                return f"dashboards: could not be drawn ({exc}); see {self.log_path}"
        write_site(self.out_dir, previews, self.prometheus_url, PAGE_REFRESH_SECONDS)
        empty = sum(1 for p in previews for panel in p.panels if panel.state == "no-data")
        stamp = time.strftime("%H:%M:%S")
        self.last_result = (
            f"dashboards: {len(previews)} redrawn at {stamp} ({empty} panels with no data yet)"
        )
        return self.last_result

    def render_in_background(self, say: Callable[[str], None]) -> bool:
        """Start a render unless one is still running; ``say`` gets its result line."""
        if self._worker is not None and self._worker.is_alive():
            return False
        self._worker = threading.Thread(
            target=lambda: say("  " + self.render()), name="demo-preview", daemon=True
        )
        self._worker.start()
        return True

    def wait(self, timeout: float = 60.0) -> None:
        if self._worker is not None:
            self._worker.join(timeout)
