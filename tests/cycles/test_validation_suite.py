"""The validation suite (simulator/cycles/validation/<core>.toml): every sequence measured on silicon,
replayed as firmware that times itself with DWT CYCCNT (SysTick on the M0+) under the native accounting.

An entry without ``known_deviation`` must be within its tolerance (+-1 cycle per iteration) of the
published figure. An entry with one must be listed in docs/cycle-model.md and must still deviate: a rule
that lands and fixes it fails the test until the listing and the ``known_deviation`` are removed, so the
documented list cannot go stale (strict-xfail semantics).
"""
from pathlib import Path

import pytest

from simulator.cycles import validation as v
from simulator.errors import ConfigError

DOC = Path(__file__).resolve().parents[2] / "docs" / "cycle-model.md"
MINIMUM = {"m7": 30, "m4": 15, "m0plus": 10, "m33": 10}
SEQUENCES = v.load_all()


@pytest.fixture(scope="module")
def documented():
    return v.documented_deviations(DOC.read_text())


@pytest.mark.parametrize("seq", SEQUENCES, ids=[f"{s.core}-{s.name}" for s in SEQUENCES])
def test_sequence_matches_silicon_or_is_a_documented_deviation(seq, documented):
    result = v.run_sequence(seq)
    summary = (f"{seq.core} {seq.name}: published {seq.cycles} cycles/iteration, mcusim {result.measured:g} "
               f"(residual {result.residual:+g}, tolerance {seq.tolerance:g}; source: {seq.source})")
    if not seq.known_deviation:
        assert result.within, summary
        return
    assert documented.get((seq.core, seq.name)) == seq.known_deviation, (
        f"{summary}: known_deviation must be listed, with the same reason, in docs/cycle-model.md "
        f"'{v.DOC_HEADING[3:]}'")
    assert not result.within, (f"{summary}: now within tolerance - remove its known_deviation from "
                               f"{seq.core}.toml and its row from docs/cycle-model.md")


def test_documented_deviations_are_all_in_the_tables(documented):
    declared = {(s.core, s.name) for s in SEQUENCES if s.known_deviation}
    assert documented, "docs/cycle-model.md has no validation deviation table"
    assert set(documented) == declared


@pytest.mark.parametrize("core", v.CORES)
def test_tables_meet_minimum_counts_and_cite_sources(core):
    loop, seqs = v.load_table(core)
    assert len(seqs) >= MINIMUM[core]
    assert loop.source.strip()
    for s in seqs:
        assert s.source.strip() and s.derivation.strip(), s.name
        assert s.cycles > 0 and s.tolerance > 0, s.name


def test_a_malformed_entry_is_a_config_error_naming_it(monkeypatch):
    path, text = v.table_text("m4")
    broken = text.replace('name = "mul"\n', 'name = "mul"\nbogus = 1\n', 1)
    monkeypatch.setattr(v, "table_text", lambda core: (path, broken))
    with pytest.raises(ConfigError, match=r"m4.toml: sequence #\d+ \(mul\): unknown keys \['bogus'\]"):
        v.load_table("m4")


def test_missing_source_is_a_config_error(monkeypatch):
    path, text = v.table_text("m0plus")
    broken = text.replace('source = "TRM Table 3.1: Branch \'B <label>\' 2"', 'source = ""', 1)
    assert broken != text
    monkeypatch.setattr(v, "table_text", lambda core: (path, broken))
    with pytest.raises(ConfigError, match=r"b_to_next_instruction\): 'source' missing"):
        v.load_table("m0plus")


def test_the_instrument_measures_what_it_times():
    # The runner's CYCCNT/SysTick reading must be the loop's own cost: a body of four ADDs on the M4
    # costs 4 more cycles per iteration than an empty body (TRM Table 3-1: ADD 1).
    loop, _ = v.load_table("m4")
    empty = v.Sequence(core="m4", name="empty", asm="", cycles=3, source="-")
    adds = v.Sequence(core="m4", name="adds", asm="adds r0, #1\n" * 4, cycles=7, source="-")
    assert v.measure(adds, loop) - v.measure(empty, loop) == 4
    m0_loop, _ = v.load_table("m0plus")
    assert v.measure(v.Sequence(core="m0plus", name="e", asm="", cycles=3, source="-"), m0_loop) == 3


def test_a_body_that_clobbers_the_counter_is_a_located_error_not_a_hang():
    from simulator.errors import SimulationError
    runaway = v.Sequence(core="m4", name="runaway", asm="movs r12, #5", cycles=4, source="-")
    with pytest.raises(SimulationError, match=r"m4/runaway: did not finish .*loop counter r12"):
        v.measure(runaway)


def test_bad_assembly_names_the_entry():
    from simulator.errors import CompileError
    bad = v.Sequence(core="m0plus", name="bad", asm="ldr.w r0, [r4]", cycles=4, source="-")
    with pytest.raises(CompileError, match=r"validation sequence m0plus/bad"):
        v.measure(bad)


def test_deviation_table_round_trips_through_the_doc_parser():
    seqs = [v.Sequence(core="m7", name="x", asm="", cycles=1, source="s", known_deviation="a | b"),
            v.Sequence(core="m4", name="y", asm="", cycles=1, source="s", known_deviation="plain"),
            v.Sequence(core="m4", name="z", asm="", cycles=1, source="s")]
    md = f"{v.DOC_HEADING}\n\nprose\n\n{v.deviation_table(seqs)}\n\n## Next\n| m0plus | w | other section |\n"
    assert v.documented_deviations(md) == {("m7", "x"): "a | b", ("m4", "y"): "plain"}
