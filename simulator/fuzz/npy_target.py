"""Fuzz target ``npy``: hostile .npy files as ``analyze --input`` and ``quantize --calibration``.

Contract: :func:`analyze.prepare_input` gives an array of the model input's shape and dtype, or
a ConfigError naming the file; :func:`quantize.calibration.load_calibration` followed by
``quantize_graph`` gives a quantized Graph or a QuantizationError / ConfigError (naming the file
when the file itself is refused). Never MemoryError, OverflowError or a raw ValueError, and
never more memory than the bound, whatever the header declares.

Mutations: the header's shape (2^40, 10^20, negative, a float, nested), its descr (object,
unicode, structured, void, byte order, garbage), fortran_order, the header length field, the
magic and version, truncated data, and data values (3e38, inf, NaN, -0.0, denormals).
"""
from __future__ import annotations

import struct
import warnings
from pathlib import Path

import numpy as np

from ..errors import ConfigError, McusimError
from .seeds import MODELS_DIR
from .targets import Target

_MODELS: list = []
INPUT_SHAPE = (1, 8, 8, 1)          # models/digits_float.tflite and digits_cnn.tflite
SHAPES = ["(1, 8, 8, 1)", "(4, 8, 8, 1)", "(1099511627776,)", "(100000000000000000000,)", "(-1, 8, 8, 1)",
          "(1.5,)", "((1,),)", "()", "(0, 8, 8, 1)", "(1, 8, 8, 1, 1)", "(2**40,)", "(4294967296, 8, 8, 1)",
          "(1, 8, 8, 1099511627776)", "'x'"]
DESCRS = ["'<f4'", "'<f8'", "'<f2'", "'|i1'", "'<i4'", "'>f4'", "'|O'", "'<U10'", "'|V8'",
          "[('a', '<f4')]", "'<f4' * 3", "'?'", "'<c8'", "'garbage'", "1"]
VALUES = [3e38, -3e38, np.inf, -np.inf, np.nan, -0.0, 1e-45, 0.5]


def models():
    """The two models an input goes to; one quantization is run here, so that its imports
    and first-call costs are not charged to the first case."""
    if not _MODELS:
        from ..frontend import load_model
        from ..quantize.ptq import quantize_graph
        _MODELS.extend([load_model(MODELS_DIR / "digits_float.tflite"),
                        load_model(MODELS_DIR / "digits_cnn.tflite")])
        quantize_graph(_MODELS[0], np.zeros((1, *INPUT_SHAPE[1:]), np.float32))
    return _MODELS


def _npy(header: str, body: bytes, version: bytes = b"\x01\x00", length: int | None = None) -> bytes:
    text = header.encode("latin-1")
    pad = 64 - (10 + len(text) + 1) % 64
    text += b" " * (pad % 64) + b"\n"
    size = len(text) if length is None else length
    size_field = struct.pack("<H", size & 0xFFFF) if version == b"\x01\x00" else struct.pack("<I", size & 0xFFFFFFFF)
    return b"\x93NUMPY" + version + size_field + text + body


def _header(descr="'<f4'", fortran="False", shape="(1, 8, 8, 1)") -> str:
    return "{" + f"'descr': {descr}, 'fortran_order': {fortran}, 'shape': {shape}, " + "}"


def _body(rng, n=64, dtype=np.float32) -> bytes:
    v = rng.uniform(-1, 1, n).astype(dtype)
    if rng.random() < 0.5:
        v[np.asarray([rng.integers(n) for _ in range(3)])] = rng.choice(VALUES)
    return v.tobytes()


def make(pyrng) -> tuple[str, bytes]:
    rng = np.random.default_rng(pyrng.randrange(2**32))
    kind = pyrng.choice(["shape", "descr", "fortran", "length", "magic", "truncate", "values", "batch"])
    if kind == "shape":
        return kind, _npy(_header(shape=pyrng.choice(SHAPES)), _body(rng))
    if kind == "descr":
        return kind, _npy(_header(descr=pyrng.choice(DESCRS)), _body(rng) * pyrng.choice([1, 2]))
    if kind == "fortran":
        return kind, _npy(_header(fortran=pyrng.choice(["True", "1", "'no'", "None"])), _body(rng))
    if kind == "length":
        return kind, _npy(_header(), _body(rng), length=pyrng.choice([0, 1, 9, 65535, 70000]),
                          version=pyrng.choice([b"\x01\x00", b"\x02\x00"]))
    if kind == "magic":
        data = bytearray(_npy(_header(), _body(rng), version=pyrng.choice([b"\x03\x00", b"\x01\x00", b"\x09\x09"])))
        data[pyrng.randrange(8)] = pyrng.randrange(256)
        return kind, bytes(data)
    if kind == "truncate":
        data = _npy(_header(), _body(rng))
        return kind, data[:pyrng.randrange(len(data))]
    if kind == "values":
        return kind, _npy(_header(descr=pyrng.choice(["'<f4'", "'<f8'"])),
                          _body(rng, dtype=np.float32) if pyrng.random() < 0.5 else _body(rng, dtype=np.float64))
    n = pyrng.choice([1, 3, 16])
    return kind, _npy(_header(shape=f"({n}, 8, 8, 1)"), _body(rng, 64 * n))


def judge(data: bytes, workdir: Path) -> tuple[str, str]:
    """Warnings count as crashes here: a RuntimeWarning would break the CLI's one-line error."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        return _judge(data, workdir)


def _judge(data: bytes, workdir: Path) -> tuple[str, str]:
    from ..analyze import prepare_input
    from ..quantize.calibration import load_calibration
    from ..quantize.ptq import quantize_graph
    path = workdir / "case.npy"
    path.write_bytes(data)
    outcomes = []
    for graph in models():
        try:
            x = prepare_input(graph, path)
            if tuple(x.shape) != tuple(graph.tensor(graph.inputs[0]).shape):
                return "bad_message", f"input of shape {x.shape} accepted"
            outcomes.append("accepted")
        except ConfigError as exc:
            if str(path) not in str(exc):
                return "bad_message", f"input error does not name the file: {exc}"
            outcomes.append("rejected")
    float_graph = models()[0]
    try:
        batches = load_calibration(float_graph, path)
        quantize_graph(float_graph, batches)
        outcomes.append("accepted")
    except McusimError:
        outcomes.append("rejected")
    return ("accepted" if "accepted" in outcomes else "rejected"), ""


TARGET = Target("npy", make, judge, suffix=".npy", setup=models)
