#!/usr/bin/env python3
"""Run every benchmark script (scripts/bench_*.py) in turn: `make bench`.

Each script measures its own baseline in the same run and prints ratios
against it; figures are reported, never asserted. Pass names to run a subset:
`python scripts/bench.py exporter api`.

Some comparisons need the code as it was: ``bench_exporter.py`` compares its
steady-state cycle with the exporter of the commit before issue 18's work
(:data:`BEFORE`), extracted from this repository's history with ``git archive``
into a temporary directory. Without git or that commit (a shallow clone) the
comparison is skipped and says so.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

HERE = Path(__file__).resolve().parent

# script stem -> (commit whose code is the "before", what it was)
BEFORE = {
    "bench_exporter": ("683065c", "the exporter before issue 18 (2026-12-01)"),
}


@contextlib.contextmanager
def checkout_of(commit: str) -> Iterator[Path | None]:
    """The tree of ``commit`` in a temporary directory, or None (with the reason printed) without git
    or without that commit."""
    with tempfile.TemporaryDirectory(prefix="bench-before-") as work:
        archive = Path(work) / "tree.tar"
        try:
            with archive.open("wb") as out:
                subprocess.run(
                    ["git", "archive", "--format=tar", commit],
                    cwd=HERE.parent,
                    stdout=out,
                    stderr=subprocess.PIPE,
                    check=True,
                )
        except (OSError, subprocess.CalledProcessError) as exc:
            detail = getattr(exc, "stderr", b"") or str(exc).encode()
            print(
                f"(no before/after comparison: cannot extract commit {commit}: "
                f"{detail.decode(errors='replace').strip()})",
                flush=True,
            )
            yield None
            return
        tree = Path(work) / "tree"
        with tarfile.open(archive) as tar:
            try:
                tar.extractall(tree, filter="data")
            except TypeError:  # Python < 3.11.4: no filters (the archive is our own history)
                tar.extractall(tree)
        yield tree


def main(argv: list[str]) -> int:
    scripts = sorted(HERE.glob("bench_*.py"))
    if argv:
        scripts = [s for s in scripts if any(name in s.stem for name in argv)]
    if not scripts:
        print("no benchmark scripts matched", file=sys.stderr)
        return 2
    failed = []
    for script in scripts:
        print(f"\n=== {script.name} ===", flush=True)
        start = time.perf_counter()
        with contextlib.ExitStack() as stack:
            command = [sys.executable, str(script)]
            if script.stem in BEFORE:
                commit, what = BEFORE[script.stem]
                tree = stack.enter_context(checkout_of(commit))
                if tree is not None:
                    print(f"(before: {what}, commit {commit})", flush=True)
                    command += ["--baseline-tree", str(tree)]
            rc = subprocess.call(command, cwd=HERE.parent)
        print(f"--- {script.name}: exit {rc} in {time.perf_counter() - start:.1f}s", flush=True)
        if rc:
            failed.append(script.name)
    if failed:
        print(f"\nbenchmarks that failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
