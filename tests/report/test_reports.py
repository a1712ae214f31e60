"""Markdown, PNG charts and the HTML page from hand-made analysis dicts; `mcusim report`."""
import json
import re
import sys

import pytest

from simulator import cli
from simulator.errors import ConfigError
from simulator.report.html import render_analysis_html
from simulator.report.markdown import render_analysis_markdown
from simulator.report.plots import PlotsUnavailable, layer_cost_png, memory_timeline_png
from simulator.report.result import load_analysis
from simulator.report.schema import validate_analysis

from .conftest import as_analysis, make_analysis

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def test_markdown_has_summary_and_every_layer(analysis):
    md = render_analysis_markdown(analysis)
    assert "### mcusim: kws_tiny on stm32h743" in md
    assert "✅ fits, bit-exact" in md
    assert ("| 1 | depthwise_conv2d_1 | DEPTHWISE_CONV_2D | ck_depthwise_conv_s8_wrapper | 1x8x8x16 | 9,216 "
            "| 601 B | 20,000 |") in md
    assert "| # | name | op | kernel | output | MACC | weights | cycles | share | bits |" in md


def test_markdown_without_cycle_model_shows_instructions():
    md = render_analysis_markdown(as_analysis(make_analysis(cycles=False)))
    assert "| weights | instructions |" in md and "costs are instruction counts" in md
    assert "not modelled" in md


def test_charts_are_pngs(analysis):
    for png in (layer_cost_png(analysis), memory_timeline_png(analysis)):
        assert png.startswith(PNG_MAGIC) and len(png) > 5000


def test_charts_without_matplotlib_say_how_to_get_it(analysis, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(PlotsUnavailable, match="pip install matplotlib"):
        layer_cost_png(analysis)
    assert "Charts omitted" in render_analysis_html(analysis)


def test_html_is_self_contained(analysis):
    page = render_analysis_html(analysis)
    assert page.startswith("<!DOCTYPE html>")
    assert page.count('src="data:image/png;base64,') == 3      # cost, arena, schedule timeline
    assert not re.search(r'(src|href)="(?!data:)', page)            # no external assets
    assert "http://" not in page and "https://" not in page
    assert '<td title="depthwise_conv2d_1"><span class="name">depthwise_conv2d_1</span></td>' in page


def test_validation_names_the_problem():
    analysis = make_analysis()
    with pytest.raises(ConfigError, match="expected 'mcusim.analysis/2'"):
        validate_analysis({**analysis, "schema": "other/2"}, "a.json")
    del analysis["layers"][2]["cycles"]
    with pytest.raises(ConfigError, match=r"a.json: layers\[2\]: missing 'cycles'"):
        validate_analysis(analysis, "a.json")


def test_report_command_writes_all_outputs_atomically(analysis, tmp_path, capsys):
    src = tmp_path / "a.json"
    src.write_text(json.dumps(analysis.to_dict()))
    out = tmp_path / "out"
    code = cli.main(["report", str(src), "--html", str(out / "r.html"), "--png-dir", str(out / "png"),
                     "--markdown", str(out / "r.md")])
    assert code == 0
    assert (out / "png" / "layer_cost.png").read_bytes().startswith(PNG_MAGIC)
    assert (out / "png" / "memory_timeline.png").read_bytes().startswith(PNG_MAGIC)
    assert (out / "r.md").read_text() == render_analysis_markdown(load_analysis(src))
    assert "<h2>Layers</h2>" in (out / "r.html").read_text()
    leftovers = [p.name for p in out.rglob("*") if p.name.startswith(".")]
    assert leftovers == []
    assert "mcusim: wrote" in capsys.readouterr().err


def test_report_command_prints_markdown_by_default(analysis, tmp_path, capsys):
    src = tmp_path / "a.json"
    src.write_text(json.dumps(analysis.to_dict()))
    assert cli.main(["report", str(src)]) == 0
    assert capsys.readouterr().out.startswith("### mcusim:")


def test_report_command_rejects_a_non_analysis(tmp_path, capsys):
    src = tmp_path / "a.json"
    src.write_text('{"hello": 1}')
    assert cli.main(["report", str(src)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("mcusim: error:") and "not an mcusim analysis" in err and err.count("\n") == 1


def test_schedule_timeline_draws_each_candidate(analysis):
    """The schedule chart: one line per schedule tried, from the analysis' own timelines;
    an analysis without a schedule object falls back to the plan's tensors."""
    from simulator.report.plots import _plan_timeline, schedule_timeline_png
    png = schedule_timeline_png(analysis)
    assert png.startswith(b"\x89PNG")
    analysis.schedule = None
    assert schedule_timeline_png(analysis).startswith(b"\x89PNG")
    timeline = _plan_timeline(analysis)
    assert len(timeline) == len(analysis.layers)
    assert max(timeline) <= analysis.arena
