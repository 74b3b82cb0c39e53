#!/usr/bin/env python3
"""Benchmark `mlmon push`: 200 dashboards against the fake Grafana with 20 ms per request.

Scenarios: first push to an empty Grafana, an unchanged push, and a push after
one dashboard changed. Each runs with bounded concurrency (8 requests in
flight) and, as the baseline measured in the same run, sequentially (1).
Reports wall time, request counts by method, and the speed-up ratio.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import responses  # noqa: E402

from mlmon.grafana.apply import ApplyOptions, apply_plan  # noqa: E402
from mlmon.grafana.client import GrafanaClient  # noqa: E402
from mlmon.grafana.config import load_target  # noqa: E402
from mlmon.grafana.plan import build_plan  # noqa: E402
from mlmon.grafana.source import load_source  # noqa: E402
from tests.grafana.fake_grafana import FakeGrafana, schemas_available  # noqa: E402
from tests.grafana.fixtures import dashboard, rule_group, write_generated  # noqa: E402


def push(fake: FakeGrafana, generated: Path, concurrency: int) -> tuple[float, Counter, int]:
    """One full push (health, plan, apply); returns wall seconds, requests by method, failures."""
    fake.reset_log()
    started = time.perf_counter()
    target = load_target(env={"GRAFANA_URL": fake.url, "GRAFANA_TOKEN": fake.token or ""})
    client = GrafanaClient(target, pool_maxsize=concurrency)
    client.health()
    plan = build_plan(client, load_source(generated, target), concurrency=concurrency)
    outcomes = apply_plan(
        client, plan, ApplyOptions(message="mlmon bench", concurrency=concurrency)
    )
    client.close()
    return time.perf_counter() - started, fake.count(), sum(not o.applied for o in outcomes)


def scenario_set(workdir: Path, count: int, latency: float, concurrency: int) -> dict[str, tuple]:
    generated = write_generated(
        workdir,
        [dashboard(f"bench-{i:03d}", f"Bench {i:03d}", ["bench"], panels=6) for i in range(count)],
        [rule_group()],
    )
    results = {}
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        fake = FakeGrafana(token="bench-token", latency=latency).install(mock)
        results["first push"] = push(fake, generated, concurrency)
        results["unchanged push"] = push(fake, generated, concurrency)
        path = generated / "dashboards" / f"bench-{count // 2:03d}.json"
        model = json.loads(path.read_text())
        model["panels"][0]["targets"][0]["expr"] = "sum(rate(api_requests_total[1m]))"
        path.write_text(json.dumps(model))
        results["one dashboard changed"] = push(fake, generated, concurrency)
        if fake.violations:
            raise SystemExit("fake Grafana rejected requests:\n" + "\n".join(fake.violations[:5]))
    return results


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--dashboards", type=int, default=200)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args(argv)
    if not schemas_available():
        print("note: ../shared/grafana not found: the fake Grafana runs without schema checks")
    latency = args.latency_ms / 1000
    print(f"{args.dashboards} dashboards + 1 rule group, {args.latency_ms:g} ms per request")
    with tempfile.TemporaryDirectory() as tmp:
        baseline = scenario_set(Path(tmp) / "seq", args.dashboards, latency, 1)
        bounded = scenario_set(Path(tmp) / "par", args.dashboards, latency, args.concurrency)
    print(
        f"{'scenario':<22} {'sequential':>10} {f'{args.concurrency} in flight':>12} {'speed-up':>8}  "
        f"requests (GET/POST/PUT/DELETE), failures"
    )
    for name, (seq_s, _, _) in baseline.items():
        par_s, counts, failed = bounded[name]
        methods = "/".join(str(counts[m]) for m in ("GET", "POST", "PUT", "DELETE"))
        print(
            f"{name:<22} {seq_s:>9.2f}s {par_s:>11.2f}s {seq_s / par_s:>7.1f}x  {methods}, {failed}"
        )
    _, unchanged, _ = bounded["unchanged push"]
    resources = args.dashboards + 1 + 2  # dashboards, rule group, folders
    writes = unchanged["POST"] + unchanged["PUT"] + unchanged["DELETE"]
    per_resource = unchanged["GET"] - 2  # minus the health check and the one dashboard search
    print(
        f"unchanged push: {per_resource} reads for {resources} resources ({per_resource / resources:.2f} per "
        f"resource) + health check + 1 search; {writes} writes"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
