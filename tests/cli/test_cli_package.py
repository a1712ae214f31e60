"""The CLI as a package: one module per command, the target options declared once and
reaching every command that builds (quantize's analysis included)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np

from simulator import cli
from simulator.frontend import save_tflite
from simulator.quantize import FloatBuilder

ROOT = Path(__file__).resolve().parents[2]
TARGET_OPTIONS = ("--board", "--ram", "--stack", "--toolchain", "--memory", "--caches",
                  "--max-instructions", "--max-seconds", "--max-output")


def mcusim(*args):
    return subprocess.run([sys.executable, "-m", "simulator.cli", *map(str, args)],
                          capture_output=True, text=True, cwd=ROOT, timeout=300)


def _subparsers():
    parser = cli.build_parser()
    action = next(a for a in parser._actions if a.dest == "command")
    return action.choices


def test_every_command_is_its_own_module_with_a_handler():
    subs = _subparsers()
    assert set(subs) == {m.__name__.rsplit(".", 1)[1] for m in cli.COMMANDS}
    for name, p in subs.items():
        assert callable(p.get_default("handler")), name


def test_commands_that_build_share_every_target_option():
    subs = _subparsers()
    for name in ("run", "lib", "analyze", "quantize"):
        flags = {s for a in subs[name]._actions for s in a.option_strings}
        missing = [o for o in TARGET_OPTIONS if o not in flags]
        assert not missing, (name, missing)


def test_quantize_board_default_stays_none_and_analyze_keeps_its_board():
    subs = _subparsers()
    assert subs["quantize"].get_default("board") is None
    assert subs["analyze"].parse_args(["m.tflite"]).board == "generic-m7"


def test_quantize_passes_stack_and_memory_to_its_analysis(tmp_path):
    fb = FloatBuilder("tiny")
    x = fb.input((1, 4, 4, 2))
    rng = np.random.default_rng(3)
    y = fb.conv2d(x, rng.normal(size=(3, 3, 3, 2)).astype(np.float32), activation="RELU")
    fb.output(fb.fully_connected(fb.reshape(y, (1, -1)), rng.normal(size=(4, 48)).astype(np.float32)))
    src = tmp_path / "tiny_float.tflite"
    src.write_bytes(save_tflite(fb.build()))
    np.save(tmp_path / "c.npy", rng.normal(size=(8, 4, 4, 2)).astype(np.float32))
    r = mcusim("quantize", src, "--calibration", tmp_path / "c.npy", "-o", tmp_path / "q.tflite",
               "--board", "stm32h743", "--memory", "uncached", "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["analysis"]["memory"]["model"] == "uncached"
    r = mcusim("quantize", src, "--calibration", tmp_path / "c.npy", "-o", tmp_path / "q.tflite",
               "--board", "stm32h743", "--stack", "100")
    assert r.returncode == 2 and "--stack 100: must be a multiple of 8" in r.stderr
    r = mcusim("quantize", src, "--calibration", tmp_path / "c.npy", "-o", tmp_path / "q.tflite",
               "--board", "stm32h743", "--max-instructions", "100")
    assert r.returncode != 0 and "instruction" in r.stderr.lower()


def test_module_entry_point_and_version():
    r = mcusim("--version")
    assert r.returncode == 0 and r.stdout.startswith("mcusim ")
