import os
from pathlib import Path

import pytest

from simulator.cachedir import cache_root

# Tests that point MCUSIM_CACHE_DIR at a fresh directory (cache trust, build cache, block
# cache) would otherwise rebuild picolibc (~40 s per core) in each: they share the user's.
os.environ.setdefault("MCUSIM_LIBC_CACHE_DIR", str(cache_root()))

# pytester drives the plugin's own tests (tests/plugin); pytest allows this only at the top level.
pytest_plugins = ["pytester"]

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO
