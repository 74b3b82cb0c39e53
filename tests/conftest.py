import pytest

from tests.support.processes import ROOT, require_tool


@pytest.fixture(scope="session")
def project_root():
    return ROOT


@pytest.fixture(scope="session")
def fed_prometheus(tmp_path_factory):
    """A real Prometheus fed by the reference API and the exporter after traffic with every kind of
    trouble (:mod:`tests.support.fed_stack`); shared by the live lint and the preview tests."""
    require_tool("prometheus")
    from tests.support.fed_stack import fed_prometheus as running

    with running(tmp_path_factory.mktemp("fed-stack")) as prometheus:
        yield prometheus
