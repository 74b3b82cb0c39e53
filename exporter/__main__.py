"""``python -m exporter``: serve the prediction log's metrics on /metrics, recomputed every EXPORT_INTERVAL s.

``python -m exporter --once`` runs one cycle and prints the exposition to
stdout instead (exit 1 when the cycle had errors; they are logged to stderr).
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
import time
from typing import TYPE_CHECKING

from exporter import config as exporter_config

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry

    from exporter.cycle import Exporter

log = logging.getLogger("exporter")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m exporter",
        description="Serve model-performance, drift, data-quality and business metrics computed from the "
        "prediction log (SQLite) to Prometheus. Every option can also be set by the environment "
        "variable named in its help; flags win.",
    )
    parser.add_argument(
        "--once",
        action="store_true",
        help="run one export cycle, print the exposition to stdout and exit",
    )
    exporter_config.add_arguments(parser)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        config, db_note = exporter_config.load(args=args)
    except exporter_config.ConfigError as exc:
        print(f"exporter: configuration error: {exc}", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=config.log_level,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    log.info("prediction log: %s", db_note)
    # Imported after parsing so that --help and configuration errors answer without loading scipy.
    from prometheus_client import generate_latest

    from exporter.collectors import registry_for
    from exporter.cycle import Exporter

    exporter = Exporter(config)
    registry = registry_for(lambda: exporter.snapshot)
    if args.once:
        ok = exporter.run_cycle()
        sys.stdout.buffer.write(generate_latest(registry))
        exporter.close()
        return 0 if ok else 1
    return serve(exporter, registry, config)


def serve(
    exporter: Exporter, registry: CollectorRegistry, config: exporter_config.ExporterConfig
) -> int:
    from exporter.server import MetricsServer

    try:
        server = MetricsServer(registry, config.bind_address, config.port).start()
    except OSError as exc:
        log.error(
            "cannot listen on %s:%d (%s); set PROMETHEUS_PORT or --port to a free port",
            config.bind_address,
            config.port,
            exc,
        )
        return 2
    host, port = server.address
    log.info("serving http://%s:%d/metrics, a cycle every %gs", host, port, config.interval_seconds)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    try:
        while not stop.is_set():
            started = time.monotonic()
            exporter.run_cycle()
            log.debug(
                "cycle %d took %.3fs (%s)",
                exporter.cycles,
                exporter.last_duration,
                ", ".join(
                    f"{stage} {seconds:.3f}s" for stage, seconds in exporter.stage_seconds.items()
                ),
            )
            stop.wait(max(config.interval_seconds - (time.monotonic() - started), 0.0))
    finally:
        server.stop()
        exporter.close()
        log.info("stopped after %d cycles", exporter.cycles)
    return 0


if __name__ == "__main__":
    sys.exit(main())
