#!/usr/bin/env python3
"""Benchmark: /predict throughput and latency with instrumentation + prediction logging on vs off.

Part ``http`` (end to end) starts the reference API twice per round on a free
127.0.0.1 port — once with ``ML_API_INSTRUMENTATION=0`` (the baseline: no
middleware, no log) and once as shipped — and drives each with the same
closed-loop load generator (asyncio, keep-alive connections, pre-encoded
bodies) for a fixed time. Off and on runs alternate (and swap order every
round) so background noise hits both sides alike; the median of each side and
of the per-round on/off ratios are reported, with every round's ratio as the
spread. After each instrumented run, rows in the prediction log plus rows
dropped on purpose (buffer full, ``prediction_log_dropped_total``) are checked
against the predictions answered: nothing is lost silently.

Part ``inprocess`` calls the same apps through ASGI in one process, without
sockets or a load generator: off, on, and on with the prediction log written
the way it was before (executemany, one SQLite step and GIL hand-off per row),
a second baseline for the store's multi-row INSERT statements. Besides
throughput it reports the process's CPU time per prediction (the writer's work
included), which other load on the machine disturbs much less.

Part ``durable`` measures the cost of the durable mode (``PREDICTION_LOG_DURABLE=1``:
each response waits until its rows are committed) against the default mode
(answer first, commit within ``flush_interval``), alternating in the same run:
the median per-round throughput ratio durable/default is the figure to quote.

Part ``stall`` replays issue 12's fault run on a real server: /predict load
with the prediction log free, then with another connection holding its write
lock while /health is polled every 0.5 s (D4: throughput and latency must not
collapse; /health must answer at once), then a SIGKILL during the stall and a
restart (D6: answered predictions lost must be 0, the spill file replays them).

To measure a change to the instrumentation in one run, give ``--baseline-tree``
another checkout: its instrumented API joins the HTTP rounds as a third side.

    python scripts/bench_api.py [--part http|inprocess|durable|stall|all] [--endpoint /predict]
                                [--seconds 8] [--rounds 3] [--baseline-tree DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from exporter.store import PredictionStore  # noqa: E402
from ml_api import app as ml_api_app  # noqa: E402
from ml_api.housing import sample_houses, to_rows  # noqa: E402
from ml_api.settings import Settings  # noqa: E402
from tests.support.processes import free_port  # noqa: E402


@dataclass
class Result:
    label: str
    requests: int
    predictions: int
    errors: int
    seconds: float
    latencies: list[float]

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    @property
    def predictions_per_second(self) -> float:
        return self.predictions / self.seconds

    def percentile(self, q: float) -> float:
        return float(np.percentile(self.latencies, q)) * 1000 if self.latencies else float("nan")


def _request_bytes(port: int, path: str, body: bytes) -> bytes:
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


async def _connection(
    port: int, requests: list[bytes], stop_at: float, latencies: list[float], counts: dict[str, int]
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    i = 0
    try:
        while time.perf_counter() < stop_at:
            started = time.perf_counter()
            writer.write(requests[i % len(requests)])
            i += 1
            status_line = await reader.readline()
            length = 0
            while True:
                line = await reader.readline()
                if line in (b"\r\n", b""):
                    break
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            await reader.readexactly(length)
            latencies.append(time.perf_counter() - started)
            if status_line.split()[1] == b"200":
                counts["ok"] += 1
            else:
                counts["errors"] += 1
    finally:
        writer.close()


def run_load(
    port: int, path: str, bodies: list[bytes], seconds: float, connections: int
) -> tuple[int, int, list[float], float]:
    requests = [_request_bytes(port, path, b) for b in bodies]
    latencies: list[float] = []
    counts = {"ok": 0, "errors": 0}

    async def main() -> float:
        started = time.perf_counter()
        stop_at = started + seconds
        await asyncio.gather(
            *(
                _connection(port, requests[k::connections] or requests, stop_at, latencies, counts)
                for k in range(connections)
            )
        )
        return time.perf_counter() - started

    elapsed = asyncio.run(main())
    return counts["ok"], counts["errors"], latencies, elapsed


class Api:
    def __init__(
        self,
        instrumented: bool,
        workdir: Path,
        tree: Path = ROOT,
        env: dict[str, str] | None = None,
        db: Path | None = None,
    ):
        self.port = free_port()
        self.db = db or workdir / f"bench-{self.port}.db"
        env = {
            **os.environ,
            "API_PORT": str(self.port),
            "METRICS_DB_PATH": str(self.db),
            "ML_API_INSTRUMENTATION": "1" if instrumented else "0",
            **(env or {}),
        }
        self.log = open(workdir / f"api-{self.port}.log", "wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "ml_api"],
            env=env,
            cwd=tree,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"API exited with {self.proc.returncode}; see {self.log.name}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/health", timeout=1):
                    return
            except OSError:
                time.sleep(0.2)
        raise TimeoutError("API did not start within 60 s")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(30)
        self.log.close()

    def dropped_rows(self) -> float:
        with urllib.request.urlopen(
            f"http://127.0.0.1:{self.port}/metrics", timeout=10
        ) as response:
            for line in response.read().decode().splitlines():
                if line.startswith("prediction_log_dropped_total "):
                    return float(line.split()[1])
        return float("nan")

    def logged_rows(self) -> int:
        with sqlite3.connect(self.db) as conn:
            return conn.execute("SELECT count(*) FROM predictions").fetchone()[0]


def bench(
    label: str,
    instrumented: bool,
    path: str,
    bodies: list[bytes],
    per_request: int,
    args: argparse.Namespace,
    workdir: Path,
    tree: Path = ROOT,
    env: dict[str, str] | None = None,
) -> Result:
    api = Api(instrumented, workdir, tree, env)
    try:
        warm_ok = run_load(api.port, path, bodies, 1.0, args.connections)[
            0
        ]  # warm-up, not measured
        ok, errors, latencies, elapsed = run_load(
            api.port, path, bodies, args.seconds, args.connections
        )
        dropped = api.dropped_rows() if instrumented else 0
    finally:
        api.stop()
    if instrumented:
        logged = api.logged_rows()
        expected = (ok + warm_ok) * per_request
        print(
            f"    {label}: prediction log rows {logged} + dropped (buffer full, counted) {dropped:.0f} "
            f"({dropped / expected if expected else 0:.1%}) = {logged + dropped:.0f}; "
            f"predictions answered incl. warm-up {expected}"
            + ("" if logged + dropped == expected else "  <-- MISMATCH"),
            flush=True,
        )
    return Result(label, ok, ok * per_request, errors, elapsed, latencies)


def summarize(endpoint: str, off: list[Result], on: list[Result]) -> None:
    """Medians of each side, and the on/off ratio per round (paired: the two runs of a round were adjacent)."""
    median = statistics.median
    ratios = [b.predictions_per_second / a.predictions_per_second for a, b in zip(off, on)]

    def side(results: list[Result]) -> str:
        return (
            f"{median(r.predictions_per_second for r in results):9.0f} pred/s "
            f"p50 {median(r.percentile(50) for r in results):.2f} ms "
            f"p99 {median(r.percentile(99) for r in results):.2f} ms"
        )

    print(f"  {endpoint:15s} off {side(off)} | on {side(on)}")
    print(
        f"  {'':15s} throughput ratio on/off: median {median(ratios):.3f} (overhead {1 - median(ratios):+.1%}); "
        f"per round {', '.join(f'{r:.3f}' for r in ratios)}"
    )


class RowByRowStore(PredictionStore):
    """The store's write path before multi-row statements: executemany, one step per row."""

    def _insert(self, into: str, rows: Sequence[tuple]) -> int:
        conn = self._connection()
        conn.execute("BEGIN IMMEDIATE")
        before = conn.total_changes
        conn.executemany(
            f"INSERT OR IGNORE INTO {into} VALUES ({','.join('?' * len(rows[0]))})", rows
        )
        conn.execute("COMMIT")
        return conn.total_changes - before


async def _call_asgi(app: Any, path: str, body: bytes) -> int:
    """One POST through the ASGI interface, as uvicorn would make it; returns the status."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"127.0.0.1"),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }
    messages = [{"type": "http.request", "body": body, "more_body": False}]
    status = 0

    async def receive() -> dict:
        return messages.pop() if messages else {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)
    return status


class InProcessApi:
    """One app, called through ASGI; counts what it answered to check the prediction log after each part."""

    def __init__(self, variant: str, workdir: Path):
        self.variant = variant
        self.db = workdir / f"inprocess-{variant.replace(' ', '').replace(',', '-')}.db"
        store_class = RowByRowStore if variant == "on, row by row" else PredictionStore
        ml_api_app.PredictionStore = store_class  # type: ignore[misc]  # the store create_app opens
        try:
            self.app = ml_api_app.create_app(
                Settings(
                    db_path=str(self.db),
                    instrumentation=variant != "off",
                    log_durable=variant == "on, durable",
                )
            )
        finally:
            ml_api_app.PredictionStore = PredictionStore  # type: ignore[misc]
        self.monitoring = self.app.state.service.monitoring
        self.answered = self.logged = self.dropped = 0

    def measure(
        self, path: str, bodies: list[bytes], per_request: int, requests: int
    ) -> tuple[float, float]:
        """Predictions per second (wall clock), and CPU microseconds per prediction of the whole process
        including the log writer's work for them: far less sensitive to other load on the machine."""

        async def drive() -> tuple[float, float]:
            for body in bodies[:20]:  # warm-up, not measured
                await self._post(path, body)
            if self.monitoring is not None:
                self.monitoring.writer.flush(timeout=120)
            started, cpu = time.perf_counter(), time.process_time()
            for i in range(requests):
                await self._post(path, bodies[i % len(bodies)])
            return time.perf_counter() - started, cpu

        elapsed, cpu = asyncio.run(drive())
        if self.monitoring is not None:
            self.monitoring.writer.flush(
                timeout=120
            )  # the writer's share of the cost belongs to this run
        cpu = time.process_time() - cpu
        self.answered += (requests + min(20, len(bodies))) * per_request
        return requests * per_request / elapsed, cpu / (requests * per_request) * 1e6

    async def _post(self, path: str, body: bytes) -> None:
        if await _call_asgi(self.app, path, body) != 200:
            raise RuntimeError(f"{path} failed in the in-process benchmark ({self.variant})")

    def log_summary(self) -> str:
        """Rows logged and dropped since the last call; all answered predictions must be one or the other."""
        if self.monitoring is None:
            return ""
        self.monitoring.writer.flush(timeout=120)
        logged = PredictionStore(self.db).max_prediction_id() - self.logged
        dropped = self.monitoring.writer.stats.dropped - self.dropped
        answered, self.answered = self.answered, 0
        self.logged, self.dropped = self.logged + logged, self.dropped + dropped
        return f"logged {logged} + dropped {dropped} ({dropped / answered:.0%})" + (
            "" if logged + dropped == answered else f" != answered {answered}  <-- MISMATCH"
        )

    def close(self) -> None:
        if self.monitoring is not None:
            self.monitoring.close()


def run_in_process(
    args: argparse.Namespace, single: list[bytes], batches: list[bytes], workdir: Path
) -> None:
    rounds = args.rounds + 2
    print(f"\nin-process ASGI calls (no sockets): {rounds} rounds, variants alternate", flush=True)
    apis = [
        InProcessApi(variant, workdir) for variant in ("off", "on", "on, row by row", "on, durable")
    ]
    for path, bodies, per, requests in (
        ("/predict", single, 1, 2_000),
        ("/predict/batch", batches, args.batch_size, 100),
    ):
        if path not in args.endpoints:
            continue
        rates: dict[str, list[float]] = {api.variant: [] for api in apis}
        cpu: dict[str, list[float]] = {api.variant: [] for api in apis}
        for round_no in range(rounds):
            for api in apis if round_no % 2 == 0 else apis[::-1]:
                rate, cpu_us = api.measure(path, bodies, per, requests)
                rates[api.variant].append(rate)
                cpu[api.variant].append(cpu_us)
        for api in apis:
            ratios = [value / base for value, base in zip(rates[api.variant], rates["off"])]
            cpu_ratios = [value / base for value, base in zip(cpu[api.variant], cpu["off"])]
            print(
                f"  {path:15s} {api.variant:15s} {statistics.median(rates[api.variant]):7.0f} pred/s, ratio to off "
                f"{statistics.median(ratios):.3f} (rounds {', '.join(f'{r:.2f}' for r in ratios)}) | "
                f"CPU {statistics.median(cpu[api.variant]):6.1f} us/pred, ratio to off "
                f"{statistics.median(cpu_ratios):.3f} (rounds {', '.join(f'{r:.2f}' for r in cpu_ratios)})  "
                f"{api.log_summary()}",
                flush=True,
            )
        # Durable mode against the default, same rounds (sequential calls: no group commit to share).
        durable = [d / o for d, o in zip(rates["on, durable"], rates["on"])]
        durable_cpu = [d / o for d, o in zip(cpu["on, durable"], cpu["on"])]
        print(
            f"  {path:15s} durable/default: throughput ratio {statistics.median(durable):.3f} "
            f"(rounds {', '.join(f'{r:.2f}' for r in durable)}), CPU per prediction ratio "
            f"{statistics.median(durable_cpu):.3f} (rounds {', '.join(f'{r:.2f}' for r in durable_cpu)})",
            flush=True,
        )
    for api in apis:
        api.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--seconds", type=float, default=8.0, help="measured seconds per run (default %(default)s)"
    )
    parser.add_argument("--rounds", type=int, default=3, help="off/on pairs (default %(default)s)")
    parser.add_argument(
        "--connections", type=int, default=16, help="concurrent keep-alive connections"
    )
    parser.add_argument(
        "--batch-size", type=int, default=100, help="houses per /predict/batch request"
    )
    parser.add_argument(
        "--endpoint",
        action="append",
        choices=("/predict", "/predict/batch"),
        dest="endpoints",
        help="measure only this endpoint (repeatable; default both)",
    )
    parser.add_argument(
        "--baseline-tree",
        type=Path,
        metavar="DIR",
        help="another checkout (e.g. `git worktree add /tmp/base HEAD~1`): its instrumented API "
        "joins the HTTP rounds as a third side, to measure a change in the same run",
    )
    parser.add_argument(
        "--part",
        choices=("http", "inprocess", "durable", "stall", "all"),
        default="all",
        help="end-to-end HTTP runs, in-process ASGI runs, the durable mode's cost, the "
        "database-stall fault run, or all of them (default %(default)s)",
    )
    args = parser.parse_args(argv)
    args.endpoints = args.endpoints or ["/predict", "/predict/batch"]

    rows = to_rows(sample_houses(np.random.default_rng(7), 2_000))
    single = [json.dumps(r).encode() for r in rows]
    batches = [
        json.dumps({"instances": rows[i : i + args.batch_size]}).encode()
        for i in range(0, len(rows), args.batch_size)
    ]
    with tempfile.TemporaryDirectory(prefix="mlmon-bench-api-") as tmp:
        if args.part in ("inprocess", "all"):
            run_in_process(args, single, batches, Path(tmp))
        if args.part in ("http", "all"):
            run_http(args, single, batches, Path(tmp))
        if args.part in ("durable", "all"):
            run_durable(args, single, batches, Path(tmp))
        if args.part in ("stall", "all"):
            run_stall(args, single, Path(tmp))
    return 0


def run_durable(
    args: argparse.Namespace, single: list[bytes], batches: list[bytes], workdir: Path
) -> None:
    print(
        f"\ndurable mode (PREDICTION_LOG_DURABLE=1) vs default, end-to-end HTTP: {args.connections} "
        f"connections, {args.seconds:.0f} s per run, {args.rounds} round(s), sides alternate",
        flush=True,
    )
    sides = {"default": {}, "durable": {"PREDICTION_LOG_DURABLE": "1"}}
    for endpoint, bodies, per in (
        ("/predict", single, 1),
        ("/predict/batch", batches, args.batch_size),
    ):
        if endpoint not in args.endpoints:
            continue
        results: dict[str, list[Result]] = {"default": [], "durable": []}
        for round_no in range(args.rounds):
            order = list(sides) if round_no % 2 == 0 else list(sides)[::-1]
            for side in order:
                result = bench(
                    f"{endpoint} {side}",
                    True,
                    endpoint,
                    bodies,
                    per,
                    args,
                    workdir,
                    env=sides[side],
                )
                results[side].append(result)
                print(
                    f"  round {round_no + 1} {endpoint} {side:8s} {result.predictions_per_second:9.0f} "
                    f"predictions/s  p50 {result.percentile(50):6.2f} ms  p99 {result.percentile(99):6.2f} ms  "
                    f"errors {result.errors}",
                    flush=True,
                )
        ratios = [
            d.predictions_per_second / b.predictions_per_second
            for b, d in zip(results["default"], results["durable"])
        ]
        p50 = [
            d.percentile(50) / b.percentile(50)
            for b, d in zip(results["default"], results["durable"])
        ]
        print(
            f"  {endpoint}: throughput ratio durable/default: median {statistics.median(ratios):.3f} "
            f"(per round {', '.join(f'{r:.3f}' for r in ratios)}); p50 latency ratio "
            f"{statistics.median(p50):.2f}",
            flush=True,
        )


def run_stall(args: argparse.Namespace, single: list[bytes], workdir: Path) -> None:
    """Issue 12's D4/D6 fault run: load while another connection holds the log's write lock."""
    print(
        f"\ndatabase stall: /predict with {args.connections} connections for {args.seconds:.0f} s with the "
        "log free, then as long with its write lock held by another connection and /health polled "
        "every 0.5 s; then SIGKILL during the stall, release, restart",
        flush=True,
    )
    db = workdir / "stall.db"
    api = Api(True, workdir, db=db)
    health_seconds: list[float] = []
    health_status: dict[int, int] = {}
    stop = threading.Event()

    def poll_health() -> None:
        while not stop.wait(0.5):
            started = time.perf_counter()
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{api.port}/health", timeout=10
                ) as response:
                    status = response.status
            except urllib.error.HTTPError as err:
                status = err.code
            health_seconds.append(time.perf_counter() - started)
            health_status[status] = health_status.get(status, 0) + 1

    try:
        free_ok, _, free_lat, free_elapsed = run_load(
            api.port, "/predict", single, args.seconds, args.connections
        )
        blocker = sqlite3.connect(db, timeout=0)
        blocker.execute("BEGIN IMMEDIATE")
        poller = threading.Thread(target=poll_health, daemon=True)
        poller.start()
        locked_ok, locked_err, locked_lat, locked_elapsed = run_load(
            api.port, "/predict", single, args.seconds, args.connections
        )
        stop.set()
        poller.join()
        answered = free_ok + locked_ok
        api.proc.kill()  # SIGKILL while the lock is still held
        api.proc.wait(30)
        api.log.close()
        blocker.rollback()
        blocker.close()
    except BaseException:
        api.stop()
        raise
    free_rate, locked_rate = free_ok / free_elapsed, locked_ok / locked_elapsed
    print(
        f"  log free:   {free_rate:7.0f} predictions/s, max latency {max(free_lat) * 1000:7.1f} ms\n"
        f"  log locked: {locked_rate:7.0f} predictions/s, max latency {max(locked_lat) * 1000:7.1f} ms, "
        f"errors {locked_err}; throughput ratio locked/free {locked_rate / free_rate:.3f}\n"
        f"  /health during the stall: {sum(health_status.values())} polls, statuses {health_status}, "
        f"slowest answer {max(health_seconds, default=float('nan')) * 1000:.1f} ms",
        flush=True,
    )
    restarted = Api(True, workdir, db=db)  # replays the spill file at start
    try:
        deadline = time.monotonic() + 60
        while restarted.logged_rows() < answered and time.monotonic() < deadline:
            time.sleep(0.2)
        logged = restarted.logged_rows()
    finally:
        restarted.stop()
    print(
        f"  SIGKILL during the stall: {answered} predictions answered (incl. before the stall), "
        f"{logged} in the log after restart, lost {max(0, answered - logged)}",
        flush=True,
    )


def run_http(
    args: argparse.Namespace, single: list[bytes], batches: list[bytes], workdir: Path
) -> None:
    print(
        f"\nend-to-end HTTP: cpus: {os.cpu_count()}, {args.connections} connections, {args.seconds:.0f} s per run, "
        f"{args.rounds} round(s); server and load generator share the machine",
        flush=True,
    )
    results: dict[str, list[Result]] = {}
    for round_no in range(args.rounds):
        sides = ["off", "on", *(["on (baseline tree)"] if args.baseline_tree else [])]
        for label, path, bodies, per in (
            *(
                (f"/predict {side}", "/predict", single, 1)
                for side in sides[:: 1 if round_no % 2 == 0 else -1]
            ),
            *(
                (f"/predict/batch {side}", "/predict/batch", batches, args.batch_size)
                for side in sides[:: 1 if round_no % 2 == 0 else -1]
            ),
        ):
            if path not in args.endpoints:
                continue
            tree = args.baseline_tree if label.endswith("(baseline tree)") else ROOT
            result = bench(
                label, not label.endswith(" off"), path, bodies, per, args, workdir, tree
            )
            print(
                f"  round {round_no + 1} {label:20s} {result.rps:8.0f} req/s  "
                f"{result.predictions_per_second:9.0f} predictions/s  p50 {result.percentile(50):6.2f} ms  "
                f"p99 {result.percentile(99):6.2f} ms  errors {result.errors}",
                flush=True,
            )
            results.setdefault(label, []).append(result)

    print(
        "\nmedian of the rounds (instrumentation + prediction log on vs off, same run, rounds alternate):"
    )
    for endpoint in args.endpoints:
        summarize(endpoint, results[f"{endpoint} off"], results[f"{endpoint} on"])
        if args.baseline_tree:
            summarize(
                f"{endpoint} (baseline tree)",
                results[f"{endpoint} off"],
                results[f"{endpoint} on (baseline tree)"],
            )


if __name__ == "__main__":
    sys.exit(main())
