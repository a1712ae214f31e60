"""Build the converter corpus: small Keras models, each converted by TensorFlow's own
TFLiteConverter in every quantization the converter offers. Needs the optional ``tf`` extra,
best in a venv of its own (the suite never imports TensorFlow):

    python3 -m venv /tmp/tfvenv && /tmp/tfvenv/bin/pip install -e ".[tf]"
    /tmp/tfvenv/bin/python models/converter_corpus/make_corpus.py

Writes ``<model>_<variant>.tflite`` beside this file and ``provenance.json`` (TF and Keras
versions, seeds, each file's ops and sha256, and the variants not written: the converter
refused them, or a "dynamic" file would have been float32 throughout).
Variants (https://www.tensorflow.org/lite/performance/post_training_quantization):

- ``f32``: plain conversion, float32 throughout;
- ``int8``: full-integer (representative data set, TFLITE_BUILTINS_INT8, int8 input/output);
- ``int8fio``: full-integer inside, float input/output (the converter adds QUANTIZE/DEQUANTIZE);
- ``int16x8``: int16 activations, int8 weights (EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_
  WEIGHTS_INT8), int16 input/output;
- ``dynamic``: dynamic-range ("hybrid"): Optimize.DEFAULT without representative data, int8
  weights, float activations.

Models keep Keras' default dynamic batch (``Input(shape)``, no ``batch_size``) unless their
name says ``batch1``: that is what a user's model looks like, and what makes the converter
write SHAPE/STRIDED_SLICE/PACK in front of a RESHAPE. Weights are random (seeded), biases and
batch-norm statistics too, so no layer is an identity; the models are not trained.
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")   # same float sums on every host

import numpy as np  # noqa: E402

HERE = Path(__file__).resolve().parent
SEED = 14
CALIBRATION_SAMPLES = 32
VARIANTS = ("f32", "int8", "int8fio", "int16x8", "dynamic")


def _layers():
    import keras
    from keras import layers as L
    return keras, L


def _hard_swish(x):
    import keras
    return x * keras.ops.relu6(x + 3.0) / 6.0


def _image(shape=(8, 8, 3)):
    keras, _ = _layers()
    return keras.Input(shape)


def _head(x, units=4):
    _, L = _layers()
    return L.Dense(units)(L.Flatten()(x))


def build_models() -> dict:
    """name -> keras.Model; each a few hundred weights, each covering a layer or two."""
    keras, L = _layers()
    m = {}

    def add(name, inputs, outputs):
        m[name] = keras.Model(inputs, outputs, name=name)

    x = _image(); add("conv_relu_flatten", x, _head(L.Conv2D(4, 3, activation="relu")(x)))
    x = keras.Input((8, 8, 3), batch_size=1)
    add("conv_relu_flatten_batch1", x, _head(L.Conv2D(4, 3, activation="relu")(x)))
    x = _image(); y = L.ReLU(6.0)(L.Conv2D(4, 3, use_bias=False, padding="same")(x))
    add("conv_nobias_relu6_gap", x, L.Dense(3)(L.GlobalAveragePooling2D()(y)))
    x = _image(); y = L.DepthwiseConv2D(3, activation="relu")(x)
    add("depthwise_pointwise", x, L.GlobalAveragePooling2D()(L.Conv2D(4, 1)(y)))
    x = _image(); y = L.DepthwiseConv2D(3, use_bias=False, padding="same", strides=2)(x)
    add("depthwise_nobias_stride2", x, _head(y))
    x = _image(); add("separable_relu", x, _head(L.SeparableConv2D(4, 3, activation="relu")(x)))
    x = keras.Input((16,)); y = L.Dense(12, activation="relu")(x)
    add("dense_softmax", x, L.Softmax()(L.Dense(5)(y)))
    x = keras.Input((48,)); y = L.Conv2D(4, 3)(L.Reshape((4, 4, 3))(x))
    add("reshape_conv", x, _head(y))
    x = _image((12, 12, 2)); y = L.MaxPooling2D(2)(L.Conv2D(4, 3, padding="same")(x))
    add("pool_max_avg", x, _head(L.AveragePooling2D(2)(y)))
    x = _image(); y = L.BatchNormalization()(L.Conv2D(4, 3, use_bias=False)(x))
    add("batchnorm_folded", x, L.GlobalAveragePooling2D()(L.ReLU()(y)))
    x = _image(); a = L.Conv2D(3, 3, padding="same", activation="relu")(x)
    add("add_skip", x, _head(L.ReLU()(L.Add()([x, L.Conv2D(3, 1)(a)]))))
    x = _image(); a = L.Conv2D(2, 1)(x); b = L.Conv2D(3, 3, padding="same")(x)
    add("concat_skip", x, L.Conv2D(4, 1)(L.Concatenate()([a, b])))
    x = _image(); a = L.Conv2D(4, 3, padding="same")(x)
    s = L.Dense(4, activation="sigmoid")(L.GlobalAveragePooling2D()(a))
    add("multiply_squeeze_excite", x, L.Multiply()([a, L.Reshape((1, 1, 4))(s)]))
    x = _image(); add("leaky_relu", x, L.LeakyReLU(0.2)(L.Conv2D(4, 3)(x)))
    x = _image(); add("hard_swish", x, L.Activation(_hard_swish)(L.Conv2D(4, 3)(x)))
    x = keras.Input((10,)); add("dense_tanh", x, L.Dense(6, activation="tanh")(x))
    x = keras.Input((10,)); add("dense_sigmoid", x, L.Dense(6, activation="sigmoid")(x))
    x = _image(); y = L.Conv2D(4, 3)(L.ZeroPadding2D(((1, 2), (2, 1)))(x))
    add("zero_padding", x, y)
    x = _image((4, 4, 3)); y = L.UpSampling2D(2)(L.Conv2D(4, 1)(x))
    add("upsampling_nearest", x, L.Conv2D(2, 3)(y))
    x = keras.Input((4, 4, 3), batch_size=1); y = L.UpSampling2D(2)(L.Conv2D(4, 1)(x))
    add("upsampling_nearest_batch1", x, L.Conv2D(2, 3)(y))
    x = keras.Input((16, 3)); y = L.Conv1D(4, 3, activation="relu")(x)
    add("conv1d_gap", x, L.Dense(3)(L.GlobalAveragePooling1D()(y)))
    # Big enough for dynamic-range quantization: the converter leaves weights of fewer than
    # 1024 elements in float (every model above; their "dynamic" file would equal "f32").
    x = keras.Input((32,)); y = L.Dense(40, activation="relu")(x)
    add("hybrid_dense", x, L.Dense(4)(y))
    x = _image((6, 6, 12)); y = L.Conv2D(12, 3, activation="relu")(x)
    add("hybrid_conv", x, L.Dense(3)(L.GlobalAveragePooling2D()(y)))
    return m


def randomize(model, rng) -> None:
    """Seeded weights everywhere, biases and batch-norm statistics included (Keras starts
    biases at 0 and moving statistics at 0/1, which would make those layers identities)."""
    for layer in model.layers:
        weights = layer.get_weights()
        if not weights:
            continue
        new = []
        for w in weights:
            v = rng.normal(0.0, 0.5, w.shape).astype(np.float32)
            new.append(np.abs(v) + 0.5 if "variance" in _weight_name(layer, len(new)) else v)
        layer.set_weights(new)


def _weight_name(layer, k: int) -> str:
    return layer.weights[k].path if hasattr(layer.weights[k], "path") else layer.weights[k].name


def representative(model, rng):
    shapes = [tuple(d or 1 for d in t.shape) for t in model.inputs]
    samples = [[rng.normal(0.0, 1.0, s).astype(np.float32) for s in shapes]
               for _ in range(CALIBRATION_SAMPLES)]
    return lambda: iter(samples)


def convert(model, variant: str, data) -> bytes:
    import tensorflow as tf

    conv = tf.lite.TFLiteConverter.from_keras_model(model)
    if variant != "f32":
        conv.optimizations = [tf.lite.Optimize.DEFAULT]
    if variant in ("int8", "int8fio"):
        conv.representative_dataset = data
        conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        if variant == "int8":
            conv.inference_input_type = conv.inference_output_type = tf.int8
    elif variant == "int16x8":
        conv.representative_dataset = data
        conv.target_spec.supported_ops = [
            tf.lite.OpsSet.EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8]
        conv.inference_input_type = conv.inference_output_type = tf.int16
    return conv.convert()


def op_names(data: bytes) -> list[str]:
    import tensorflow as tf

    details = tf.lite.Interpreter(model_content=data)._get_ops_details()
    return [d["op_name"] for d in details]


def has_int8_tensor(data: bytes) -> bool:
    import tensorflow as tf

    details = tf.lite.Interpreter(model_content=data).get_tensor_details()
    return any(d["dtype"] == np.int8 for d in details)


def main() -> None:
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(SEED)
    tf.config.experimental.enable_op_determinism()
    files, refused = {}, {}
    for k, (name, model) in enumerate(sorted(build_models().items())):
        rng = np.random.default_rng([SEED, k])
        randomize(model, rng)
        data_fn = representative(model, np.random.default_rng([SEED, k, 1]))
        for variant in VARIANTS:
            (HERE / f"{name}_{variant}.tflite").unlink(missing_ok=True)
            stem = f"{name}_{variant}"
            try:
                data = convert(model, variant, data_fn)
            except Exception as err:  # the converter's refusal is a fact worth recording
                refused[stem] = f"{type(err).__name__}: {str(err).splitlines()[0][:200]}"
                print(f"{stem}: converter refused ({refused[stem]})")
                continue
            if variant == "dynamic" and not has_int8_tensor(data):
                refused[stem] = "float32 throughout (no weight tensor reaches 1024 elements)"
                continue
            (HERE / f"{stem}.tflite").write_bytes(data)
            files[stem] = {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest(),
                           "ops": op_names(data)}
            print(f"{stem}: {len(data)} bytes, {' '.join(files[stem]['ops'])}")
    provenance = {"script": "models/converter_corpus/make_corpus.py",
                  "tensorflow": tf.__version__, "keras": keras.__version__,
                  "numpy": np.__version__, "seed": SEED,
                  "calibration": f"{CALIBRATION_SAMPLES} samples of N(0, 1), seeded",
                  "files": files, "not_written": refused}
    (HERE / "provenance.json").write_text(json.dumps(provenance, indent=1) + "\n")


if __name__ == "__main__":
    main()
