import os
from pathlib import Path

import pytest

from simulator.cachedir import cache_root

# Tests that point MCUSIM_CACHE_DIR at a fresh directory (cache trust, build cache, block
# cache) would otherwise rebuild picolibc (~40 s per core) in each: they share the user's.
os.environ.setdefault("MCUSIM_LIBC_CACHE_DIR", str(cache_root()))

# Hypothesis profiles: ``ci`` (the default) is derandomized, so every run draws the same examples;
# ``dev`` explores (random seeds, more examples). Pick one with HYPOTHESIS_PROFILE=dev.
# hypothesis is a test extra: the property-test modules import it; the conftest works without it.
try:
    from hypothesis import HealthCheck, settings
except ImportError:
    settings = None
if settings is not None:
    _COMMON = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                         HealthCheck.function_scoped_fixture])
    settings.register_profile("ci", derandomize=True, print_blob=True, **_COMMON)
    settings.register_profile("dev", print_blob=True, **_COMMON)
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

# pytester drives the plugin's own tests (tests/pytest_plugin); pytest allows this only at the top level.
pytest_plugins = ["pytester"]

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO
