"""Named errors instead of raw exceptions at the API and CLI edges (issue 10, item 9): a model
with no inputs, Machine(None), fw.call with more arguments than the stack can carry."""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from simulator.errors import ConfigError, ModelError, ToolchainError
from simulator.frontend import load_model, save_tflite
from simulator.fuzz.seeds import MODELS_DIR
from simulator.machine import Machine

from .conftest import FIXTURES


def test_tflite_with_no_inputs_is_a_model_error(tmp_path):
    from simulator.analyze import analyze
    g = load_model(MODELS_DIR / "digits_cnn.tflite")
    g.inputs = []
    path = tmp_path / "noin.tflite"
    path.write_bytes(save_tflite(g))
    with pytest.raises(ModelError, match="no input"):
        analyze(path, "stm32h743")
    p = subprocess.run([sys.executable, "-m", "simulator.cli", "analyze", str(path)], capture_output=True,
                       text=True, timeout=120)
    assert p.returncode == 2 and p.stderr.strip().splitlines() == [
        f"mcusim: error: {path}: the model has no input tensor"]


@pytest.mark.parametrize("board", [None, 3, ["stm32h743"]])
def test_machine_with_a_board_that_is_not_a_name(board):
    with pytest.raises(ConfigError, match="board must be a board name"):
        Machine(board)


def test_machine_with_an_unhashable_toolchain():
    with pytest.raises(ToolchainError, match="unknown toolchain"):
        Machine("stm32h743", toolchain=["zig"])


def test_call_with_too_many_stack_arguments_is_refused():
    fw = Machine("rp2040", ram="32K").build([FIXTURES / "sum_args.c"])
    assert fw.call("sum8", *range(8)).value == sum(range(8))           # 4 of them on the stack
    with pytest.raises(ConfigError, match=r"sum8: 1000 arguments put 3984 B on the stack"):
        fw.call("sum8", *range(1000))
    assert fw.call("sum8", *np.arange(8, dtype=np.int32)).value == 28  # the firmware is still usable
