"""The pytest plugin seen the way a user meets it: test files run by pytester."""
import json
import textwrap

import pytest

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
    assert all(v["instructions"] > 0 and set(v) == {"board", "cycles", "instructions", "memory"}
               and v["memory"] == "realistic" for v in saved.values())

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
