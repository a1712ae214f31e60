"""ONNX NCHW vs the IR's NHWC: the layouts an imported value is held in, and arrays converted
at the boundary of an imported graph (see :mod:`simulator.frontend.onnx_reader`)."""
from __future__ import annotations

import numpy as np

from ..errors import ConfigError
from ..ir import Graph

NHWC, PLAIN, FLAT = "nhwc", "plain", "flat_nchw"
NCHW_TO_NHWC = (0, 2, 3, 1)
NHWC_TO_NCHW = (0, 3, 1, 2)
NHWC_AXIS = {0: 0, 1: 3, 2: 1, 3: 2}       # ONNX NCHW axis -> IR NHWC axis


# ---- arrays at the boundary -------------------------------------------------------------------

def is_onnx_graph(graph: Graph) -> bool:
    return "onnx" in graph.metadata


def onnx_inputs_to_ir(graph: Graph, arrays, *, error=ConfigError, what="input") -> list:
    """ONNX-layout arrays (NCHW for 4-D inputs, any leading batch N) -> the IR's (NHWC).
    Raises ``error`` naming the expected and the given shape and dtype."""
    arrays = list(arrays) if isinstance(arrays, (list, tuple)) else [arrays]
    meta = graph.metadata["onnx"]["inputs"]
    if len(arrays) != len(meta):
        raise error(f"{what}: expected {len(meta)} array(s), one per model input, got "
                    f"{len(arrays)}")
    out = []
    for k, (a, m) in enumerate(zip(arrays, meta)):
        a = np.asarray(a)
        want = list(m["onnx_shape"][1:])
        layout = " (NCHW, the ONNX model's layout)" if m["layout"] == NHWC else ""
        if a.dtype.kind != "f" or a.ndim != len(want) + 1 or list(a.shape[1:]) != want:
            raise error(f"{what} for input {k} ({m['name']}): expected float32 "
                        f"[N, {', '.join(map(str, want))}]{layout}, got {a.dtype} {list(a.shape)}")
        a = a.astype(np.float32)
        out.append(np.ascontiguousarray(a.transpose(NCHW_TO_NHWC)) if m["layout"] == NHWC else a)
    return out


def ir_outputs_to_onnx(graph: Graph, arrays) -> list:
    """The IR's outputs (batched) -> the ONNX model's layout (NCHW maps, NCHW flatten order)."""
    out = []
    for a, m in zip(arrays, graph.metadata["onnx"]["outputs"]):
        a = np.asarray(a)
        if m["layout"] == NHWC:
            a = a.transpose(NHWC_TO_NCHW)
        elif m["layout"] == FLAT:
            c, h, w = m["chw"]
            a = a.reshape(-1, h, w, c).transpose(NHWC_TO_NCHW).reshape(a.shape[0], -1)
        out.append(np.ascontiguousarray(a))
    return out
