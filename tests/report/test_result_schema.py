"""The Analysis type, its JSON both ways and docs/analysis.schema.json (issue 12 item 3, issue 14 item 3).

The oracle for the schema is the ``jsonschema`` package reading the committed file; mcusim's own
run-time check (report/schema.py) walks the same schema, and the two must agree on what they
accept and refuse."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from simulator.errors import ConfigError
from simulator.report.analysis import render_analysis
from simulator.report.html import render_analysis_html
from simulator.report.markdown import render_analysis_markdown
from simulator.report.result import Analysis
from simulator.report.schema import JSON_SCHEMA, schema_files, schema_text, validate_analysis

from .conftest import as_analysis, make_analysis, not_run

jsonschema = pytest.importorskip("jsonschema")
SCHEMA_FILE = Path(__file__).resolve().parents[2] / "docs" / "analysis.schema.json"
LONG_NAME = "model/sequential/" + "conv2d_block_with_a_converter_made_name/" * 2 + "BiasAdd;Relu6;FusedBatchNormV3_17"


def _file_schema() -> dict:
    return json.loads(SCHEMA_FILE.read_text())


def test_committed_schema_files_are_the_code_s_schemas():
    files = schema_files()
    assert SCHEMA_FILE.name in files and len(files) == 2
    for name, schema in files.items():
        path = SCHEMA_FILE.parent / name
        assert path.read_text() == schema_text(schema), \
            f"{path.name} is stale: run `python -m simulator.report.schema --write`"
        jsonschema.Draft202012Validator.check_schema(json.loads(path.read_text()))


@pytest.mark.parametrize("make", [make_analysis, lambda: not_run(make_analysis()),
                                  lambda: make_analysis(cycles=False)])
def test_to_dict_from_dict_round_trip_follows_the_schema(make):
    d = make()
    jsonschema.validate(d, _file_schema())
    back = Analysis.from_dict(validate_analysis(d, "t")).to_dict()
    jsonschema.validate(back, _file_schema())
    assert back == d


@pytest.mark.parametrize("path, value", [
    (("bit_exact",), 0), (("ran",), None), (("ram_bytes", "stack"), -1), (("inputs", 0, "scale"), "0.5"),
    (("layers", 1, "weight_bytes"), None), (("context", "memory_model"), "cached"),
    (("schedule",), {"requested": "auto"}), (("outputs", 0, "zero_point"), 2**40),
])
def test_both_validators_refuse_the_same_documents(path, value):
    d = make_analysis()
    d["schedule"] = d.get("schedule")
    target = d
    for k in path[:-1]:
        target = target[k]
    target[path[-1]] = value
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(d, _file_schema())
    with pytest.raises(ConfigError, match="test: "):
        validate_analysis(d, "test")


@pytest.mark.parametrize("key", JSON_SCHEMA["required"])
def test_every_required_field_is_required_by_both(key):
    d = make_analysis()
    del d[key]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(d, _file_schema())
    with pytest.raises(ConfigError):
        validate_analysis(d, "test")


def test_an_analysis_1_file_says_to_run_analyze_again():
    d = make_analysis()
    d["schema"] = "mcusim.analysis/1"
    with pytest.raises(ConfigError, match="an older mcusim wrote it"):
        validate_analysis(d, "old.json")


def test_a_run_that_did_not_happen_shows_no_measurement():
    a = as_analysis(not_run(make_analysis()))
    md = render_analysis_markdown(a)
    assert "stack peak 0" not in md and "stack 4,096 B (not run)" in md
    assert "does not fit" in md and "| instructions | – |" in md and "| latency | not run |" in md
    assert "| 0 B" not in md and "DIFF" not in md
    text = render_analysis(a)
    assert "peak used - (not run)" in text and "code - (not built)" in text and "DIFF" not in text
    assert "bit-exact" not in text


def test_ram_parts_add_up_in_every_format():
    d = make_analysis()
    d["ram_bytes"].update(static=20, padding=12, total=2304 + 128 + 4096 + 20 + 12)
    a = as_analysis(d)
    assert sum(a.ram_parts.values()) == a.ram_total
    md = render_analysis_markdown(a)
    assert ("6,560 B of 131,072 B (128 KB) = arena 2,304 B + scratch 128 B + "
            "stack 4,096 B (peak 300 B) + static 20 B + padding 12 B |") in md
    text = render_analysis(a)
    assert "  padding  12 B" in text and "  static   20 B" in text


def test_io_tensors_and_weight_bytes_in_text_markdown_and_html(analysis):
    text, md, page = render_analysis(analysis), render_analysis_markdown(analysis), render_analysis_html(analysis)
    assert "| input | 0 | input | 1x8x8x1 | int8 | 0.5 | -1 |" in md
    assert "| output | 4 | output | 1x4 | int8 | 0.00390625 | -128 |" in md
    assert "input        0  input   1x8x8x1  int8          0.5          -1" in text
    assert "<td>1x8x8x1</td><td>int8</td><td class=\"r\">0.5</td><td class=\"r\">-1</td>" in page
    for out in (md, page):
        assert "601 B" in out and "603 B" in out           # per-layer weights (conftest: 600 + index)
    assert "     601  " in text


def test_long_layer_names_are_elided_with_the_full_name_kept():
    d = make_analysis()
    d["layers"][0]["name"] = LONG_NAME
    a = as_analysis(d)
    page = render_analysis_html(a)
    # the cell is cut by CSS to the column's width; the full name is the hover title
    assert f'<td title="{LONG_NAME}"><span class="name">{LONG_NAME}</span></td>' in page
    assert ("span.name{display:inline-block;max-width:18rem;overflow:hidden;text-overflow:ellipsis;"
            "white-space:nowrap;") in page
    text = render_analysis(a)
    short = LONG_NAME[:23] + "…" + LONG_NAME[-8:]          # 32 characters, the suffix kept
    assert LONG_NAME not in text and f"  0  {short}  CONV_2D" in text
    assert max(len(line) for line in text.splitlines()) < 200
    md = render_analysis_markdown(a)
    assert LONG_NAME not in md and "…" in md
    assert a.to_dict()["layers"][0]["name"] == LONG_NAME
