"""The API's configuration, from environment variables (the names the stack and the exporter share)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

TRUE = {"1", "true", "yes", "on"}


class SettingsError(ValueError):
    """An environment variable with a value the API cannot use; the message names it."""


@dataclass(frozen=True)
class Settings:
    db_path: str = "data/metrics.db"
    db_url: str | None = None  # METRICS_DB_URL: a PostgreSQL prediction log, wins over db_path
    host: str = "127.0.0.1"
    port: int = 8000
    model_seed: int = 42
    training_rows: int = 3_000
    max_body_bytes: int = 1_048_576
    instrumentation: bool = True
    faults: bool = False
    log_queue_size: int = 10_000
    log_durable: bool = False
    # Where unwritten rows wait through a database stall; default next to a SQLite log, none for
    # PostgreSQL (PREDICTION_LOG_SPILL_PATH: a local file per replica).
    spill_path: str | None = None
    orphan_max_age: int = 86_400
    orphan_max_rows: int = 10_000
    # Server limits (uvicorn): see ml_api/server.py.
    header_timeout: float = 10.0
    body_timeout: float = 30.0
    keepalive_timeout: int = 5
    limit_concurrency: int = 200

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read ``METRICS_DB_PATH``, ``API_HOST``, ``API_PORT``, ``MODEL_SEED``, ``MAX_BODY_BYTES``,
        ``ML_API_INSTRUMENTATION`` (on by default), ``ML_API_FAULTS`` (off by default),
        ``PREDICTION_LOG_QUEUE``, ``PREDICTION_LOG_DURABLE`` (off by default),
        ``PREDICTION_LOG_ORPHAN_TTL`` / ``PREDICTION_LOG_ORPHAN_MAX`` (retention of ground truth
        for unknown request ids) and the server limits ``API_HEADER_TIMEOUT``, ``API_BODY_TIMEOUT``,
        ``API_KEEPALIVE_TIMEOUT`` (seconds) and ``API_LIMIT_CONCURRENCY``."""
        env = os.environ if env is None else env
        return cls(
            db_path=env.get("METRICS_DB_PATH", cls.db_path),
            db_url=env.get("METRICS_DB_URL") or None,
            host=env.get("API_HOST", cls.host),
            port=_int(env, "API_PORT", cls.port, 1, 65_535),
            model_seed=_int(env, "MODEL_SEED", cls.model_seed, 0, 2**32 - 1),
            max_body_bytes=_int(env, "MAX_BODY_BYTES", cls.max_body_bytes, 1_024, 1 << 30),
            instrumentation=env.get("ML_API_INSTRUMENTATION", "1").lower() in TRUE,
            faults=env.get("ML_API_FAULTS", "0").lower() in TRUE,
            log_queue_size=_int(env, "PREDICTION_LOG_QUEUE", cls.log_queue_size, 1, 10_000_000),
            log_durable=env.get("PREDICTION_LOG_DURABLE", "0").lower() in TRUE,
            spill_path=env.get("PREDICTION_LOG_SPILL_PATH") or None,
            orphan_max_age=_int(
                env, "PREDICTION_LOG_ORPHAN_TTL", cls.orphan_max_age, 1, 365 * 86_400
            ),
            orphan_max_rows=_int(
                env, "PREDICTION_LOG_ORPHAN_MAX", cls.orphan_max_rows, 0, 100_000_000
            ),
            header_timeout=_int(env, "API_HEADER_TIMEOUT", int(cls.header_timeout), 1, 3_600),
            body_timeout=_int(env, "API_BODY_TIMEOUT", int(cls.body_timeout), 1, 3_600),
            keepalive_timeout=_int(env, "API_KEEPALIVE_TIMEOUT", cls.keepalive_timeout, 1, 3_600),
            limit_concurrency=_int(env, "API_LIMIT_CONCURRENCY", cls.limit_concurrency, 1, 100_000),
        )


def _int(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name}={raw!r} is not an integer") from None
    if not low <= value <= high:
        raise SettingsError(f"{name}={value} is outside {low}..{high}")
    return value
