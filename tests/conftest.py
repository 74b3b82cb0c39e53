import pytest

from tests.support.processes import ROOT


@pytest.fixture(scope="session")
def project_root():
    return ROOT
