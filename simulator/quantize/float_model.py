"""Float32 models from NumPy weights: the small Python API in front of :func:`quantize_graph`.

    fb = FloatBuilder("digits")
    x = fb.input((1, 8, 8, 1))
    y = fb.conv2d(x, w1, b1, activation="RELU")          # w1 float [C_out, KH, KW, C_in]
    y = fb.max_pool2d(y, 2)
    y = fb.softmax(fb.fully_connected(fb.reshape(y, (1, -1)), w2, b2))
    fb.output(y)
    graph = fb.build()          # ir.Graph of float32 tensors; save_tflite(graph) -> float .tflite

Layouts are the IR's (docs/ARCHITECTURE.md). It reuses :class:`ModelBuilder`'s tensor and op
bookkeeping; only the layers that own float weights are written here.
"""
from __future__ import annotations

import numpy as np

from simulator.errors import ModelError
from simulator.frontend.builder import ModelBuilder, _out_size, _pair

F32 = "float32"


class FloatBuilder(ModelBuilder):
    def input(self, shape, name=None, **_) -> int:
        return super().input(shape, dtype=F32, name=name)

    def _const(self, data, name):
        return self.const(np.asarray(data, np.float32), F32, name=name)

    def _out(self, shape, name) -> int:
        return self.tensor(shape, F32, name=name)

    def _new(self, shape, like=None, scale=None, zp=None, dtype=F32, name=None) -> int:
        # every activation of a float model is float32 without quantization
        return self._out(shape, name or f"t{len(self.tensors)}")

    def conv2d(self, x, weights, bias=None, *, stride=1, padding="SAME", dilation=1,
               activation="NONE", name=None, **_) -> int:
        name = name or self._name("conv2d")
        n, h, w_, c = self.shape(x)
        weights = np.asarray(weights, np.float32)
        cout, kh, kw, cin = weights.shape
        if cin != c:
            raise ModelError(f"{name}: filter {weights.shape} does not match input {self.shape(x)}")
        (sh, sw), (dh, dw) = _pair(stride), _pair(dilation)
        wt = self._const(weights, f"{name}/weights")
        bt = -1 if bias is None else self._const(np.reshape(bias, (cout,)), f"{name}/bias")
        y = self._out((n, _out_size(h, kh, sh, dh, padding), _out_size(w_, kw, sw, dw, padding),
                       cout), name)
        self.op("CONV_2D", [x, wt, bt], [y], padding=padding, stride_w=sw, stride_h=sh,
                fused_activation_function=activation, dilation_w_factor=dw, dilation_h_factor=dh)
        return y

    def depthwise_conv2d(self, x, weights, bias=None, *, stride=1, padding="SAME",
                         depth_multiplier=1, dilation=1, activation="NONE", name=None, **_) -> int:
        name = name or self._name("depthwise_conv2d")
        n, h, w_, c = self.shape(x)
        weights = np.asarray(weights, np.float32)
        _, kh, kw, cout = weights.shape
        if cout != c * depth_multiplier:
            raise ModelError(f"{name}: filter {weights.shape} does not match input {self.shape(x)}")
        (sh, sw), (dh, dw) = _pair(stride), _pair(dilation)
        wt = self._const(weights, f"{name}/weights")
        bt = -1 if bias is None else self._const(np.reshape(bias, (cout,)), f"{name}/bias")
        y = self._out((n, _out_size(h, kh, sh, dh, padding), _out_size(w_, kw, sw, dw, padding),
                       cout), name)
        self.op("DEPTHWISE_CONV_2D", [x, wt, bt], [y], padding=padding, stride_w=sw,
                stride_h=sh, depth_multiplier=depth_multiplier,
                fused_activation_function=activation, dilation_w_factor=dw, dilation_h_factor=dh)
        return y

    def fully_connected(self, x, weights, bias=None, *, activation="NONE", name=None, **_) -> int:
        name = name or self._name("fully_connected")
        weights = np.asarray(weights, np.float32)
        out_c, in_c = weights.shape
        total = int(np.prod(self.shape(x)))
        if total % in_c:
            raise ModelError(f"{name}: input {self.shape(x)} does not flatten to rows of {in_c}")
        wt = self._const(weights, f"{name}/weights")
        bt = -1 if bias is None else self._const(np.reshape(bias, (out_c,)), f"{name}/bias")
        y = self._out((total // in_c, out_c), name)
        self.op("FULLY_CONNECTED", [x, wt, bt], [y], fused_activation_function=activation)
        return y

    def softmax(self, x, beta=1.0, name=None) -> int:
        y = self._out(self.shape(x), name or self._name("softmax"))
        self.op("SOFTMAX", [x], [y], beta=float(beta))
        return y

    def logistic(self, x, name=None) -> int:
        return self._unary("LOGISTIC", x, name=name)

    def tanh(self, x, name=None) -> int:
        return self._unary("TANH", x, name=name)
