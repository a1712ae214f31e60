"""Regression thresholds: a limit that could never fail (NaN, infinity) is refused, not obeyed."""
import json

import pytest

from simulator import cli
from simulator.errors import ConfigError
from simulator.report.compare import compare_analyses, violations
from simulator.report.thresholds import parse_thresholds

from .conftest import as_analysis, make_analysis

METRICS = ("cycles", "flash", "ram")


@pytest.mark.parametrize("pct", ["nan", "NaN", "inf", "+inf", "-inf", "infinity", "1e999", "-5",
                                 "-0.5"])
def test_non_finite_or_negative_percentages_are_refused(pct):
    with pytest.raises(ConfigError, match=r"--fail-on 'cycles:.*': the percentage must be a "
                                          r"finite number >= 0"):
        parse_thresholds(f"cycles:{pct}%", METRICS, "--fail-on")


@pytest.mark.parametrize("pct, value", [("0", 0.0), ("5", 5.0), ("0.25", 0.25), ("1e3", 1000.0)])
def test_finite_percentages_are_kept(pct, value):
    assert parse_thresholds(f"cycles:{pct}%", METRICS, "--fail-on") == {"cycles": value}


@pytest.mark.parametrize("pct", ["nan", "inf"])
def test_compare_refuses_instead_of_passing_a_200_percent_regression(tmp_path, capsys, pct):
    old, new = tmp_path / "old.json", tmp_path / "new.json"
    old.write_text(json.dumps(make_analysis()))
    new.write_text(json.dumps(make_analysis(scale=3.0)))
    # the regression itself is real: a finite limit catches it
    cmp = compare_analyses(as_analysis(make_analysis()), as_analysis(make_analysis(scale=3.0)))
    assert violations(cmp, {"cycles": 5.0})
    assert cli.main(["compare", str(old), str(new), "--fail-on", "cycles:5%"]) == 1
    capsys.readouterr()
    assert cli.main(["compare", str(old), str(new), "--fail-on", f"cycles:{pct}%"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("mcusim: error: --fail-on") and err.count("\n") == 1, err
    assert "finite number" in err
