"""What an instruction or cycle count depends on besides the model: toolchain (name, version,
flags), C library, board and clock, memory model and the kernel library. Recorded in analysis
JSON and pytest baselines; ``mcusim compare`` and ``--mcu-compare`` warn (or refuse, strict)
when two counts were made under different contexts (a zig baseline compared under gcc moved
+75-132 % with no word about why, issue 14)."""
from __future__ import annotations

import functools
import hashlib

import cross_kernels

# Compile-command words that say where files are, not how they are compiled.
_PATH_FLAGS = {"-I", "-MF", "-MT", "-o", "-c", "-resource-dir", "-isystem", "-m"}   # -m: python -m ziglang
_SKIP_FLAGS = {"-MD"}


@functools.cache
def kernel_library() -> str:
    """The C kernels' identity: a digest of every file under cross_kernels/ (sources, headers, runtime)."""
    h = hashlib.sha256()
    for path in sorted(p for p in cross_kernels.ROOT.rglob("*")
                       if p.is_file() and p.suffix in (".c", ".h", ".ld", ".S", ".s", ".toml")):
        h.update(path.relative_to(cross_kernels.ROOT).as_posix().encode() + b"\0")
        h.update(path.read_bytes())
    return f"cross_kernels sha256:{h.hexdigest()[:16]}"


def compile_flags(command: list[str] | None) -> list[str] | None:
    """The flags of a recorded compile command (``build.compile``), paths, file names and
    macro definitions left out."""
    if not command:
        return None
    out, skip = [], False
    for word in command:
        if skip:
            skip = False
            continue
        if word in _PATH_FLAGS:
            skip = word not in ("-c",)
            continue
        # -D/-U configure the program (a test's defines), they are not how it is compiled
        if word.startswith("-") and word not in _SKIP_FLAGS and not word.startswith(("-I", "--sysroot", "-D", "-U")):
            out.append(word)
    return out


def library_context(library=None) -> str:
    """``kernel_library`` of the context: mcusim's kernels by digest, or a --kernels library by
    name and version with the digest of the mcusim kernels its missing ops fall back to."""
    if library is None:
        return kernel_library()
    return f"{library.title} {library.version} (fallback {kernel_library()})"


def make_context(toolchain: str, build: dict | None, memory_model: str | None, library=None) -> dict:
    """The ``context`` object of analysis JSON (docs/analysis-schema.md); ``library``: the
    lower/libraries.KernelLibrary of --kernels, None for mcusim's own kernels."""
    build = build or {}
    return {"toolchain": build.get("compiler") or toolchain, "flags": compile_flags(build.get("compile")),
            "libc": build.get("libc") or None, "memory_model": memory_model, "pass": "cold",
            "kernel_library": library_context(library)}


def run_context(run, memory_model: str | None) -> dict:
    """The context of one firmware run (a RunResult), for a pytest baseline entry: the analysis
    context plus the clock the cycles turn into time with."""
    ctx = make_context(run.toolchain, run.build, memory_model)
    del ctx["pass"]                                  # every run starts from reset: always cold
    return {**ctx, "clock_hz": run.clock_hz}


# What makes two counts incomparable, in the order a user reads the difference.
COMPARED = (("board", "board"), ("clock_hz", "clock"), ("toolchain", "toolchain"), ("flags", "flags"),
            ("libc", "C library"), ("memory_model", "memory model"), ("kernel_library", "kernel library"))


def _show(value) -> str:
    if isinstance(value, list):
        return " ".join(value)
    return "unknown" if value is None else str(value)


def context_differences(old: dict, new: dict) -> list[str]:
    """One phrase per fact that differs ("toolchain zig 0.13 -> gcc 13.2"); a fact missing on
    either side (an older file, a run not built) is not counted as a difference."""
    out = []
    for key, label in COMPARED:
        a, b = old.get(key), new.get(key)
        if a is None or b is None or a == b:
            continue
        out.append(f"{label} {_show(a)} -> {_show(b)}")
    return out
