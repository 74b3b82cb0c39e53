"""The exporter's configuration: environment variables, overridable by command-line flags.

Every setting has a default that works on a developer machine; the three names
from the original specification (``METRICS_DB_PATH``, ``PROMETHEUS_PORT``,
``EXPORT_INTERVAL``) keep their meaning, the others are prefixed ``EXPORTER_``.
"""

from __future__ import annotations

import argparse
import logging
import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

log = logging.getLogger("exporter")

CONTAINER_DB_PATH = Path("/app/data/metrics.db")
LOCAL_DB_PATH = Path("data/metrics.db")
CORRECTIONS = ("bonferroni", "bh")


class ConfigError(ValueError):
    """A setting with a value the exporter cannot use; the message names the variable and what it accepts."""


def default_db_path(container_path: Path = CONTAINER_DB_PATH) -> tuple[Path, str]:
    """The prediction log's default location and why it was chosen.

    The specification's ``/app/data/metrics.db`` is used when its directory
    exists and is writable (the container); elsewhere ``./data/metrics.db``
    relative to the working directory.
    """
    directory = container_path.parent
    if directory.is_dir() and os.access(directory, os.W_OK | os.X_OK):
        return container_path, f"{directory} is writable"
    return LOCAL_DB_PATH, f"{directory} is missing or not writable, using ./{LOCAL_DB_PATH}"


@dataclass(frozen=True)
class Setting:
    env: str
    flag: str
    help: str
    parse: Callable[[str], Any]


def _positive_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value) or value <= 0:
        raise ValueError("must be a positive number")
    return value


def _optional_positive_float(text: str) -> float | None:
    return None if text.strip().lower() in {"", "0", "none", "off"} else _positive_float(text)


def _positive_int(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise ValueError("must be a positive integer")
    return value


def _port(text: str) -> int:
    value = int(text)
    if not 0 <= value <= 65535:
        raise ValueError("must be a TCP port (0-65535; 0 picks a free one)")
    return value


def _probability(text: str) -> float:
    value = float(text)
    if not 0 < value < 1:
        raise ValueError("must be between 0 and 1 (exclusive)")
    return value


def _non_negative_float(text: str) -> float:
    value = float(text)
    if not value >= 0:
        raise ValueError("must be a number, 0 or more")
    return value


def _correction(text: str) -> str:
    value = text.strip().lower()
    if value not in CORRECTIONS:
        raise ValueError(f"must be one of {', '.join(CORRECTIONS)}")
    return value


def _optional_path(text: str) -> Path | None:
    return Path(text) if text.strip() else None


def _optional_postgres_url(text: str) -> str | None:
    text = text.strip()
    if not text:
        return None
    if not text.startswith(("postgresql://", "postgres://")):
        raise ValueError(
            "must be a PostgreSQL URL (postgresql://user@host:5432/db); for SQLite set METRICS_DB_PATH"
        )
    return text


def _shard(text: str) -> tuple[int, int] | None:
    text = text.strip()
    if not text:
        return None
    try:
        index, count = (int(part) for part in text.split("/"))
    except ValueError:
        raise ValueError("must be INDEX/COUNT, e.g. 0/2 (the first of two exporters)") from None
    if count < 1 or not 0 <= index < count:
        raise ValueError("must be INDEX/COUNT with 0 <= INDEX < COUNT, e.g. 1/2")
    return index, count


def _model_list(text: str) -> tuple[str, ...] | None:
    names = tuple(name.strip() for name in text.split(",") if name.strip())
    return names or None


@dataclass(frozen=True)
class ExporterConfig:
    db_path: Path = field(default_factory=lambda: default_db_path()[0])
    port: int = 8001
    bind_address: str = "127.0.0.1"  # the container sets 0.0.0.0 (exporter/Dockerfile)
    interval_seconds: float = 30.0
    window_rows: int = 10_000
    window_seconds: float | None = None
    min_rows: int = 30
    alpha: float = 0.05
    correction: str = "bonferroni"
    drift_min_effect: float = 0.0
    regression_tolerance: float = 0.10
    schema_path: Path | None = None
    max_models: int = 50
    model_idle_seconds: float | None = 86_400.0
    log_level: str = "INFO"
    db_url: str | None = None  # PostgreSQL; wins over db_path when both are set
    shard: tuple[int, int] | None = None  # (index, count): this exporter's share of the models
    models: tuple[str, ...] | None = None  # only these models

    @property
    def db_location(self) -> str:
        """The log this exporter reads, for messages (a URL's password is redacted)."""
        if self.db_url:
            from exporter.pg_store import redact_url

            return redact_url(self.db_url)
        return str(self.db_path)


SETTINGS: Mapping[str, Setting] = {
    "db_path": Setting(
        "METRICS_DB_PATH",
        "--db",
        "prediction log (SQLite); default /app/data/metrics.db when "
        "/app/data is writable, else ./data/metrics.db",
        Path,
    ),
    "port": Setting("PROMETHEUS_PORT", "--port", "port serving /metrics (default 8001)", _port),
    "bind_address": Setting(
        "EXPORTER_BIND_ADDRESS",
        "--bind",
        "address to listen on (default 127.0.0.1; the container image sets 0.0.0.0)",
        str,
    ),
    "interval_seconds": Setting(
        "EXPORT_INTERVAL",
        "--interval",
        "seconds between export cycles, fractions allowed (default 30)",
        _positive_float,
    ),
    "window_rows": Setting(
        "EXPORTER_WINDOW_ROWS",
        "--window-rows",
        "current window: the last N predictions per model (default 10000)",
        _positive_int,
    ),
    "window_seconds": Setting(
        "EXPORTER_WINDOW_SECONDS",
        "--window-seconds",
        "current window: only predictions newer than this many seconds (default: no age limit)",
        _optional_positive_float,
    ),
    "min_rows": Setting(
        "EXPORTER_MIN_ROWS",
        "--min-rows",
        "fewest non-missing values for a drift test (default 30)",
        _positive_int,
    ),
    "alpha": Setting(
        "EXPORTER_DRIFT_ALPHA",
        "--alpha",
        "family-wise significance level of drift tests (default 0.05)",
        _probability,
    ),
    "correction": Setting(
        "EXPORTER_DRIFT_CORRECTION",
        "--correction",
        "multiple-testing correction: bonferroni (default) or bh (Benjamini-Hochberg)",
        _correction,
    ),
    "drift_min_effect": Setting(
        "EXPORTER_DRIFT_MIN_EFFECT",
        "--drift-min-effect",
        "flag drift only when the effect size (Wasserstein/SD, or Cramér's V) is at least this "
        "(default 0: off; per feature: min_effect in the feature schema file)",
        _non_negative_float,
    ),
    "regression_tolerance": Setting(
        "EXPORTER_REGRESSION_TOLERANCE",
        "--regression-tolerance",
        "relative error counted as accurate for regression models (default 0.10)",
        _positive_float,
    ),
    "schema_path": Setting(
        "EXPORTER_FEATURE_SCHEMA",
        "--feature-schema",
        "JSON file overriding the feature schema inferred from the reference",
        _optional_path,
    ),
    "max_models": Setting(
        "EXPORTER_MAX_MODELS",
        "--max-models",
        "most models exported; further model names are only counted in "
        "exporter_untracked_predictions_total (default 50)",
        _positive_int,
    ),
    "model_idle_seconds": Setting(
        "EXPORTER_MODEL_IDLE_SECONDS",
        "--model-idle-seconds",
        "a model without reference data that logged nothing new for this long is dropped with its "
        "series (default 86400; 0 or off: never)",
        _optional_positive_float,
    ),
    "log_level": Setting(
        "EXPORTER_LOG_LEVEL",
        "--log-level",
        "DEBUG, INFO, WARNING or ERROR (default INFO)",
        lambda text: text.strip().upper(),
    ),
    "db_url": Setting(
        "METRICS_DB_URL",
        "--db-url",
        "prediction log in PostgreSQL (postgresql://user:pass@host:5432/db); wins over METRICS_DB_PATH",
        _optional_postgres_url,
    ),
    "shard": Setting(
        "EXPORTER_SHARD",
        "--shard",
        "INDEX/COUNT: export only the models whose stable hash falls in this shard (e.g. 0/2)",
        _shard,
    ),
    "models": Setting(
        "EXPORTER_MODELS",
        "--models",
        "comma-separated model names: export only these (default: every model in the log)",
        _model_list,
    ),
}

assert set(SETTINGS) == {f.name for f in fields(ExporterConfig)}, (
    "every setting needs an env var and a flag"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    for name, setting in SETTINGS.items():
        parser.add_argument(
            setting.flag,
            dest=name,
            metavar=setting.env,
            default=None,
            help=f"{setting.help} [env {setting.env}]",
        )


def load(
    env: Mapping[str, str] | None = None, args: argparse.Namespace | None = None
) -> tuple[ExporterConfig, str]:
    """Build the configuration from ``env`` then command-line ``args``; returns it with a note on the DB path.

    Raises :class:`ConfigError` naming the variable or flag with a bad value.
    """
    env = os.environ if env is None else env
    values: dict[str, Any] = {}
    for name, setting in SETTINGS.items():
        raw, source = env.get(setting.env), setting.env
        flag_value = getattr(args, name, None) if args is not None else None
        if flag_value is not None:
            raw, source = flag_value, setting.flag
        if raw is None:
            continue
        try:
            values[name] = setting.parse(raw)
        except ValueError as exc:
            raise ConfigError(f"{source}={raw!r}: {exc}") from None
    note = (
        f"{values['db_path']} (from {SETTINGS['db_path'].env} or {SETTINGS['db_path'].flag})"
        if "db_path" in values
        else None
    )
    if values.get("db_url"):
        from exporter.pg_store import redact_url

        note = f"{redact_url(values['db_url'])} (from {SETTINGS['db_url'].env} or {SETTINGS['db_url'].flag})"
    if note is None:
        values["db_path"], why = default_db_path()
        note = f"{values['db_path']} (default: {why})"
    if values.get("log_level", "INFO") not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
        raise ConfigError(
            f"{SETTINGS['log_level'].env}={values['log_level']!r}: must be DEBUG, INFO, WARNING or ERROR"
        )
    return ExporterConfig(**values), note
