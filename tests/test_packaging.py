"""The wheel must carry every data file mcusim reads at run time (C sources, headers, tables,
boards), or an installed mcusim breaks outside the repo. CI installs non-editable and this
test compares the installed file list with the repo."""
import json
import sys
from importlib import metadata
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# every file of the two packages that is not Python: a new kind of data file (a header beside the
# native C, a library table) is checked without anyone remembering to list it here
DATA_GLOBS = ["simulator/**/*", "cross_kernels/**/*"]


def _installed_files():
    # Look only in site-packages: a mcusim.egg-info left in the source tree by a build would
    # otherwise shadow the installed distribution.
    site = [p for p in sys.path if Path(p).name in ("site-packages", "dist-packages")]
    dists = list(metadata.distributions(name="mcusim", path=site))
    if not dists:
        pytest.skip("mcusim is not installed in site-packages")
    dist = dists[0]
    direct = dist.read_text("direct_url.json")
    if direct and json.loads(direct).get("dir_info", {}).get("editable"):
        pytest.skip("editable install: the source tree is the package")
    return {str(f).replace("\\", "/") for f in dist.files or []}


def test_wheel_contains_every_runtime_data_file():
    installed = _installed_files()
    wanted = {str(p.relative_to(REPO)) for g in DATA_GLOBS for p in REPO.glob(g) if p.is_file()
              and "__pycache__" not in p.parts and p.suffix not in (".py", ".pyc")}
    assert wanted, "globs matched nothing: the test is broken"
    missing = sorted(wanted - installed)
    assert not missing, f"not shipped in the wheel: {missing}"
