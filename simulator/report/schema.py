"""The analysis JSON's one description (schema ``mcusim.analysis/2``, docs/analysis-schema.md), and reading it.

:data:`JSON_SCHEMA` is a JSON Schema (draft 2020-12); docs/analysis.schema.json is it written
out (``python -m simulator.report.schema --write``, ``--check``; a test keeps the two equal and validates
real outputs against the file with the ``jsonschema`` package). At run time, files are checked
by :func:`validate_analysis`, which walks the same schema (the subset it uses: type, required,
properties, items, $ref, minimum/maximum, enum, const) so mcusim needs no extra dependency,
and turns the first problem into one ConfigError line (exit 2). Every number in an analysis is
a count, size, index, share or latency: finite, >= 0 and within int64 (a value from a tampered
file must not overflow float() in the renderers).
"""
from __future__ import annotations

import json
import math
import sys
from pathlib import Path

from ..errors import ConfigError

SCHEMA = "mcusim.analysis/2"
OLD_SCHEMAS = ("mcusim.analysis/1",)
INT64_MAX = 2**63 - 1


def _count(what: str, nullable: bool = False) -> dict:
    return {"type": ["integer", "null"] if nullable else "integer", "minimum": 0, "maximum": INT64_MAX,
            "description": what}


def _number(what: str, nullable: bool = False) -> dict:
    return {"type": ["number", "null"] if nullable else "number", "minimum": 0, "maximum": INT64_MAX,
            "description": what}


def _text(what: str, nullable: bool = False) -> dict:
    return {"type": ["string", "null"] if nullable else "string", "description": what}


def _object(what: str, props: dict, required: list[str] | None = None) -> dict:
    return {"type": "object", "description": what, "required": list(props) if required is None else required,
            "properties": props}


def _bool(what: str, nullable: bool = False) -> dict:
    return {"type": ["boolean", "null"] if nullable else "boolean", "description": what}


NOT_RUN = " (null: not run)"
TENSOR_INFO = _object("a model input or output as the caller feeds or reads it", {
    "index": _count("tensor index in the model"), "name": _text("tensor name"),
    "shape": {"type": "array", "items": _count("dimension"), "description": "shape (NHWC for images)"},
    "dtype": _text("element type: int8, int32 (packed binary) or float32"),
    "scale": _number("quantization scale (null: float tensor)", nullable=True),
    "zero_point": {"type": ["integer", "null"], "minimum": -(2**31), "maximum": 2**31 - 1,
                   "description": "quantization zero point (null: float tensor)"}})
LAYER = _object("one op, in execution order", {
    "index": _count("op index, 0-based, execution order"), "name": _text("layer name (its output tensor's)"),
    "op": _text("TFLite builtin op (CONV_2D, ...)"), "kernel": _text("the C kernel that ran it"),
    "output_shape": {"type": "array", "items": _count("dimension"), "description": "NHWC (or [N, C]) shape"},
    "macc": _count("multiply-accumulates of this layer"),
    "scratch_bytes": _count("scratch buffer this layer's kernel asks for"),
    "weight_bytes": _count("flash data of this layer: weights, bias, requantization arrays, params struct"),
    "instructions": _count("instructions of this layer, first (cold) inference" + NOT_RUN, nullable=True),
    "cycles": _count("cycles of this layer, first (cold) inference (null: not run or no cycle model)",
                     nullable=True),
    "share": _number("percent of the model's cost (cycles, else instructions)" + NOT_RUN, nullable=True),
    "bit_exact": _bool("this layer's output equals the NumPy reference" + NOT_RUN, nullable=True),
    "cycles_warm": _count("this layer in the second inference", nullable=True),
    "memory": {"type": "object", "description": "the cold pass's cache counters (empty under ideal)"}},
    required=["index", "name", "op", "kernel", "output_shape", "macc", "scratch_bytes", "weight_bytes",
              "instructions", "cycles", "share", "bit_exact"])
PLAN_TENSOR = _object("one arena-resident tensor", {
    "index": _count("tensor index"), "name": _text("tensor name"), "offset": _count("arena offset"),
    "size": _count("bytes [offset, offset + size)"), "first_op": _count("first op it is live at"),
    "last_op": _count("last op it is live at (inclusive)"),
    "region": _text("board region holding the arena", nullable=True)},
    required=["index", "name", "offset", "size", "first_op", "last_op"])
CONTEXT_FACTS = {
    "toolchain": _text("compiler name and version"),
    "flags": {"type": ["array", "null"], "items": {"type": "string"},
              "description": "compile flags of the model's sources, paths left out (null: not built)"},
    "libc": _text("C library and version (null: not built)", nullable=True),
    "memory_model": {"enum": ["realistic", "ideal", "uncached", None],
                     "description": "memory model the cycles were counted under"},
    "kernel_library": _text("the C kernels that ran: cross_kernels content digest, or a --kernels library's "
                            "name and version with the digest of the mcusim kernels it falls back to")}
CONTEXT = _object("what instruction and cycle counts depend on: two analyses compare only when these (and "
                  "board, clock_hz) are equal", {
    **CONTEXT_FACTS,
    "pass": {"enum": ["cold"], "description": "cycles is the first inference from reset (caches cold); "
                                              "cycles_warm the second"}})
JSON_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "mcusim.analysis/2",
    "title": "mcusim analysis: one model on one board (mcusim analyze --json)",
    "type": "object",
    "$defs": {"tensor_info": TENSOR_INFO, "layer": LAYER, "plan_tensor": PLAN_TENSOR},
    "required": ["schema", "model", "board", "core", "toolchain", "clock_hz", "context", "params", "macc",
                 "inputs", "outputs", "flash_bytes", "ram_bytes", "ram_limit_bytes", "fits", "ran",
                 "instructions", "cycles", "latency_ms", "bit_exact", "layers", "memory_plan"],
    "properties": {
        "schema": {"const": SCHEMA, "description": "this schema's name and version"},
        "model": _text("model name (file stem)"),
        "board": _text("board name (mcusim boards)"), "core": _text("core (m0plus, m4, m7, m33)"),
        "toolchain": _text("toolchain name (zig, gcc); its version is context.toolchain"),
        "clock_hz": _count("core clock used for latency_ms"),
        "context": CONTEXT,
        "params": _count("weights and biases, in elements"),
        "macc": _count("multiply-accumulates of one inference"),
        "inputs": {"type": "array", "items": {"$ref": "#/$defs/tensor_info"}, "description": "model inputs"},
        "outputs": {"type": "array", "items": {"$ref": "#/$defs/tensor_info"}, "description": "model outputs"},
        "flash_bytes": _object("flash use", {
            "weights": _count("constant data: weights, biases, requantization arrays, params"),
            "code": _count("code and the rest of the image (null: not built)", nullable=True),
            "total": _count("weights + code (null: not built)", nullable=True)}),
        "ram_bytes": _object("data-RAM use; the parts held in the data RAM region add up to total: "
                             "arena (when placement.arena is the stack's region) + scratch + stack + "
                             "static + padding + weights", {
            "arena": _count("planned activations (memory_plan.arena_bytes)"),
            "scratch": _count("largest kernel scratch"),
            "stack": _count("stack reserved (--stack)"),
            "stack_peak": _count("deepest stack use measured" + NOT_RUN, nullable=True),
            "static": _count("runtime .data/.bss and the output buffer (an estimate when not built)"),
            "padding": _count("alignment gaps the linker left between the RAM sections"),
            "weights": _count("weights copied into the data RAM (placement.weights there), else 0"),
            "total": _count("what must fit ram_limit_bytes")}),
        "ram_limit_bytes": _count("the --ram limit"),
        "fits": _bool("ram_bytes.total <= ram_limit_bytes, and every placed region fits"),
        "ran": _bool("the firmware was built and run (false when it does not fit)"),
        "instructions": _count("instructions of one inference" + NOT_RUN, nullable=True),
        "cycles": _count("cycles of the first inference (null: not run or no cycle model)", nullable=True),
        "latency_ms": _number("cycles / clock_hz in milliseconds", nullable=True),
        "bit_exact": _bool("every layer's output equals the NumPy reference" + NOT_RUN, nullable=True),
        "cycles_warm": _count("cycles of the second inference", nullable=True),
        "latency_warm_ms": _number("cycles_warm / clock_hz in milliseconds", nullable=True),
        "build": {"type": "object", "description": "compiler, libc, exact compile and link commands"},
        "memory": {"type": "object", "description": "memory model, caches, cold/warm counters"},
        "placement": {"type": "object", "description": "board region of code, weights, arena, stack"},
        "layers": {"type": "array", "items": {"$ref": "#/$defs/layer"}, "description": "one per op"},
        "memory_plan": _object("the arena plan", {
            "arena_bytes": _count("arena size"),
            "tensors": {"type": "array", "items": {"$ref": "#/$defs/plan_tensor"}}}),
        "schedule": {"type": ["object", "null"], "description": "how the model was lowered to fit "
                                                             "(--schedule, simulator/schedule.py)",
                     "required": ["requested", "chosen", "candidates"],
                     "properties": {
                         "requested": _text("auto, plain, inplace, rows or patch"), "chosen": _text("the schedule run"),
                         "summary": _text("one line: what was chosen and its cost against plain", nullable=True),
                         "baseline_cycles": _count("the plain schedule's cycles", nullable=True),
                         "baseline_flash": _count("the plain schedule's flash", nullable=True),
                         "candidates": {"type": "array", "items": _object("one schedule tried", {
                             "schedule": _text("its name"),
                             "timeline": {"type": "array", "items": _count("live arena bytes at each op")},
                             "patches": _text("the patch stage, e.g. 3x3 patch schedule for layers 0-3",
                                              nullable=True),
                             "row_blocks": {"type": "array", "description": "residual blocks run row by row "
                                            "(lower/blocks.py): [first op, last op] each",
                                            "items": {"type": "array", "items": _count("op index")}}},
                             required=["schedule", "timeline"])}}},
        "tflm_arena": {"type": ["object", "null"],
                       "description": "the tensor arena TensorFlow Lite Micro would need for the same "
                                      "model (simulator/tflm_arena.py; null: TFLM cannot run it)",
                       "required": ["bytes", "head", "tail", "source", "ram_needed", "fits"],
                       "properties": {
                           "bytes": _count("head + tail"),
                           "head": _count("non-persistent: the tensors TFLM's greedy planner places"),
                           "tail": _count("persistent allocations (tensor and node structs, kernel data)"),
                           "source": _text("tflite-micro <version> (the package's measurement) or replica"),
                           "ram_needed": _count("ram_bytes.total with TFLM's arena in place of mcusim's "
                                                "arena and scratch"),
                           "fits": _bool("ram_needed <= ram_limit_bytes")}},
    },
}

_PY_NAMES = {"integer": "int", "number": "float", "string": "str", "boolean": "bool", "null": "null",
             "object": "object", "array": "array"}


_PY_TYPES = {"string": str, "boolean": bool, "null": type(None), "object": dict, "array": list}


def _is(value, kind: str) -> bool:
    if kind in ("integer", "number"):
        ok = int if kind == "integer" else (int, float)
        return isinstance(value, ok) and not isinstance(value, bool)
    return isinstance(value, _PY_TYPES[kind])


def _show(value) -> str:
    try:
        return json.dumps(value)[:40]
    except (ValueError, OverflowError):
        return repr(value)[:40]


def _resolve(node: dict, root: dict) -> dict:
    ref = node.get("$ref")
    return root["$defs"][ref.rsplit("/", 1)[1]] if ref else node


def check_json(value, schema: dict, source: str) -> None:
    """ConfigError naming the first place where ``value`` breaks ``schema`` (the subset above)."""
    _walk(value, schema, source, "", schema)


def _walk(value, node: dict, source: str, path: str, root: dict = JSON_SCHEMA) -> None:
    node = _resolve(node, root)
    where = f"{source}: {path}" if path else source
    if "const" in node and value != node["const"]:
        raise ConfigError(f"{where}: expected {_show(node['const'])}, got {_show(value)}")
    if "enum" in node and value not in node["enum"]:
        raise ConfigError(f"{where}: expected one of {_show(node['enum'])}, got {_show(value)}")
    kinds = node.get("type")
    kinds = [kinds] if isinstance(kinds, str) else kinds
    if kinds and not any(_is(value, k) for k in kinds):
        raise ConfigError(f"{where}: expected {'/'.join(_PY_NAMES[k] for k in kinds)}, got {_show(value)}")
    if isinstance(value, (int, float)) and not isinstance(value, bool) and "minimum" in node:
        finite = not isinstance(value, float) or math.isfinite(value)
        if not (finite and node["minimum"] <= value <= node["maximum"]):
            raise ConfigError(f"{where}: {_show(value)} is not a count "
                              f"({node['minimum']} to {node['maximum']}, finite)")
    if isinstance(value, dict):
        for key in node.get("required", ()):
            if key not in value:
                raise ConfigError(f"{where}: missing {key!r}")
        for key, child in node.get("properties", {}).items():
            if key in value:
                _walk(value[key], child, source, f"{path}.{key}" if path else key, root)
    if isinstance(value, list) and "items" in node:
        for i, item in enumerate(value):
            _walk(item, node["items"], source, f"{path}[{i}]", root)


def validate_analysis(data, source: str = "analysis") -> dict:
    """Return ``data`` if it follows ``mcusim.analysis/2``; else raise ConfigError naming the first problem."""
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        found = data.get("schema") if isinstance(data, dict) else type(data).__name__
        hint = ("an older mcusim wrote it: run `mcusim analyze MODEL --json` again" if found in OLD_SCHEMAS
                else "make one with `mcusim analyze MODEL --json`")
        raise ConfigError(f"{source}: not an mcusim analysis (schema {_show(found)}, expected {SCHEMA!r}; {hint})")
    check_json(data, JSON_SCHEMA, source)
    return data


def parse_json(raw: bytes, path) -> object:
    """JSON from an untrusted file: malformed, non-UTF-8 or absurdly nested text is a ConfigError."""
    try:
        return json.loads(raw)
    except RecursionError:
        raise ConfigError(f"{path}: not JSON: nested too deeply") from None
    except ValueError as exc:                 # JSONDecodeError and UnicodeDecodeError
        raise ConfigError(f"{path}: not JSON: {str(exc)[:120]}") from None


def cost_metric(*analyses) -> str:
    """``"cycles"`` when every analysis has cycle counts, else ``"instructions"``."""
    return "cycles" if all(a.cycles is not None for a in analyses) else "instructions"


def layer_cost(layer, metric: str) -> int:
    value = getattr(layer, metric)
    return 0 if value is None else value


# The pytest plugin's baseline file (report/baseline.py reads and writes it).
_COUNT = {"type": "integer", "minimum": 0, "maximum": INT64_MAX}
ENTRY_SCHEMA = {
    "type": "object", "description": "the heaviest run or call of one test",
    "required": ["board", "cycles", "instructions"],
    "properties": {
        "board": {"type": "string"},
        "cycles": {**_COUNT, "type": ["integer", "null"], "description": "null: no cycle model"},
        "instructions": _COUNT,
        "memory": {"type": "string", "description": "memory model (files written before context)"},
        "context": {"type": "object", "description": "what the counts depend on",
                    "properties": {**CONTEXT_FACTS, "clock_hz": {**_COUNT, "description": "core clock"}}},
    }}
BASELINE_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "mcusim.baseline",
    "title": "mcusim pytest baseline (--mcu-save-baseline): test node id -> cost and context",
    "type": "object", "additionalProperties": ENTRY_SCHEMA,
}


def schema_files() -> dict[str, dict]:
    """Each JSON Schema mcusim publishes under docs/, by file name."""
    return {"analysis.schema.json": JSON_SCHEMA, "baseline.schema.json": BASELINE_SCHEMA}


def schema_text(schema: dict = JSON_SCHEMA) -> str:
    """A docs/*.schema.json file's exact content."""
    return json.dumps(schema, indent=2) + "\n"


def main(argv: list[str] | None = None) -> int:
    """``python -m simulator.report.schema [--write | --check]``: write or check docs/*.schema.json."""
    argv = sys.argv[1:] if argv is None else argv
    docs = Path(__file__).resolve().parents[2] / "docs"           # run from a source checkout
    stale = 0
    for name, schema in schema_files().items():
        path = docs / name
        if "--write" in argv:
            path.write_text(schema_text(schema))
            print(f"wrote {path}")
        else:
            same = path.is_file() and path.read_text() == schema_text(schema)
            stale += not same
            print(f"{path}: " + ("up to date" if same else "stale: run with --write"))
    return 1 if stale else 0


if __name__ == "__main__":
    raise SystemExit(main())
