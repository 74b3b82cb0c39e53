"""Fixtures: the fake Grafana under ``responses``, a generated/ tree, and a CLI runner."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
import responses

from mlmon import cli
from mlmon.grafana import transport
from tests.grafana.fake_grafana import FakeGrafana
from tests.grafana.fixtures import standard_tree

TOKEN = "glsa_fake_token_for_tests"


@pytest.fixture
def sleeps(monkeypatch) -> list[float]:
    """Backoff waits requested by the client, recorded instead of slept."""
    recorded: list[float] = []
    monkeypatch.setattr(transport, "default_sleep", recorded.append)
    return recorded


@pytest.fixture
def fake(monkeypatch, tmp_path, sleeps):
    # runs without ../shared/grafana too (then without schema checks: see fake_grafana)
    for name in (
        "GRAFANA_TOKEN",
        "GRAFANA_USER",
        "GRAFANA_PASSWORD",
        "GRAFANA_ORG_ID",
        "GRAFANA_CA_BUNDLE",
        "GRAFANA_TIMEOUT",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GRAFANA_URL", FakeGrafana.url)
    monkeypatch.setenv("GRAFANA_TOKEN", TOKEN)
    monkeypatch.chdir(tmp_path)  # no stray mlmon.toml, and pulled files land here
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        grafana = FakeGrafana(token=TOKEN).install(mock)
        yield grafana
    assert grafana.violations == [], "requests Grafana would reject:\n" + "\n".join(
        grafana.violations
    )


@pytest.fixture
def tree(tmp_path):
    return standard_tree(tmp_path)


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def text(self) -> str:
        return self.out + self.err


@pytest.fixture
def mlmon(capsys):
    """Run the real CLI in-process: ``mlmon("push", "--prune")``."""

    def run(*args: str) -> Result:
        capsys.readouterr()
        code = cli.main(list(args))
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run
