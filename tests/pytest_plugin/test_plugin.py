"""The pytest plugin seen the way a user meets it: test files run by pytester."""
import json
import textwrap
from pathlib import Path

import pytest

from simulator.boards import get_board

BASELINE_SCHEMA_FILE = Path(__file__).resolve().parents[2] / "docs" / "baseline.schema.json"

KERNEL = textwrap.dedent("""
    #include <stdint.h>
    int32_t dot_s8(const int8_t *a, const int8_t *b, int32_t n)
    {
        int32_t acc = 0;
        for (int32_t i = 0; i < n; i++) acc += (int32_t)a[i] * (int32_t)b[i];
    #ifdef SLOW
        for (volatile int32_t k = 0; k < SLOW; k++) {}
    #endif
        return acc;
    }
""")

USER_TEST = textwrap.dedent("""
    import numpy as np
    import pytest
    from simulator.testing import assert_bit_exact

    DEFINES = {DEFINES}

    @pytest.mark.mcu_board("rp2040", "stm32h743")
    @pytest.mark.cycles(max=100_000)
    def test_dot(mcu):
        fw = mcu.build(["kernel.c"], defines=DEFINES)
        rng = np.random.default_rng(1)
        a = rng.integers(-128, 128, 64, dtype=np.int8)
        b = rng.integers(-128, 128, 64, dtype=np.int8)
        r = fw.call("dot_s8", a, b, len(a))
        assert_bit_exact(np.int32(r.value), np.int32(a.astype(np.int32) @ b.astype(np.int32)))
""")


def _user_files(pytester, defines=None, test=USER_TEST):
    pytester.makefile(".c", kernel=KERNEL)
    pytester.makepyfile(test_user=test.replace("{DEFINES}", repr(defines or {})))


def test_new_user_file_passes_on_two_boards_with_summary(pytester):
    _user_files(pytester)
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["*mcusim: cost per test*", "*test_dot?rp2040?*rp2040*dot_s8*",
                                 "*test_dot?stm32h743?*stm32h743*dot_s8*"])


def test_cycles_budget_exceeded_fails_with_named_message(pytester):
    _user_files(pytester, test=USER_TEST.replace("max=100_000", "max=50"))
    result = pytester.runpytest("-p", "no:cacheprovider", "--mcu-board", "rp2040")
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(["*@pytest.mark.cycles: *test_dot?rp2040?: dot_s8 took * on rp2040, "
                                 "over the budget max=50 by *"])


@pytest.mark.parametrize("marker, message", [
    ("cycles(maxx=5)", "unknown argument(s) maxx"),
    ("cycles(max=0)", "max must be a positive integer, got 0"),
    ("cycles(max=-3)", "max must be a positive integer, got -3"),
    ("cycles(board='rp2040')", "needs max=N"),
    ("cycles(max=10, board='no-such-board')", "no-such-board"),
])
def test_bad_cycles_marker_is_a_usage_error(pytester, marker, message):
    pytester.makepyfile(f"""
        import pytest
        @pytest.mark.{marker}
        def test_k(mcu):
            pass
    """)
    result = pytester.runpytest("-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert message in result.stderr.str()


def test_cycles_marker_without_mcu_fixture_is_a_usage_error(pytester):
    pytester.makepyfile("""
        import pytest
        @pytest.mark.cycles(max=10)
        def test_k():
            pass
    """)
    result = pytester.runpytest("-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "does not use it" in result.stderr.str()


def test_board_option_repeated_parametrizes(pytester):
    pytester.makepyfile("""
        def test_board(mcu, mcu_board):
            assert mcu.board.name == mcu_board
    """)
    result = pytester.runpytest("-p", "no:cacheprovider", "--mcu-board", "rp2040", "--mcu-board", "nrf52840", "-v")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["*test_board?rp2040? PASSED*", "*test_board?nrf52840? PASSED*"])


def test_baseline_then_slower_kernel_fails_the_gate_under_xdist(pytester):
    _user_files(pytester)
    base = pytester.path / "base.json"
    first = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-n", "2", "--mcu-save-baseline", str(base))
    first.assert_outcomes(passed=2)
    saved = json.loads(base.read_text())
    assert sorted(saved) == ["test_user.py::test_dot[rp2040]", "test_user.py::test_dot[stm32h743]"]
    jsonschema = pytest.importorskip("jsonschema")
    jsonschema.validate(saved, json.loads(BASELINE_SCHEMA_FILE.read_text()))
    assert all(v["instructions"] > 0 and set(v) == {"board", "cycles", "instructions", "context"}
               for v in saved.values())
    for v in saved.values():
        ctx = v["context"]
        assert ctx["memory_model"] == "realistic" and ctx["toolchain"].startswith("zig ziglang ")
        assert ctx["clock_hz"] == get_board(v["board"]).clock_hz
        assert "-O2" in ctx["flags"] and not any(f.startswith(("-D", "-I")) for f in ctx["flags"])
        assert ctx["kernel_library"].startswith("cross_kernels sha256:") and ctx["libc"]

    _user_files(pytester, defines={"SLOW": 200})
    second = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-n", "2", "--mcu-compare", str(base),
                                           "--mcu-compare-fail=instructions:5%")
    assert second.ret == pytest.ExitCode.TESTS_FAILED
    second.stdout.fnmatch_lines([
        "*mcusim regression: test_user.py::test_dot?rp2040?: instructions * -> * (+*%), "
        "over the instructions:5% limit; baseline *base.json"])


def test_unchanged_kernel_passes_the_gate(pytester):
    _user_files(pytester)
    base = pytester.path / "base.json"
    pytester.runpytest("-p", "no:cacheprovider", "--mcu-board", "rp2040", "--mcu-save-baseline", str(base))
    again = pytester.runpytest("-p", "no:cacheprovider", "--mcu-board", "rp2040", "--mcu-compare", str(base),
                               "--mcu-compare-fail=cycles:5%")
    again.assert_outcomes(passed=2)
    again.stdout.fnmatch_lines(["*+0.0% *"])


def test_compare_fail_needs_a_baseline_and_a_valid_spec(pytester):
    pytester.makepyfile("def test_x(): pass")
    result = pytester.runpytest("-p", "no:cacheprovider", "--mcu-compare-fail=cycles:5%")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "needs --mcu-compare" in result.stderr.str()
    (pytester.path / "b.json").write_text("{}")
    result = pytester.runpytest("-p", "no:cacheprovider", "--mcu-compare", "b.json", "--mcu-compare-fail=speed:5")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "expected METRIC:PERCENT%" in result.stderr.str()


def test_bad_marker_under_xdist_errors_the_test(pytester):
    pytester.makepyfile("""
        import pytest
        @pytest.mark.cycles(maxx=5)
        def test_k(mcu):
            pass
    """)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-n", "2")
    assert result.ret != 0
    result.stdout.fnmatch_lines(["*UsageError*unknown argument(s) maxx*"])
    result.assert_outcomes(errors=1)


@pytest.mark.parametrize("spec", ["cycles:nan%", "cycles:inf%", "instructions:-1%"])
def test_compare_fail_refuses_limits_that_could_never_fail(pytester, spec):
    pytester.makepyfile("def test_x(): pass")
    (pytester.path / "b.json").write_text("{}")
    result = pytester.runpytest("-p", "no:cacheprovider", "--mcu-compare", "b.json",
                                f"--mcu-compare-fail={spec}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "the percentage must be a finite number >= 0" in result.stderr.str()


def test_baseline_with_string_values_is_a_usage_error_not_an_internal_error(pytester):
    pytester.makepyfile("def test_x(): pass")
    (pytester.path / "b.json").write_text(json.dumps(
        {"test_x.py::test_x": {"board": "rp2040", "cycles": "many", "instructions": "lots"}}))
    result = pytester.runpytest("-p", "no:cacheprovider", "--mcu-compare", "b.json",
                                "--mcu-compare-fail=cycles:5%")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "INTERNALERROR" not in result.stdout.str() + result.stderr.str()
    assert "entry 'test_x.py::test_x' is not" in result.stderr.str()


def _saved_baseline(pytester) -> Path:
    _user_files(pytester)
    base = pytester.path / "base.json"
    pytester.runpytest("-p", "no:cacheprovider", "--mcu-board", "rp2040", "--mcu-save-baseline", str(base))
    return base


def test_a_baseline_from_another_toolchain_warns_and_strict_fails(pytester):
    """A baseline saved under one toolchain and compared under another: the summary says which
    context changed, and --mcu-compare-strict fails the test instead of comparing."""
    base = _saved_baseline(pytester)
    saved = json.loads(base.read_text())
    for v in saved.values():
        v["context"]["toolchain"] = "gcc 13.2.1"
    base.write_text(json.dumps(saved))
    warned = pytester.runpytest("-p", "no:cacheprovider", "--mcu-board", "rp2040", "--mcu-compare", str(base))
    warned.assert_outcomes(passed=2)
    warned.stdout.fnmatch_lines(["*(context differs)*",
                                 "mcusim: warning: 2 test(s) measured under a different context than the "
                                 "baseline: toolchain gcc 13.2.1 -> zig ziglang *"])
    strict = pytester.runpytest("-p", "no:cacheprovider", "--mcu-board", "rp2040", "--mcu-compare", str(base),
                                "--mcu-compare-strict")
    strict.assert_outcomes(failed=2)
    strict.stdout.fnmatch_lines(["*another context (toolchain gcc 13.2.1 -> zig ziglang *): its counts are not "
                                 "comparable (--mcu-compare-strict)*"])


def test_a_baseline_without_context_still_compares(pytester):
    """Files saved before the context was recorded ("memory" only) load; nothing they lack is a warning."""
    base = _saved_baseline(pytester)
    saved = json.loads(base.read_text())
    old = {k: {"board": v["board"], "cycles": v["cycles"], "instructions": v["instructions"],
               "memory": "realistic"} for k, v in saved.items()}
    base.write_text(json.dumps(old))
    again = pytester.runpytest("-p", "no:cacheprovider", "--mcu-board", "rp2040", "--mcu-compare", str(base),
                               "--mcu-compare-strict", "--mcu-compare-fail=cycles:5%")
    again.assert_outcomes(passed=2)
    assert "warning" not in again.stdout.str()
    old[next(iter(old))]["memory"] = "ideal"
    base.write_text(json.dumps(old))
    changed = pytester.runpytest("-p", "no:cacheprovider", "--mcu-board", "rp2040", "--mcu-compare", str(base))
    changed.stdout.fnmatch_lines(["*memory model ideal -> realistic*"])
