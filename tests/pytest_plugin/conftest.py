import os
from pathlib import Path

import pytest


# pytester points HOME at a fresh directory; keep the build caches (mcusim's and zig's) where they were,
# so each pytester run does not rebuild the same kernel from nothing.
_CACHE_HOME = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")


@pytest.fixture(autouse=True)
def _keep_build_caches(monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", _CACHE_HOME)
