#!/usr/bin/env python3
"""Benchmark: /predict throughput and latency with instrumentation + prediction logging on vs off.

Starts the reference API twice per round on a free 127.0.0.1 port — once with
``ML_API_INSTRUMENTATION=0`` (the baseline: no middleware, no log) and once as
shipped — and drives each with the same closed-loop load generator (asyncio,
keep-alive connections, pre-encoded bodies) for a fixed time. Off and on
runs alternate (and swap order every round) so background noise hits both
sides alike; the median of each side and of the per-round on/off ratios are
reported, with every round's ratio as the spread. After each instrumented run, rows in the prediction log plus
rows dropped on purpose (buffer full, ``prediction_log_dropped_total``) are
checked against the predictions answered: nothing is lost silently.

    python scripts/bench_api.py [--seconds 8] [--rounds 3] [--connections 16]
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
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ml_api.housing import sample_houses, to_rows  # noqa: E402


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


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _request_bytes(port: int, path: str, body: bytes) -> bytes:
    head = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n")
    return head.encode() + body


async def _connection(port: int, requests: list[bytes], stop_at: float, latencies: list[float],
                      counts: dict[str, int]) -> None:
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


def run_load(port: int, path: str, bodies: list[bytes], seconds: float, connections: int) -> tuple[int, int, list[float], float]:
    requests = [_request_bytes(port, path, b) for b in bodies]
    latencies: list[float] = []
    counts = {"ok": 0, "errors": 0}

    async def main() -> float:
        started = time.perf_counter()
        stop_at = started + seconds
        await asyncio.gather(*(_connection(port, requests[k::connections] or requests, stop_at, latencies, counts)
                               for k in range(connections)))
        return time.perf_counter() - started

    elapsed = asyncio.run(main())
    return counts["ok"], counts["errors"], latencies, elapsed


class Api:
    def __init__(self, instrumented: bool, workdir: Path):
        self.port = _free_port()
        self.db = workdir / f"bench-{self.port}.db"
        env = {**os.environ, "API_PORT": str(self.port), "METRICS_DB_PATH": str(self.db),
               "ML_API_INSTRUMENTATION": "1" if instrumented else "0"}
        self.log = open(workdir / f"api-{self.port}.log", "wb")
        self.proc = subprocess.Popen([sys.executable, "-m", "ml_api"], env=env, cwd=ROOT,
                                     stdout=self.log, stderr=subprocess.STDOUT)
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
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/metrics", timeout=10) as response:
            for line in response.read().decode().splitlines():
                if line.startswith("prediction_log_dropped_total "):
                    return float(line.split()[1])
        return float("nan")

    def logged_rows(self) -> int:
        with sqlite3.connect(self.db) as conn:
            return conn.execute("SELECT count(*) FROM predictions").fetchone()[0]


def bench(label: str, instrumented: bool, path: str, bodies: list[bytes], per_request: int, args: argparse.Namespace,
          workdir: Path) -> Result:
    api = Api(instrumented, workdir)
    try:
        warm_ok = run_load(api.port, path, bodies, 1.0, args.connections)[0]  # warm-up, not measured
        ok, errors, latencies, elapsed = run_load(api.port, path, bodies, args.seconds, args.connections)
        dropped = api.dropped_rows() if instrumented else 0
    finally:
        api.stop()
    if instrumented:
        logged = api.logged_rows()
        expected = (ok + warm_ok) * per_request
        print(f"    {label}: prediction log rows {logged} + dropped (buffer full, counted) {dropped:.0f} "
              f"({dropped / expected if expected else 0:.1%}) = {logged + dropped:.0f}; "
              f"predictions answered incl. warm-up {expected}"
              + ("" if logged + dropped == expected else "  <-- MISMATCH"), flush=True)
    return Result(label, ok, ok * per_request, errors, elapsed, latencies)


def summarize(endpoint: str, off: list[Result], on: list[Result]) -> None:
    """Medians of each side, and the on/off ratio per round (paired: the two runs of a round were adjacent)."""
    median = statistics.median
    ratios = [b.predictions_per_second / a.predictions_per_second for a, b in zip(off, on)]

    def side(results: list[Result]) -> str:
        return (f"{median(r.predictions_per_second for r in results):9.0f} pred/s "
                f"p50 {median(r.percentile(50) for r in results):.2f} ms "
                f"p99 {median(r.percentile(99) for r in results):.2f} ms")

    print(f"  {endpoint:15s} off {side(off)} | on {side(on)}")
    print(f"  {'':15s} throughput ratio on/off: median {median(ratios):.3f} (overhead {1 - median(ratios):+.1%}); "
          f"per round {', '.join(f'{r:.3f}' for r in ratios)}")


def main() -> float:
        started = time.perf_counter()
        stop_at = started + seconds
        await asyncio.gather(*(_connection(port, requests[k::connections] or requests, stop_at, latencies, counts)
                               for k in range(connections)))
        return time.perf_counter() - started

    elapsed = asyncio.run(main())
    return counts["ok"], counts["errors"], latencies, elapsed


class Api:
    def __init__(self, instrumented: bool, workdir: Path):
        self.port = _free_port()
        self.db = workdir / f"bench-{self.port}.db"
        env = {**os.environ, "API_PORT": str(self.port), "METRICS_DB_PATH": str(self.db),
               "ML_API_INSTRUMENTATION": "1" if instrumented else "0"}
        self.log = open(workdir / f"api-{self.port}.log", "wb")
        self.proc = subprocess.Popen([sys.executable, "-m", "ml_api"], env=env, cwd=ROOT,
                                     stdout=self.log, stderr=subprocess.STDOUT)
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
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/metrics", timeout=10) as response:
            for line in response.read().decode().splitlines():
                if line.startswith("prediction_log_dropped_total "):
                    return float(line.split()[1])
        return float("nan")

    def logged_rows(self) -> int:
        with sqlite3.connect(self.db) as conn:
            return conn.execute("SELECT count(*) FROM predictions").fetchone()[0]


def bench(label: str, instrumented: bool, path: str, bodies: list[bytes], per_request: int, args: argparse.Namespace,
          workdir: Path) -> Result:
    api = Api(instrumented, workdir)
    try:
        warm_ok = run_load(api.port, path, bodies, 1.0, args.connections)[0]  # warm-up, not measured
        ok, errors, latencies, elapsed = run_load(api.port, path, bodies, args.seconds, args.connections)
        dropped = api.dropped_rows() if instrumented else 0
    finally:
        api.stop()
    if instrumented:
        logged = api.logged_rows()
        expected = (ok + warm_ok) * per_request
        print(f"    {label}: prediction log rows {logged} + dropped (buffer full, counted) {dropped:.0f} "
              f"({dropped / expected if expected else 0:.1%}) = {logged + dropped:.0f}; "
              f"predictions answered incl. warm-up {expected}"
              + ("" if logged + dropped == expected else "  <-- MISMATCH"), flush=True)
    return Result(label, ok, ok * per_request, errors, elapsed, latencies)


def summarize(endpoint: str, off: list[Result], on: list[Result]) -> None:
    """Medians of each side, and the on/off ratio per round (paired: the two runs of a round were adjacent)."""
    ratios = [b.predictions_per_second / a.predictions_per_second for a, b in zip(off, on)]
    off_rate = statistics.median([r.predictions_per_second for r in off])
    on_rate = statistics.median([r.predictions_per_second for r in on])
    print(f"  {endpoint:15s} off {off_rate:9.0f} pred/s p50 {statistics.median([r.percentile(50) for r in off]):.2f} ms "
          f"p99 {statistics.median([r.percentile(99) for r in off]):.2f} ms | on {on_rate:9.0f} pred/s "
          f"p50 {statistics.median([r.percentile(50) for r in on]):.2f} ms p99 {statistics.median([r.percentile(99) for r in on]):.2f} ms")
    print(f"  {'':15s} throughput ratio on/off: median {statistics.median(ratios):.3f} (overhead {1 - statistics.median(ratios):+.1%}), "
          f"rounds {', '.join(f'{r:.3f}' for r in ratios)}; ratio of medians {on_rate / off_rate:.3f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=8.0, help="measured seconds per run (default %(default)s)")
    parser.add_argument("--rounds", type=int, default=3, help="off/on pairs (default %(default)s)")
    parser.add_argument("--connections", type=int, default=16, help="concurrent keep-alive connections")
    parser.add_argument("--batch-size", type=int, default=100, help="houses per /predict/batch request")
    args = parser.parse_args(argv)

    rows = to_rows(sample_houses(np.random.default_rng(7), 2_000))
    single = [json.dumps(r).encode() for r in rows]
    batches = [json.dumps({"instances": rows[i:i + args.batch_size]}).encode()
               for i in range(0, len(rows), args.batch_size)]
    print(f"cpus: {os.cpu_count()}, {args.connections} connections, {args.seconds:.0f} s per run, "
          f"{args.rounds} round(s); server and load generator share the machine", flush=True)
    results: dict[str, list[Result]] = {}
    with tempfile.TemporaryDirectory(prefix="mlmon-bench-api-") as tmp:
        for round_no in range(args.rounds):
            sides = (False, True) if round_no % 2 == 0 else (True, False)
            for label, instrumented, path, bodies, per in (
                *((f"/predict {'on' if on else 'off'}", on, "/predict", single, 1) for on in sides),
                *((f"/predict/batch {'on' if on else 'off'}", on, "/predict/batch", batches, args.batch_size)
                  for on in sides),
            ):
                result = bench(label, instrumented, path, bodies, per, args, Path(tmp))
                print(f"  round {round_no + 1} {label:20s} {result.rps:8.0f} req/s  "
                      f"{result.predictions_per_second:9.0f} predictions/s  p50 {result.percentile(50):6.2f} ms  "
                      f"p99 {result.percentile(99):6.2f} ms  errors {result.errors}", flush=True)
                results.setdefault(label, []).append(result)

    print("\nmedian of the rounds (instrumentation + prediction log on vs off, same run, rounds alternate):")
    for endpoint in ("/predict", "/predict/batch"):
        summarize(endpoint, results[f"{endpoint} off"], results[f"{endpoint} on"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
