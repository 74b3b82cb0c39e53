"""``python -m ml_api.simulate``: realistic traffic for the house-price API, with injected trouble.

Sends real HTTP requests at a chosen rate to an API on this machine (127.0.0.1,
localhost or ::1 only — it refuses anything else), bounded by ``--duration``
and/or ``--count``. Houses come from the same seeded market the models were
trained on, so the simulator knows each house's true price and sends it back
through ``POST /feedback`` after ``--feedback-delay`` seconds. Injections
(see :mod:`ml_api.injections`) add covariate drift, unseen categories, missing
or malformed fields, a degraded model, latency spikes and 5xx errors, on a
schedule (``--inject``) or on command while running (``--commands``: one
spec per line on stdin).
"""

from __future__ import annotations

import argparse
import dataclasses
import heapq
import http.client
import itertools
import json
import sys
import threading
import time
import urllib.parse
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import IO, Any

import numpy as np

from ml_api.contract import DELAY_HEADER, MODEL_NAMES, REGRESSION_MODEL, STATUS_HEADER
from ml_api.housing import (
    OPTIONAL_FEATURES,
    PRICE_BAND_NAMES,
    drift_column,
    price_band,
    sample_houses,
    to_rows,
    true_price,
)
from ml_api.injections import Injection, parse_injection

LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
MODELS = MODEL_NAMES
UNSEEN_NEIGHBOURHOOD = "lakeside_new_development"
DEGRADED_PRICE_FACTOR = 1.35


def check_local_url(url: str) -> urllib.parse.SplitResult:
    """The parsed URL, or ValueError when it is not plain HTTP to this machine."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme != "http" or parts.hostname not in LOCAL_HOSTS:
        raise ValueError(
            f"refusing to send traffic to {url!r}: the simulator only targets http://127.0.0.1, "
            "http://localhost or http://[::1] (it is a load and fault generator)"
        )
    return parts


@dataclass
class SimulationConfig:
    url: str = "http://127.0.0.1:8000"
    rate: float = 20.0
    duration: float | None = None
    count: int | None = None
    models: tuple[str, ...] = MODELS
    injections: tuple[Injection, ...] = ()
    feedback_delay: float = 2.0
    feedback_share: float = 1.0
    drift_strength: float = 1.5
    seed: int = 1
    workers: int = 8
    progress_every: float = 5.0

    def __post_init__(self) -> None:
        check_local_url(self.url)
        if self.duration is None and self.count is None:
            raise ValueError("give --duration and/or --count: the simulator always ends by itself")
        if self.rate <= 0 or self.rate > 5_000:
            raise ValueError("--rate must be in (0, 5000] requests per second")
        if not 0 <= self.feedback_share <= 1:
            raise ValueError("--feedback-share must be in [0, 1]")


@dataclass
class SimulationStats:
    requests_sent: int = 0
    by_status: dict[str, int] = field(default_factory=dict)
    predictions_accepted: int = 0
    feedback_sent: int = 0
    feedback_accepted: int = 0
    feedback_not_sent: int = 0  # still waiting for their delay when the run ended
    transport_errors: int = 0
    injected: dict[str, int] = field(default_factory=dict)
    elapsed_seconds: float = 0.0

    def count_status(self, status: int) -> None:
        self.by_status[str(status)] = self.by_status.get(str(status), 0) + 1


@dataclass(frozen=True)
class PlannedRequest:
    model: str
    body: dict[str, Any]
    headers: dict[str, str]
    true_value: Any  # what /feedback sends once the prediction is accepted
    wants_feedback: bool
    injected: tuple[str, ...]


class TrafficPlan:
    """Turns the seeded market and the active injections into request bodies and ground truth."""

    def __init__(self, config: SimulationConfig):
        self.config = config
        # Two streams: the houses do not depend on which injections are active, so a run with
        # drift sends the same houses as one without, apart from the drifted feature.
        self.rng = np.random.default_rng(config.seed)
        self.chance = np.random.default_rng([config.seed, 1])
        # The schedule from the command line, plus injections given on command while running.
        self.injections: list[Injection] = list(config.injections)
        self._model_cycle = itertools.cycle(config.models)

    def next_request(self, elapsed: float) -> PlannedRequest:
        active = [inj for inj in list(self.injections) if inj.active(elapsed)]
        columns = sample_houses(self.rng, 1)
        for inj in active:
            if inj.kind == "drift":
                for feature in inj.features:
                    columns[feature] = drift_column(
                        columns[feature], feature, self.chance, self.config.drift_strength
                    )
        price = float(true_price(columns, self.rng)[0])
        body = to_rows(columns)[0]
        model = next(self._model_cycle)
        truth: Any = price if model == REGRESSION_MODEL else str(price_band([price])[0])
        headers: dict[str, str] = {}
        injected = [inj.kind for inj in active if inj.kind == "drift"]
        for inj in active:
            share = 1.0 if inj.kind == "latency" else inj.amount  # latency's amount is seconds
            if inj.kind == "drift" or self.chance.random() >= share:
                continue
            injected.append(inj.kind)
            if inj.kind == "missing":
                for name in self.chance.choice(
                    OPTIONAL_FEATURES, size=self.chance.integers(1, 3), replace=False
                ):
                    body.pop(str(name))
            elif inj.kind == "unseen_category":
                body["neighbourhood"] = UNSEEN_NEIGHBOURHOOD
            elif inj.kind == "malformed":
                self._malform(body)
            elif inj.kind == "degraded":
                truth = (
                    price * DEGRADED_PRICE_FACTOR
                    if model == REGRESSION_MODEL
                    else self._wrong_band(str(truth))
                )
            elif inj.kind == "latency":
                headers[DELAY_HEADER] = f"{inj.amount:g}"
            elif inj.kind == "errors":
                headers[STATUS_HEADER] = "503"
        wants_feedback = bool(self.chance.random() < self.config.feedback_share)
        return PlannedRequest(model, body, headers, truth, wants_feedback, tuple(injected))

    def _malform(self, body: dict[str, Any]) -> None:
        choice = int(self.chance.integers(4))
        if choice == 0:
            body["bedrooms"] = "three"
        elif choice == 1:
            body.pop("living_area_sqft")
        elif choice == 2:
            body["bathrooms"] = -1
        else:
            body["year_built"] = "nineteen-eighty"

    def _wrong_band(self, band: str) -> str:
        others = [b for b in PRICE_BAND_NAMES if b != band]
        return others[int(self.chance.integers(len(others)))]


class _Client:
    """Keep-alive HTTP/1.1 connections, one per worker thread."""

    def __init__(self, url: str):
        parts = check_local_url(url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self.prefix = parts.path.rstrip("/")
        self._local = threading.local()

    def post(
        self, path: str, payload: Any, headers: dict[str, str] | None = None
    ) -> tuple[int, Any]:
        body = json.dumps(payload).encode()
        all_headers = {"Content-Type": "application/json", **(headers or {})}
        for attempt in (0, 1):
            conn = getattr(self._local, "conn", None)
            if conn is None:
                conn = self._local.conn = http.client.HTTPConnection(
                    self.host, self.port, timeout=30
                )
            try:
                conn.request("POST", self.prefix + path, body=body, headers=all_headers)
                response = conn.getresponse()
                data = response.read()
            except (ConnectionError, http.client.HTTPException):
                conn.close()
                self._local.conn = None
                if attempt:
                    raise
                continue  # a keep-alive connection the server closed: retry once on a new one
            try:
                return response.status, json.loads(data) if data else None
            except ValueError:
                return response.status, None
        raise AssertionError("unreachable")


class Simulator:
    def __init__(
        self,
        config: SimulationConfig,
        stop: threading.Event | None = None,
        log: Callable[[str], None] | None = None,
    ):
        self.config = config
        self.stats = SimulationStats()
        self.stop = stop or threading.Event()
        self._log = log or (lambda line: print(line, file=sys.stderr, flush=True))
        self._plan = TrafficPlan(config)
        self._client = _Client(config.url)
        self._lock = threading.Lock()
        self._feedback: list[tuple[float, int, str, Any]] = []  # (due, seq, request_id, actual)
        self._seq = itertools.count()
        self._busy = 0  # requests submitted and not finished
        self._started: float | None = None

    def run(self) -> SimulationStats:
        cfg = self.config
        started = self._started = time.monotonic()
        deadline = started + cfg.duration if cfg.duration is not None else float("inf")
        next_progress = started + cfg.progress_every
        announced: set[Injection] = set()
        with ThreadPoolExecutor(max_workers=cfg.workers, thread_name_prefix="simulate") as pool:
            for i in itertools.count():
                if cfg.count is not None and i >= cfg.count:
                    break
                due = started + i / cfg.rate
                if due >= deadline or not self._wait_until(due, pool):
                    break
                elapsed = time.monotonic() - started
                for inj in list(self._plan.injections):
                    if inj.active(elapsed) and inj not in announced:
                        announced.add(inj)
                        self._log(f"simulate: {elapsed:5.1f}s injecting {inj}")
                self._submit(pool, self._predict, self._plan.next_request(elapsed))
                if time.monotonic() >= next_progress:
                    next_progress += cfg.progress_every
                    self._log(f"simulate: {elapsed:5.1f}s {self.progress()}")
            # Ground truth still to come: wait for it unless the run's time is up.
            while not self.stop.is_set() and time.monotonic() < deadline:
                with self._lock:
                    next_due = self._feedback[0][0] if self._feedback else None
                    busy = self._busy
                if next_due is None and not busy:
                    break
                self._wait_until(
                    min(next_due if next_due is not None else time.monotonic() + 0.05, deadline),
                    pool,
                )
        with self._lock:
            self.stats.feedback_not_sent = len(self._feedback)
        self.stats.elapsed_seconds = round(time.monotonic() - started, 3)
        return self.stats

    def command(self, line: str) -> str:
        """Apply one command given while running: an injection spec with times counted from now,
        ``clear`` (drop every injection) or ``stop``. Returns what was done; ValueError if unparseable."""
        text = line.strip()
        if text == "stop":
            self.stop.set()
            return "stopping"
        if text == "clear":
            self._plan.injections.clear()
            return "all injections cleared"
        now = self.elapsed()
        parsed = parse_injection(text)
        injection = dataclasses.replace(
            parsed, start=now + parsed.start, end=None if parsed.end is None else now + parsed.end
        )
        self._plan.injections.append(injection)
        return f"scheduled {injection}"

    def elapsed(self) -> float:
        return time.monotonic() - self._started if self._started is not None else 0.0

    def read_commands(self, stream: IO[str]) -> None:
        """Apply commands from ``stream`` (one per line) until it ends or the run stops."""
        for line in stream:
            if self.stop.is_set():
                return
            if not line.strip():
                continue
            try:
                self._log(f"simulate: {self.command(line)}")
            except ValueError as exc:
                self._log(f"simulate: {exc}")

    def _submit(self, pool: ThreadPoolExecutor, task: Callable[..., None], *args: Any) -> None:
        with self._lock:
            self._busy += 1

        def run() -> None:
            try:
                task(*args)
            finally:
                with self._lock:
                    self._busy -= 1

        pool.submit(run)

    def _wait_until(self, when: float, pool: ThreadPoolExecutor) -> bool:
        """Send feedback that falls due meanwhile; False when asked to stop."""
        while True:
            now = time.monotonic()
            with self._lock:
                due = self._feedback and self._feedback[0][0] <= now
                item = heapq.heappop(self._feedback) if due else None
            if item is not None:
                self._submit(pool, self._send_feedback, item[2], item[3])
                continue
            if now >= when:
                return not self.stop.is_set()
            with self._lock:
                next_feedback = self._feedback[0][0] if self._feedback else when
            if self.stop.wait(max(0.0, min(when, next_feedback) - now)):
                return False

    def _predict(self, planned: PlannedRequest) -> None:
        with self._lock:
            self.stats.requests_sent += 1
            for kind in planned.injected:
                self.stats.injected[kind] = self.stats.injected.get(kind, 0) + 1
        try:
            status, payload = self._client.post(
                f"/predict?model={planned.model}", planned.body, planned.headers
            )
        except OSError:
            with self._lock:
                self.stats.transport_errors += 1
            return
        with self._lock:
            self.stats.count_status(status)
            if status != 200:
                return
            self.stats.predictions_accepted += 1
            if planned.wants_feedback:
                heapq.heappush(
                    self._feedback,
                    (
                        time.monotonic() + self.config.feedback_delay,
                        next(self._seq),
                        payload["request_id"],
                        planned.true_value,
                    ),
                )

    def _send_feedback(self, request_id: str, actual: Any) -> None:
        try:
            status, _ = self._client.post("/feedback", {"request_id": request_id, "actual": actual})
        except OSError:
            with self._lock:
                self.stats.transport_errors += 1
            return
        with self._lock:
            self.stats.feedback_sent += 1
            self.stats.feedback_accepted += status == 202

    def progress(self) -> str:
        s = self.stats
        statuses = " ".join(f"{k}:{v}" for k, v in sorted(s.by_status.items()))
        return (
            f"{s.requests_sent} requests ({statuses or 'none answered yet'}), "
            f"{s.predictions_accepted} predictions, {s.feedback_sent} feedback"
        )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m ml_api.simulate",
        description=__doc__.split("\n\n")[1].replace("\n", " "),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="injections (--inject KIND[:ARG][@START[-END]], seconds from the start, repeatable):\n"
        "  drift:FEATURE[,FEATURE]  covariate drift, e.g. drift:living_area_sqft@10-40\n"
        "  unseen_category[:SHARE]  a neighbourhood the model never saw (422)\n"
        "  missing[:SHARE]          optional features left out (logged as missing)\n"
        "  malformed[:SHARE]        wrong types, missing required fields (422)\n"
        "  degraded[:SHARE]         biased ground truth: the model's accuracy drops\n"
        "  latency[:SECONDS]        slow answers   } need the API started with\n"
        "  errors[:SHARE]           503 answers    } ML_API_FAULTS=1\n"
        "example: python -m ml_api.simulate --rate 20 --duration 60 --inject drift:living_area_sqft@20-40",
    )
    parser.add_argument(
        "--url", default="http://127.0.0.1:8000", help="the API (local only; default %(default)s)"
    )
    parser.add_argument(
        "--rate", type=float, default=20.0, help="requests per second (default %(default)s)"
    )
    parser.add_argument("--duration", type=float, help="stop after this many seconds")
    parser.add_argument("--count", type=int, help="stop after this many prediction requests")
    parser.add_argument(
        "--model",
        choices=[*MODELS, "both"],
        default="both",
        help="which model to ask (default: alternate between both)",
    )
    parser.add_argument("--inject", action="append", default=[], metavar="SPEC", help="see below")
    parser.add_argument(
        "--feedback-delay",
        type=float,
        default=2.0,
        help="seconds before the true value is sent back (default %(default)s)",
    )
    parser.add_argument(
        "--feedback-share",
        type=float,
        default=1.0,
        help="share of predictions that get ground truth (default %(default)s)",
    )
    parser.add_argument(
        "--drift-strength",
        type=float,
        default=1.5,
        help="numeric drift shift in standard deviations of the feature (default %(default)s)",
    )
    parser.add_argument("--seed", type=int, default=1, help="random seed (default %(default)s)")
    parser.add_argument(
        "--commands",
        action="store_true",
        help="also read injections from stdin while running, one per line, times counted from "
        "when the line arrives (e.g. `errors:0.2@0-30`); `clear` drops all, `stop` ends the run",
    )
    parser.add_argument(
        "--json", action="store_true", help="print the final counts as JSON on stdout"
    )
    parser.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    return parser


def config_from_args(args: argparse.Namespace) -> SimulationConfig:
    return SimulationConfig(
        url=args.url,
        rate=args.rate,
        duration=args.duration,
        count=args.count,
        models=MODELS if args.model == "both" else (args.model,),
        injections=tuple(parse_injection(spec) for spec in args.inject),
        feedback_delay=args.feedback_delay,
        feedback_share=args.feedback_share,
        drift_strength=args.drift_strength,
        seed=args.seed,
    )


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        config = config_from_args(args)
    except ValueError as exc:
        parser.error(str(exc))
    log = (lambda line: None) if args.quiet else None
    simulator = Simulator(config, log=log)
    if args.commands:
        threading.Thread(
            target=simulator.read_commands, args=(sys.stdin,), name="commands", daemon=True
        ).start()
    try:
        stats = simulator.run()
    except KeyboardInterrupt:
        simulator.stop.set()
        stats = simulator.stats
    if args.json:
        print(json.dumps(asdict(stats), sort_keys=True))
    elif not args.quiet:
        print(
            f"simulate: done in {stats.elapsed_seconds:.1f}s: {simulator.progress()}",
            file=sys.stderr,
        )
    return 0 if stats.requests_sent and not stats.transport_errors else 1


if __name__ == "__main__":
    sys.exit(main())
