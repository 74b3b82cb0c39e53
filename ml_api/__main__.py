"""``python -m ml_api``: serve the API with uvicorn (configuration from the environment, see settings.py)."""

from __future__ import annotations

import argparse
import sys

from ml_api.settings import Settings, SettingsError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m ml_api",
        description="Serve the reference house-price API. Environment: METRICS_DB_PATH (prediction log, shared "
        "with the exporter), API_HOST, API_PORT (8000), MODEL_SEED, MAX_BODY_BYTES, "
        "PREDICTION_LOG_QUEUE (10000), PREDICTION_LOG_DURABLE (0: answer before the row is committed; "
        "1: commit first), PREDICTION_LOG_ORPHAN_TTL (86400 s) and PREDICTION_LOG_ORPHAN_MAX (10000): "
        "how long / how many ground-truth values for unknown request ids are kept, "
        "ML_API_INSTRUMENTATION (1), ML_API_FAULTS (0: test-only fault headers off). Server limits: "
        "API_HEADER_TIMEOUT (10 s for a request head), API_BODY_TIMEOUT (30 s for a body), "
        "API_KEEPALIVE_TIMEOUT (5 s idle), API_LIMIT_CONCURRENCY (200 connections/requests, then 503).",
    )
    parser.add_argument("--host", help="overrides API_HOST (default 127.0.0.1)")
    parser.add_argument("--port", type=int, help="overrides API_PORT (default 8000)")
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        print(f"ml_api: {exc}", file=sys.stderr)
        return 2
    from ml_api.app import create_app
    from ml_api.server import serve

    serve(
        create_app(settings),
        settings,
        host=args.host or settings.host,
        port=args.port or settings.port,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
