"""The parts of the TFLite FlatBuffers schema that mcusim reads and writes, as data.

Every number here is a fact from ``tensorflow/lite/schema/schema.fbs`` (TFLite / TFLM,
schema version 3): enum values, table field ids (a field's id is its position in the
table; a union field takes two ids, ``<name>_type`` then the value), and the order of the
``BuiltinOptions`` union (a member's type value is its position + 1, 0 meaning NONE).
Reader and writer both use these tables, so they cannot disagree.
"""
from __future__ import annotations

FILE_IDENTIFIER = b"TFL3"          # schema.fbs: file_identifier "TFL3"
SCHEMA_VERSION = 3

# schema.fbs, enum TensorType : byte. Types mcusim's IR can hold; the rest are rejected by name.
TENSOR_TYPES = {0: "float32", 1: "float16", 2: "int32", 3: "uint8", 4: "int64", 6: "bool",
                7: "int16", 9: "int8", 10: "float64"}
TENSOR_TYPE_NAMES = {5: "STRING", 8: "COMPLEX64", 11: "COMPLEX128", 12: "UINT64",
                     13: "RESOURCE", 14: "VARIANT", 15: "UINT32", 16: "UINT16", 17: "INT4"}
TENSOR_TYPE_CODES = {v: k for k, v in TENSOR_TYPES.items()}

# schema.fbs, enum BuiltinOperator : int32 (the ones mcusim knows by name).
BUILTIN_OPERATORS = {
    0: "ADD", 1: "AVERAGE_POOL_2D", 2: "CONCATENATION", 3: "CONV_2D", 4: "DEPTHWISE_CONV_2D",
    5: "DEPTH_TO_SPACE", 6: "DEQUANTIZE", 8: "FLOOR", 9: "FULLY_CONNECTED",
    11: "L2_NORMALIZATION", 12: "L2_POOL_2D", 14: "LOGISTIC", 16: "LSTM", 17: "MAX_POOL_2D",
    18: "MUL", 19: "RELU", 20: "RELU_N1_TO_1", 21: "RELU6", 22: "RESHAPE",
    23: "RESIZE_BILINEAR", 25: "SOFTMAX", 26: "SPACE_TO_DEPTH", 27: "SVDF", 28: "TANH",
    32: "CUSTOM", 34: "PAD", 36: "GATHER", 37: "BATCH_TO_SPACE_ND", 38: "SPACE_TO_BATCH_ND",
    39: "TRANSPOSE", 40: "MEAN", 41: "SUB", 42: "DIV", 43: "SQUEEZE", 45: "STRIDED_SLICE",
    47: "EXP", 49: "SPLIT", 50: "LOG_SOFTMAX", 53: "CAST", 54: "PRELU", 55: "MAXIMUM",
    56: "ARG_MAX", 57: "MINIMUM", 60: "PADV2", 65: "SLICE", 67: "TRANSPOSE_CONV",
    70: "EXPAND_DIMS", 74: "SUM", 82: "REDUCE_MAX", 83: "PACK", 88: "UNPACK",
    97: "RESIZE_NEAREST_NEIGHBOR", 98: "LEAKY_RELU", 102: "SPLIT_V", 114: "QUANTIZE",
    117: "HARD_SWISH", 126: "BATCH_MATMUL",
}
BUILTIN_CODES = {v: k for k, v in BUILTIN_OPERATORS.items()}
CUSTOM_CODE = 32
PLACEHOLDER_FOR_GREATER_OP_CODES = 127   # deprecated_builtin_code holds min(code, 127)

# schema.fbs: enum Padding, enum ActivationFunctionType, enum FullyConnectedOptionsWeightsFormat
# (all ": byte"); a value is its position.
PADDING = ("SAME", "VALID")
ACTIVATION = ("NONE", "RELU", "RELU_N1_TO_1", "RELU6", "TANH", "SIGN_BIT")
WEIGHTS_FORMAT = ("DEFAULT", "SHUFFLED4x16INT8")

# schema.fbs, union BuiltinOptions, in declaration order (type value = index + 1).
BUILTIN_OPTIONS_UNION = (
    "Conv2DOptions", "DepthwiseConv2DOptions", "ConcatEmbeddingsOptions", "LSHProjectionOptions",
    "Pool2DOptions", "SVDFOptions", "RNNOptions", "FullyConnectedOptions", "SoftmaxOptions",
    "ConcatenationOptions", "AddOptions", "L2NormOptions", "LocalResponseNormalizationOptions",
    "LSTMOptions", "ResizeBilinearOptions", "CallOptions", "ReshapeOptions", "SkipGramOptions",
    "SpaceToDepthOptions", "EmbeddingLookupSparseOptions", "MulOptions", "PadOptions",
    "GatherOptions", "BatchToSpaceNDOptions", "SpaceToBatchNDOptions", "TransposeOptions",
    "ReducerOptions", "SubOptions", "DivOptions", "SqueezeOptions", "SequenceRNNOptions",
    "StridedSliceOptions", "ExpOptions", "TopKV2Options", "SplitOptions", "LogSoftmaxOptions",
    "CastOptions", "DequantizeOptions", "MaximumMinimumOptions", "ArgMaxOptions", "LessOptions",
    "NegOptions", "PadV2Options", "GreaterOptions", "GreaterEqualOptions", "LessEqualOptions",
    "SelectOptions", "SliceOptions", "TransposeConvOptions", "SparseToDenseOptions",
    "TileOptions", "ExpandDimsOptions", "EqualOptions", "NotEqualOptions", "ShapeOptions",
    "PowOptions", "ArgMinOptions", "FakeQuantOptions", "PackOptions", "LogicalOrOptions",
    "OneHotOptions", "LogicalAndOptions", "LogicalNotOptions", "UnpackOptions",
    "FloorDivOptions", "SquareOptions", "ZerosLikeOptions", "FillOptions",
    "BidirectionalSequenceLSTMOptions", "BidirectionalSequenceRNNOptions",
    "UnidirectionalSequenceLSTMOptions", "FloorModOptions", "RangeOptions",
    "ResizeNearestNeighborOptions", "LeakyReluOptions", "SquaredDifferenceOptions",
    "MirrorPadOptions", "AbsOptions", "SplitVOptions", "UniqueOptions", "ReverseV2Options",
    "AddNOptions", "GatherNdOptions", "CosOptions", "WhereOptions", "RankOptions",
    "ReverseSequenceOptions", "MatrixDiagOptions", "QuantizeOptions",
)
OPTIONS_TYPE = {name: i + 1 for i, name in enumerate(BUILTIN_OPTIONS_UNION)}


def options_type_name(type_value: int) -> str:
    if type_value == 0:
        return "NONE"
    if 1 <= type_value <= len(BUILTIN_OPTIONS_UNION):
        return BUILTIN_OPTIONS_UNION[type_value - 1]
    return f"BuiltinOptions#{type_value}"


# Option tables: (field name, kind, default) in field-id order. Kinds: int32, float32, bool,
# tensor_type (byte enum, 0 default), and the byte enums padding/activation/weights_format,
# and int_vector ([int]). A None entry is a field mcusim skips (keeps its id slot).
_ACT = ("fused_activation_function", "activation", "NONE")
OPTION_TABLES: dict[str, tuple] = {
    "Conv2DOptions": (("padding", "padding", "SAME"), ("stride_w", "int32", 0),
                      ("stride_h", "int32", 0), _ACT, ("dilation_w_factor", "int32", 1),
                      ("dilation_h_factor", "int32", 1)),
    "DepthwiseConv2DOptions": (("padding", "padding", "SAME"), ("stride_w", "int32", 0),
                               ("stride_h", "int32", 0), ("depth_multiplier", "int32", 0), _ACT,
                               ("dilation_w_factor", "int32", 1),
                               ("dilation_h_factor", "int32", 1)),
    "Pool2DOptions": (("padding", "padding", "SAME"), ("stride_w", "int32", 0),
                      ("stride_h", "int32", 0), ("filter_width", "int32", 0),
                      ("filter_height", "int32", 0), _ACT),
    "FullyConnectedOptions": (_ACT, ("weights_format", "weights_format", "DEFAULT"),
                              ("keep_num_dims", "bool", False),
                              ("asymmetric_quantize_inputs", "bool", False)),
    "SoftmaxOptions": (("beta", "float32", 0.0),),
    "ConcatenationOptions": (("axis", "int32", 0), _ACT),
    "AddOptions": (_ACT, ("pot_scale_int16", "bool", True)),
    "SubOptions": (_ACT, ("pot_scale_int16", "bool", True)),
    "MulOptions": (_ACT,),
    "ReshapeOptions": (("new_shape", "int_vector", ()),),
    "PadOptions": (),
    "ReducerOptions": (("keep_dims", "bool", False),),
    "SqueezeOptions": (("squeeze_dims", "int_vector", ()),),
    "StridedSliceOptions": (("begin_mask", "int32", 0), ("end_mask", "int32", 0),
                            ("ellipsis_mask", "int32", 0), ("new_axis_mask", "int32", 0),
                            ("shrink_axis_mask", "int32", 0), ("offset", "bool", False)),
    "LeakyReluOptions": (("alpha", "float32", 0.0),),
    "DequantizeOptions": (),
    "QuantizeOptions": (),
    "MaximumMinimumOptions": (),
    "TransposeOptions": (),
    "PadV2Options": (),
}

# Which option table each builtin operator carries (schema.fbs pairs them by name).
OPERATOR_OPTIONS = {
    "CONV_2D": "Conv2DOptions", "DEPTHWISE_CONV_2D": "DepthwiseConv2DOptions",
    "AVERAGE_POOL_2D": "Pool2DOptions", "MAX_POOL_2D": "Pool2DOptions",
    "L2_POOL_2D": "Pool2DOptions", "FULLY_CONNECTED": "FullyConnectedOptions",
    "SOFTMAX": "SoftmaxOptions", "CONCATENATION": "ConcatenationOptions", "ADD": "AddOptions",
    "SUB": "SubOptions", "MUL": "MulOptions", "RESHAPE": "ReshapeOptions", "PAD": "PadOptions",
    "PADV2": "PadV2Options", "MEAN": "ReducerOptions", "SUM": "ReducerOptions",
    "REDUCE_MAX": "ReducerOptions", "SQUEEZE": "SqueezeOptions",
    "STRIDED_SLICE": "StridedSliceOptions", "LEAKY_RELU": "LeakyReluOptions",
    "DEQUANTIZE": "DequantizeOptions", "QUANTIZE": "QuantizeOptions",
    "MAXIMUM": "MaximumMinimumOptions", "MINIMUM": "MaximumMinimumOptions",
    "TRANSPOSE": "TransposeOptions",
}

ENUMS = {"padding": PADDING, "activation": ACTIVATION, "weights_format": WEIGHTS_FORMAT}


def default_options(opcode: str) -> dict:
    """The schema's defaults for an operator's options ({} for ops without a table)."""
    table = OPERATOR_OPTIONS.get(opcode)
    if table is None:
        return {}
    return {name: (list(d) if kind == "int_vector" else d)
            for name, kind, d in OPTION_TABLES[table]}


# Field ids of the tables the reader walks (schema.fbs, table <Name>).
class F:
    MODEL_VERSION, MODEL_OPERATOR_CODES, MODEL_SUBGRAPHS, MODEL_DESCRIPTION, \
        MODEL_BUFFERS = range(5)
    OPCODE_DEPRECATED_BUILTIN, OPCODE_CUSTOM, OPCODE_VERSION, OPCODE_BUILTIN = range(4)
    SUBGRAPH_TENSORS, SUBGRAPH_INPUTS, SUBGRAPH_OUTPUTS, SUBGRAPH_OPERATORS, \
        SUBGRAPH_NAME = range(5)
    TENSOR_SHAPE, TENSOR_TYPE, TENSOR_BUFFER, TENSOR_NAME, TENSOR_QUANT, TENSOR_IS_VARIABLE, \
        TENSOR_SPARSITY = range(7)
    QUANT_MIN, QUANT_MAX, QUANT_SCALE, QUANT_ZERO_POINT, QUANT_DETAILS_TYPE, QUANT_DETAILS, \
        QUANT_DIM = range(7)
    OP_OPCODE_INDEX, OP_INPUTS, OP_OUTPUTS, OP_OPTIONS_TYPE, OP_OPTIONS, OP_CUSTOM_OPTIONS, \
        OP_CUSTOM_OPTIONS_FORMAT, OP_MUTATING, OP_INTERMEDIATES, OP_LARGE_CUSTOM_OFFSET, \
        OP_LARGE_CUSTOM_SIZE = range(11)
    BUFFER_DATA, BUFFER_OFFSET, BUFFER_SIZE = range(3)
