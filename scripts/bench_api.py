#!/usr/bin/env python3
"""Benchmark: /predict throughput and latency with instrumentation + prediction logging on vs off.

Starts the reference API twice per round on a free 127.0.0.1 port — once with
``ML_API_INSTRUMENTATION=0`` (the baseline: no middleware, no log) and once as
shipped — and drives each with the same closed-loop load generator (asyncio,
keep-alive connections, pre-encoded bodies) for a fixed time. Rounds
alternate so background noise hits both sides alike; the best round of each
side is reported. After each instrumented run, rows in the prediction log plus
rows dropped on purpose (buffer full, ``prediction_log_dropped_total``) are
checked against the predictions answered: nothing is lost silently.

    python scripts/bench_api.py [--seconds 8] [--rounds 2] [--connections 16]
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
              f"= {logged + dropped:.0f}; predictions answered incl. warm-up {expected}"
              + ("" if logged + dropped == expected else "  <-- MISMATCH"), flush=True)
    return Result(label, ok, ok * per_request, errors, elapsed, latencies)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=8.0, help="measured seconds per run (default %(default)s)")
    parser.add_argument("--rounds", type=int, default=2, help="off/on pairs (default %(default)s)")
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
            for label, instrumented, path, bodies, per in (
                ("/predict off", False, "/predict", single, 1),
                ("/predict on", True, "/predict", single, 1),
                ("/predict/batch off", False, "/predict/batch", batches, args.batch_size),
                ("/predict/batch on", True, "/predict/batch", batches, args.batch_size),
            ):
                result = bench(label, instrumented, path, bodies, per, args, Path(tmp))
                print(f"  round {round_no + 1} {label:20s} {result.rps:8.0f} req/s  "
                      f"{result.predictions_per_second:9.0f} predictions/s  p50 {result.percentile(50):6.2f} ms  "
                      f"p99 {result.percentile(99):6.2f} ms  errors {result.errors}", flush=True)
                results.setdefault(label, []).append(result)

    best = {label: max(rs, key=lambda r: r.rps) for label, rs in results.items()}
    print("\nbest round of each (instrumentation + prediction log on vs off, same run):")
    for endpoint in ("/predict", "/predict/batch"):
        off, on = best[f"{endpoint} off"], best[f"{endpoint} on"]
        overhead = 1 - on.predictions_per_second / off.predictions_per_second
        print(f"  {endpoint:15s} off {off.predictions_per_second:9.0f} pred/s p50 {off.percentile(50):.2f} ms "
              f"p99 {off.percentile(99):.2f} ms | on {on.predictions_per_second:9.0f} pred/s "
              f"p50 {on.percentile(50):.2f} ms p99 {on.percentile(99):.2f} ms | "
              f"throughput ratio on/off {on.predictions_per_second / off.predictions_per_second:.3f} "
              f"(overhead {overhead:+.1%}), p50 ratio {on.percentile(50) / off.percentile(50):.3f}")
    print(f"  spread between rounds (/predict on): "
          f"{statistics.pstdev([r.rps for r in results['/predict on']]) / best['/predict on'].rps:.1%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
