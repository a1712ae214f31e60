"""Names from models, boards and analysis files are untrusted text: they never become C, linker
commands or active Markdown/HTML (docs/security.md, "Names").

The oracle for generated code: the same model with harmless names generates the same C once
comments are removed, so a name can only ever have landed inside a comment; and the escaped
comment text holds none of the raw names."""
from __future__ import annotations

import re
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest

from simulator.analyze import analyze
from simulator.boards import get_board
from simulator.errors import BoardError
from simulator.escape import c_comment_text, md_text
from simulator.frontend import ModelBuilder, save_tflite
from simulator.report.analysis import render_analysis, render_memory_plan
from simulator.report.html import render_analysis_html
from simulator.report.markdown import render_analysis_markdown
from simulator.toolchain.linker import render_linker_script

BIG = "x" * 100_000 + "*/ big"
DANGEROUS = [
    "closer */ int evil;",
    "opener /* nested",
    "new\nline",
    "carriage\rreturn",
    "back\\slash\\",
    "dq \" sq ' quotes",
    "trigraph ??/ ??= ??'",
    "nul\x00byte",
    '#include "/etc/hostname"',
    '#embed "/etc/hostname"',
    "percent %s %n %%",
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "![image](http://example.invalid/x.png)",
    "[link](javascript:alert(1))",
    "pipe | in | cell",
    "`code` *em* _em_ ~~s~~ $x$",
    r"math $\frac{1$ unbalanced",
    "bidi \u202e override",
    "esc \x1b[2J\x1b[31mred\x1b]0;title\x07",
    "line\u2028separator",
    BIG,
]
GENERATED = ("model.c", "model.h", "main.c")
COMMENT = re.compile(r"/\*.*?\*/", re.S)


def _relu_chain(names: list[str], graph_name: str = "m"):
    """input -> RELU -> RELU ... one output tensor per name; tensor i takes names[i]."""
    b = ModelBuilder(graph_name)
    t = b.input((1, 4, 4, 2), scale=0.1, zero_point=-3)
    for _ in names[1:]:
        t = b.relu(t)
    b.output(t)
    g = b.build()
    for tensor, name in zip(g.tensors, names):
        tensor.name = name
    return g


def _sources(out: Path) -> dict[str, str]:
    return {name: (out / name).read_text() for name in GENERATED}


def _without_comments(texts: dict[str, str]) -> dict[str, str]:
    return {k: COMMENT.sub("/**/", v) for k, v in texts.items()}


@pytest.fixture(scope="module")
def benign(tmp_path_factory):
    out = tmp_path_factory.mktemp("benign")
    g = _relu_chain([f"t{i}" for i in range(len(DANGEROUS))])
    a = analyze(g, "stm32h743", work_dir=out / "gen")
    assert a.fits and a.bit_exact, a.mismatch
    return a, _sources(out / "gen")


@pytest.fixture(scope="module")
def evil_tflite(tmp_path_factory):
    """The dangerous names through a real .tflite file (the project's own writer and reader)."""
    out = tmp_path_factory.mktemp("evil")
    path = out / "evil.tflite"
    path.write_bytes(save_tflite(_relu_chain(DANGEROUS)))
    a = analyze(path, "stm32h743", work_dir=out / "gen")
    return a, _sources(out / "gen")


def _assert_no_raw_names(texts: dict[str, str], names) -> None:
    for fname, text in texts.items():
        for name in names:
            assert name not in text, f"{fname} holds the raw name {name[:40]!r}"
        assert "#embed" not in text and "/etc/hostname" not in text


def test_tflite_names_stay_in_comments_and_analysis_is_bit_exact(benign, evil_tflite):
    (good, good_src), (bad, bad_src) = benign, evil_tflite
    assert [layer.name for layer in bad.layers] == DANGEROUS[1:]      # the names did travel
    assert bad.fits and bad.bit_exact, bad.mismatch
    assert all(layer.bit_exact for layer in bad.layers)
    assert np.array_equal(bad.output, good.output)
    assert np.array_equal(bad.output, bad.reference_output)
    _assert_no_raw_names(bad_src, DANGEROUS)
    assert _without_comments(bad_src) == _without_comments(good_src)


def test_graph_name_from_a_file_name_is_escaped(tmp_path, benign):
    """The model name defaults to the file's stem: any character but '/' and NUL can be in it."""
    stem = 'm *\n#include "x.h"\n??= %n \\'
    path = tmp_path / f"{stem}.tflite"
    path.write_bytes(save_tflite(_relu_chain([f"t{i}" for i in range(len(DANGEROUS))])))
    a = analyze(path, "stm32h743", work_dir=tmp_path / "gen")
    assert a.model == stem and a.bit_exact
    src = _sources(tmp_path / "gen")
    _assert_no_raw_names(src, [stem])
    assert _without_comments(src) == _without_comments(benign[1])


def test_the_original_attack_includes_nothing(tmp_path):
    """Reproduces issue 10 item 1: a tensor name closing the comment and including a host
    file. Before the fix the compiler read the marker file (#error -> CompileError)."""
    marker = tmp_path / "host-secret.h"
    marker.write_text("#error MCUSIM_INJECTED_MARKER\n")
    name = f'x */\n#include "{marker}"\n/* '
    path = tmp_path / "attack.tflite"
    path.write_bytes(save_tflite(_relu_chain(["in", name, "out"])))
    a = analyze(path, "stm32h743", work_dir=tmp_path / "gen")
    assert a.fits and a.bit_exact, a.mismatch
    src = _sources(tmp_path / "gen")
    assert not any(str(marker) in text for text in src.values())


def _onnx_relu_chain(names: list[str]):
    onnx_models = pytest.importorskip("tests.helpers.onnx_models")
    from onnx import helper
    values = ["x"] + names
    nodes = [helper.make_node("Relu", [values[i]], [values[i + 1]], name=values[i + 1])
             for i in range(len(names))]
    return onnx_models._model(nodes, {}, [onnx_models._io("x", [1, 2, 4, 4])],
                              [onnx_models._io(values[-1], [1, 2, 4, 4])], name=BIG, check=False)


def test_onnx_names_stay_in_comments_and_analysis_is_bit_exact(tmp_path):
    onnx = pytest.importorskip("onnx")
    path = tmp_path / "evil.onnx"
    onnx.save(_onnx_relu_chain(DANGEROUS), path)
    a = analyze(path, "stm32h743", work_dir=tmp_path / "gen")
    assert a.fits and a.bit_exact, a.mismatch
    assert np.array_equal(a.output.view(np.uint32), a.reference_output.view(np.uint32))
    names = {layer.name for layer in a.layers}
    assert names & set(DANGEROUS), "the ONNX value names should reach the IR"
    _assert_no_raw_names(_sources(tmp_path / "gen"), DANGEROUS)


# ---- boards and linker scripts -----------------------------------------------------------------

BOARD = Path(__file__).resolve().parents[2] / "simulator" / "boards" / "stm32h743.toml"


@pytest.mark.parametrize("field", ["name", "region"])
@pytest.mark.parametrize("bad", ['x */ INCLUDE "/etc/hostname" /*', "a\nb", "a b", "", "x" * 65,
                                 "../../x", "-leading"])
def test_board_file_with_a_dangerous_name_is_a_board_error(tmp_path, field, bad):
    text = BOARD.read_text()
    if field == "name":
        text = re.sub(r'^name = "stm32h743"', lambda _m: f"name = {_toml_str(bad)}", text, count=1, flags=re.M)
    else:
        text = text.replace('name = "axi_sram"', f"name = {_toml_str(bad)}")
        text = text.replace('"axi_sram"', _toml_str(bad))
    path = tmp_path / "evil.toml"
    path.write_text(text)
    with pytest.raises(BoardError, match="not an identifier"):
        get_board(str(path))


def _toml_str(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def test_the_board_file_edit_above_is_otherwise_valid(tmp_path):
    """The oracle for the test above: the same edit with a plain identifier loads."""
    text = BOARD.read_text().replace('"axi_sram"', '"axi_sram_2"')
    text = re.sub(r'^name = "stm32h743"', 'name = "stm32h743_2"', text, count=1, flags=re.M)
    path = tmp_path / "ok.toml"
    path.write_text(text)
    board = get_board(str(path))
    assert board.name == "stm32h743_2" and "axi_sram_2" in {r.name for r in board.regions}


@pytest.mark.parametrize("name", DANGEROUS)
def test_linker_script_escapes_a_board_built_in_code(name):
    """A Board made in Python skips the loader's check: the script escapes its names anyway."""
    board = get_board("stm32h743")
    ram = replace(board.default_ram, name=name)
    evil = replace(board, name=name, regions=tuple(ram if r.name == ram.name else r
                                                    for r in board.regions))
    script = render_linker_script(evil, ram, 0x1000)
    plain = render_linker_script(board, board.default_ram, 0x1000)
    assert name not in script and "INCLUDE" not in script
    assert COMMENT.sub("", script) == COMMENT.sub("", plain)


# ---- reports -----------------------------------------------------------------------------------

MD_OWN_TAGS = ("<details><summary>per-layer cost</summary>", "</details>")


def test_markdown_report_has_no_active_markup(evil_tflite):
    a = evil_tflite[0]
    md = render_analysis_markdown(a)
    text = md
    for tag in MD_OWN_TAGS:
        text = text.replace(tag, "")
    assert "<" not in text and ">" not in text               # no raw HTML at all
    assert not re.search(r"(?<!\\)\]\(", text) and "![" not in text   # no link or image
    assert not re.search(r"(?<!\\)[\[\]`*~$]", text.replace("\\\\", "")), "unescaped markup"
    for line in text.splitlines():
        assert "\r" not in line and "\x00" not in line
        if line.startswith("| "):
            cells = re.split(r"(?<!\\)\|", line.replace("\\\\", ""))
            assert len(cells) - 2 in (2, 7, 10), line[:80]   # summary, I/O or layer table: no extra cells
    assert len(md) < 20_000                                    # a 100 KB name is shortened


def test_md_text_keeps_plain_names_readable():
    assert md_text("conv2d_1/BiasAdd;Relu") == "conv2d_1/BiasAdd;Relu"
    assert md_text("_x_") == "\\_x\\_"
    assert md_text("<b>") == "&lt;b&gt;"


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags, self.attrs, self.text = [], [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs += attrs

    def handle_data(self, data):
        self.text.append(data)


def test_html_report_has_no_active_markup(evil_tflite):
    page = render_analysis_html(evil_tflite[0])
    p = _Tags()
    p.feed(page)
    allowed = {"html", "head", "meta", "title", "style", "body", "h1", "h2", "table", "thead",
               "tbody", "tr", "th", "td", "p", "img", "span"}
    assert set(p.tags) <= allowed
    assert not any(k.startswith("on") for k, _ in p.attrs)
    assert p.tags.count("img") in (0, 2, 3)   # the two or three charts (schedule timeline), or none
    text = "".join(p.text)
    assert "<script>alert(1)</script>" in text                 # shown as text, not run


def test_charts_render_hostile_names_as_text(evil_tflite):
    plots = pytest.importorskip("simulator.report.plots")
    pytest.importorskip("matplotlib")
    a = evil_tflite[0]
    for render in plots.CHARTS.values():                      # malformed mathtext would raise
        assert render(a).startswith(b"\x89PNG")


def test_text_report_has_no_terminal_controls(evil_tflite):
    a = evil_tflite[0]
    text = render_analysis(a) + "\n" + render_memory_plan(a)
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202e]", text)
    assert "esc \\x1b[2J" in text                           # shown, escaped


def test_c_comment_text_is_inert_for_every_character():
    every = "".join(chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF)
    out = c_comment_text(every, limit=len(every))
    assert set(out) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.,:;+= -")
    assert len(c_comment_text(BIG)) <= 64
