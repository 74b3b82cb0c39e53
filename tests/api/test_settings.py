"""The API's environment configuration and its command line."""

from __future__ import annotations

import subprocess
import sys

import pytest

from ml_api.settings import Settings, SettingsError
from tests.support.processes import ROOT


def test_defaults_match_the_documented_ones():
    settings = Settings.from_env({})

    assert (settings.host, settings.port, settings.db_path) == (
        "127.0.0.1",
        8000,
        "data/metrics.db",
    )
    assert settings.instrumentation is True and settings.faults is False


def test_environment_overrides_and_switches():
    settings = Settings.from_env(
        {
            "API_PORT": "9000",
            "METRICS_DB_PATH": "/tmp/x.db",
            "ML_API_FAULTS": "true",
            "ML_API_INSTRUMENTATION": "0",
            "MAX_BODY_BYTES": "2048",
        }
    )

    assert (settings.port, settings.db_path, settings.max_body_bytes) == (9000, "/tmp/x.db", 2048)
    assert settings.faults is True and settings.instrumentation is False


@pytest.mark.parametrize(
    "env, message",
    [
        ({"API_PORT": "eighty"}, "API_PORT='eighty' is not an integer"),
        ({"API_PORT": "70000"}, "API_PORT=70000 is outside 1..65535"),
        ({"MAX_BODY_BYTES": "10"}, "MAX_BODY_BYTES=10 is outside"),
    ],
)
def test_bad_values_name_the_variable(env, message):
    with pytest.raises(SettingsError, match=message):
        Settings.from_env(env)


def test_the_server_refuses_to_start_with_a_bad_setting():
    result = subprocess.run(
        [sys.executable, "-m", "ml_api"],
        env={"API_PORT": "eighty", "PATH": ""},
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )

    assert result.returncode == 2
    assert "API_PORT='eighty' is not an integer" in result.stderr


@pytest.mark.parametrize("module", ["ml_api", "ml_api.simulate"])
def test_commands_have_help(module):
    result = subprocess.run(
        [sys.executable, "-m", module, "--help"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )

    assert result.returncode == 0
    assert "METRICS_DB_PATH" in result.stdout or "--inject" in result.stdout


def test_the_api_declares_its_optional_features_and_otherwise_the_inferred_schema(tmp_path):
    """Leaving out an optional field is missing data, not a `missing_required` schema violation."""
    from exporter.profiles import load_reference
    from exporter.schema import FeatureSchema
    from exporter.store import PredictionStore
    from ml_api.app import Service
    from ml_api.housing import OPTIONAL_FEATURES

    Service(Settings(db_path=str(tmp_path / "log.db")))
    store = PredictionStore(tmp_path / "log.db", create=False)
    declared = load_reference(store, "house_price").schema
    assert {spec.name for spec in declared if not spec.required} == set(OPTIONAL_FEATURES)
    # Apart from `required`, what the exporter would have inferred from the same reference.
    reference = store.read_reference("house_price")
    store.set_reference("inferred", reference.features)
    inferred = load_reference(store, "inferred").schema
    assert [s.name for s in declared] == [s.name for s in inferred]
    for mine, theirs in zip(declared, inferred):
        assert (mine.kind, mine.minimum, mine.maximum, mine.categories) == (
            theirs.kind,
            theirs.minimum,
            theirs.maximum,
            theirs.categories,
        )
    assert isinstance(declared, FeatureSchema)
    store.close()
