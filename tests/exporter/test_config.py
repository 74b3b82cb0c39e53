"""Configuration from the environment and flags: defaults, the DB path fallback, clear errors."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from exporter import config


def test_defaults_follow_the_specification():
    loaded, _ = config.load(env={})
    assert (loaded.port, loaded.interval_seconds, loaded.bind_address) == (8001, 30.0, "127.0.0.1")
    assert (loaded.alpha, loaded.correction, loaded.regression_tolerance, loaded.min_rows) == (
        0.05,
        "bonferroni",
        0.10,
        30,
    )


def test_db_path_falls_back_to_a_local_file_when_the_container_path_is_not_writable(tmp_path):
    assert config.default_db_path(tmp_path / "missing" / "metrics.db")[0] == Path("data/metrics.db")
    writable = tmp_path / "app" / "data"
    writable.mkdir(parents=True)
    assert config.default_db_path(writable / "metrics.db")[0] == writable / "metrics.db"


def test_flags_win_over_the_environment_and_fractions_are_allowed():
    parser = argparse.ArgumentParser()
    config.add_arguments(parser)
    args = parser.parse_args(["--interval", "0.5", "--correction", "BH"])
    loaded, note = config.load(
        env={
            "EXPORT_INTERVAL": "10",
            "METRICS_DB_PATH": "/x/log.db",
            "EXPORTER_WINDOW_SECONDS": "3600",
        },
        args=args,
    )
    assert (
        loaded.interval_seconds == 0.5
        and loaded.correction == "bh"
        and loaded.window_seconds == 3600
    )
    assert loaded.db_path == Path("/x/log.db") and "METRICS_DB_PATH" in note


@pytest.mark.parametrize(
    "variable, raw, message",
    [
        ("PROMETHEUS_PORT", "http", "PROMETHEUS_PORT='http'"),
        ("EXPORT_INTERVAL", "-1", "must be a positive number"),
        ("EXPORTER_DRIFT_ALPHA", "5", "between 0 and 1"),
        ("EXPORTER_DRIFT_CORRECTION", "holm", "bonferroni, bh"),
        ("EXPORTER_WINDOW_ROWS", "0", "positive integer"),
    ],
)
def test_bad_values_name_the_variable_and_what_it_accepts(variable, raw, message):
    with pytest.raises(config.ConfigError, match=message):
        config.load(env={variable: raw})
