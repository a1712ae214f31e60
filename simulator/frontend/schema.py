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

# schema.fbs, enum BuiltinOperator : int32, every value 0..209 (as in the schema the
# tflite-micro wheel ships, schema_py_generated.BuiltinOperator), so an op mcusim does not
# run is still named in errors ("op #4 (SHAPE)", not "BUILTIN_77").
BUILTIN_OPERATORS = {
    0: "ADD", 1: "AVERAGE_POOL_2D", 2: "CONCATENATION", 3: "CONV_2D", 4: "DEPTHWISE_CONV_2D",
    5: "DEPTH_TO_SPACE", 6: "DEQUANTIZE", 7: "EMBEDDING_LOOKUP", 8: "FLOOR", 9: "FULLY_CONNECTED",
    10: "HASHTABLE_LOOKUP", 11: "L2_NORMALIZATION", 12: "L2_POOL_2D",
    13: "LOCAL_RESPONSE_NORMALIZATION", 14: "LOGISTIC", 15: "LSH_PROJECTION", 16: "LSTM",
    17: "MAX_POOL_2D", 18: "MUL", 19: "RELU", 20: "RELU_N1_TO_1", 21: "RELU6", 22: "RESHAPE",
    23: "RESIZE_BILINEAR", 24: "RNN", 25: "SOFTMAX", 26: "SPACE_TO_DEPTH", 27: "SVDF", 28: "TANH",
    29: "CONCAT_EMBEDDINGS", 30: "SKIP_GRAM", 31: "CALL", 32: "CUSTOM",
    33: "EMBEDDING_LOOKUP_SPARSE", 34: "PAD", 35: "UNIDIRECTIONAL_SEQUENCE_RNN", 36: "GATHER",
    37: "BATCH_TO_SPACE_ND", 38: "SPACE_TO_BATCH_ND", 39: "TRANSPOSE", 40: "MEAN", 41: "SUB",
    42: "DIV", 43: "SQUEEZE", 44: "UNIDIRECTIONAL_SEQUENCE_LSTM", 45: "STRIDED_SLICE",
    46: "BIDIRECTIONAL_SEQUENCE_RNN", 47: "EXP", 48: "TOPK_V2", 49: "SPLIT", 50: "LOG_SOFTMAX",
    51: "DELEGATE", 52: "BIDIRECTIONAL_SEQUENCE_LSTM", 53: "CAST", 54: "PRELU", 55: "MAXIMUM",
    56: "ARG_MAX", 57: "MINIMUM", 58: "LESS", 59: "NEG", 60: "PADV2", 61: "GREATER",
    62: "GREATER_EQUAL", 63: "LESS_EQUAL", 64: "SELECT", 65: "SLICE", 66: "SIN",
    67: "TRANSPOSE_CONV", 68: "SPARSE_TO_DENSE", 69: "TILE", 70: "EXPAND_DIMS", 71: "EQUAL",
    72: "NOT_EQUAL", 73: "LOG", 74: "SUM", 75: "SQRT", 76: "RSQRT", 77: "SHAPE", 78: "POW",
    79: "ARG_MIN", 80: "FAKE_QUANT", 81: "REDUCE_PROD", 82: "REDUCE_MAX", 83: "PACK",
    84: "LOGICAL_OR", 85: "ONE_HOT", 86: "LOGICAL_AND", 87: "LOGICAL_NOT", 88: "UNPACK",
    89: "REDUCE_MIN", 90: "FLOOR_DIV", 91: "REDUCE_ANY", 92: "SQUARE", 93: "ZEROS_LIKE",
    94: "FILL", 95: "FLOOR_MOD", 96: "RANGE", 97: "RESIZE_NEAREST_NEIGHBOR", 98: "LEAKY_RELU",
    99: "SQUARED_DIFFERENCE", 100: "MIRROR_PAD", 101: "ABS", 102: "SPLIT_V", 103: "UNIQUE",
    104: "CEIL", 105: "REVERSE_V2", 106: "ADD_N", 107: "GATHER_ND", 108: "COS", 109: "WHERE",
    110: "RANK", 111: "ELU", 112: "REVERSE_SEQUENCE", 113: "MATRIX_DIAG", 114: "QUANTIZE",
    115: "MATRIX_SET_DIAG", 116: "ROUND", 117: "HARD_SWISH", 118: "IF", 119: "WHILE",
    120: "NON_MAX_SUPPRESSION_V4", 121: "NON_MAX_SUPPRESSION_V5", 122: "SCATTER_ND",
    123: "SELECT_V2", 124: "DENSIFY", 125: "SEGMENT_SUM", 126: "BATCH_MATMUL",
    127: "PLACEHOLDER_FOR_GREATER_OP_CODES", 128: "CUMSUM", 129: "CALL_ONCE", 130: "BROADCAST_TO",
    131: "RFFT2D", 132: "CONV_3D", 133: "IMAG", 134: "REAL", 135: "COMPLEX_ABS", 136: "HASHTABLE",
    137: "HASHTABLE_FIND", 138: "HASHTABLE_IMPORT", 139: "HASHTABLE_SIZE", 140: "REDUCE_ALL",
    141: "CONV_3D_TRANSPOSE", 142: "VAR_HANDLE", 143: "READ_VARIABLE", 144: "ASSIGN_VARIABLE",
    145: "BROADCAST_ARGS", 146: "RANDOM_STANDARD_NORMAL", 147: "BUCKETIZE", 148: "RANDOM_UNIFORM",
    149: "MULTINOMIAL", 150: "GELU", 151: "DYNAMIC_UPDATE_SLICE", 152: "RELU_0_TO_1",
    153: "UNSORTED_SEGMENT_PROD", 154: "UNSORTED_SEGMENT_MAX", 155: "UNSORTED_SEGMENT_SUM",
    156: "ATAN2", 157: "UNSORTED_SEGMENT_MIN", 158: "SIGN", 159: "BITCAST", 160: "BITWISE_XOR",
    161: "RIGHT_SHIFT", 162: "STABLEHLO_LOGISTIC", 163: "STABLEHLO_ADD", 164: "STABLEHLO_DIVIDE",
    165: "STABLEHLO_MULTIPLY", 166: "STABLEHLO_MAXIMUM", 167: "STABLEHLO_RESHAPE",
    168: "STABLEHLO_CLAMP", 169: "STABLEHLO_CONCATENATE", 170: "STABLEHLO_BROADCAST_IN_DIM",
    171: "STABLEHLO_CONVOLUTION", 172: "STABLEHLO_SLICE", 173: "STABLEHLO_CUSTOM_CALL",
    174: "STABLEHLO_REDUCE", 175: "STABLEHLO_ABS", 176: "STABLEHLO_AND", 177: "STABLEHLO_COSINE",
    178: "STABLEHLO_EXPONENTIAL", 179: "STABLEHLO_FLOOR", 180: "STABLEHLO_LOG",
    181: "STABLEHLO_MINIMUM", 182: "STABLEHLO_NEGATE", 183: "STABLEHLO_OR", 184: "STABLEHLO_POWER",
    185: "STABLEHLO_REMAINDER", 186: "STABLEHLO_RSQRT", 187: "STABLEHLO_SELECT",
    188: "STABLEHLO_SUBTRACT", 189: "STABLEHLO_TANH", 190: "STABLEHLO_SCATTER",
    191: "STABLEHLO_COMPARE", 192: "STABLEHLO_CONVERT", 193: "STABLEHLO_DYNAMIC_SLICE",
    194: "STABLEHLO_DYNAMIC_UPDATE_SLICE", 195: "STABLEHLO_PAD", 196: "STABLEHLO_IOTA",
    197: "STABLEHLO_DOT_GENERAL", 198: "STABLEHLO_REDUCE_WINDOW", 199: "STABLEHLO_SORT",
    200: "STABLEHLO_WHILE", 201: "STABLEHLO_GATHER", 202: "STABLEHLO_TRANSPOSE", 203: "DILATE",
    204: "STABLEHLO_RNG_BIT_GENERATOR", 205: "REDUCE_WINDOW", 206: "STABLEHLO_COMPOSITE",
    207: "STABLEHLO_SHIFT_LEFT", 208: "STABLEHLO_CBRT", 209: "STABLEHLO_CASE",
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
    # data movement; ResizeBilinearOptions' new_height/new_width are deprecated (size is an input)
    "ResizeBilinearOptions": (("new_height", "int32", 0), ("new_width", "int32", 0),
                              ("align_corners", "bool", False),
                              ("half_pixel_centers", "bool", False)),
    "ResizeNearestNeighborOptions": (("align_corners", "bool", False),
                                     ("half_pixel_centers", "bool", False)),
    "GatherOptions": (("axis", "int32", 0), ("batch_dims", "int32", 0)),
    "PackOptions": (("values_count", "int32", 0), ("axis", "int32", 0)),
    "UnpackOptions": (("num", "int32", 0), ("axis", "int32", 0)),
    "SplitOptions": (("num_splits", "int32", 0),),
    "SplitVOptions": (("num_splits", "int32", 0),),
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
    "RESIZE_BILINEAR": "ResizeBilinearOptions",
    "RESIZE_NEAREST_NEIGHBOR": "ResizeNearestNeighborOptions", "GATHER": "GatherOptions",
    "PACK": "PackOptions", "UNPACK": "UnpackOptions", "SPLIT": "SplitOptions",
    "SPLIT_V": "SplitVOptions",
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
