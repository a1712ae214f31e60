from pathlib import Path

import pytest

# pytester drives the plugin's own tests (tests/plugin); pytest allows this only at the top level.
pytest_plugins = ["pytester"]

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO
