"""The options every command that builds for a board shares, as argparse parent parsers
(one declaration, pyOCD-style), and their conversion to the Machine's arguments."""
from __future__ import annotations

import argparse
import sys

from ..limits import DEFAULT_MAX_INSTRUCTIONS, DEFAULT_MAX_OUTPUT, DEFAULT_MAX_SECONDS, MAX_INSTRUCTIONS


def int_arg(text: str) -> int:
    try:
        return int(text.replace("_", ""), 0)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None


def float_arg(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None


BOARD_HELP = "board name (see `mcusim boards`) or a board .toml"


def target_parser(board_default: str | None = "generic-m7", board_help: str = BOARD_HELP) -> argparse.ArgumentParser:
    """--board, --ram, --stack, --toolchain, --memory/--caches and the run limits."""
    p = argparse.ArgumentParser(add_help=False)
    p.add_argument("--board", default=board_default, help=board_help)
    p.add_argument("--ram", default=None, help="RAM the program may use: 32K, 256K, 0x8000 (default: the board's data RAM)")
    p.add_argument("--stack", default="4K", help="stack size (default 4K)")
    p.add_argument("--toolchain", default="zig", choices=["zig", "gcc"], help="cross compiler (default zig)")
    p.add_argument("--memory", choices=["realistic", "ideal", "uncached"], default=None,
                   help="memory model: realistic = the board's caches from cold, misses and line "
                        "fills charged (default); ideal = every access hits; uncached = every access "
                        "pays its region's wait states")
    p.add_argument("--caches", choices=["on", "off"], default=None,
                   help="deprecated: on = --memory ideal, off = --memory uncached")
    p.add_argument("--max-instructions", type=int_arg, default=DEFAULT_MAX_INSTRUCTIONS,
                   help="stop a runaway program after this many instructions "
                        f"(1 to {MAX_INSTRUCTIONS:.0e}; default {DEFAULT_MAX_INSTRUCTIONS:,})")
    p.add_argument("--max-seconds", type=float_arg, default=DEFAULT_MAX_SECONDS,
                   help=f"stop the emulated run after this much wall-clock time "
                        f"(default {DEFAULT_MAX_SECONDS:g} s)")
    p.add_argument("--max-output", type=int_arg, default=DEFAULT_MAX_OUTPUT,
                   help=f"stop the run when its output passes this many bytes "
                        f"(default {DEFAULT_MAX_OUTPUT:,})")
    return p


def kernels_parser() -> argparse.ArgumentParser:
    """--kernels (analyze, validate: the commands that lower a model)."""
    p = argparse.ArgumentParser(add_help=False)
    p.add_argument("--kernels", default="mcusim", metavar="mcusim|cmsis-nn[=PATH]",
                   help="kernel library the model's layers call: mcusim (default) or cmsis-nn, its "
                        "sources at PATH (default $MCUSIM_CMSIS_NN or ../shared/third_party/CMSIS-NN); "
                        "ops it lacks run mcusim's kernels (docs/kernel-libraries.md)")
    return p


def json_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(add_help=False)
    p.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    return p


def build_parser() -> argparse.ArgumentParser:
    """-D, -I, -O, -l, -L, --cflag, --ldflag, --linker-script (run and lib)."""
    p = argparse.ArgumentParser(add_help=False)
    p.add_argument("-D", dest="defines", action="append", default=[], metavar="NAME[=VALUE]")
    p.add_argument("-I", dest="include_dirs", action="append", default=[], metavar="DIR")
    p.add_argument("-O", dest="opt", default="2", help="optimisation level (0, 1, 2, 3, s, z, g)")
    p.add_argument("-l", dest="libraries", action="append", default=[], metavar="NAME", help="link libNAME.a")
    p.add_argument("-L", dest="library_dirs", action="append", default=[], metavar="DIR",
                   help="search DIR for -l libraries")
    p.add_argument("--cflag", dest="cflags", action="append", default=[], metavar="FLAG",
                   help="extra compiler flag, e.g. --cflag=-ffast-math (repeat for more)")
    p.add_argument("--ldflag", dest="ldflags", action="append", default=[], metavar="FLAG",
                   help="extra linker flag, e.g. --ldflag=-Wl,--defsym=FOO=1 (repeat for more)")
    p.add_argument("--linker-script", default=None, metavar="FILE",
                   help="output-section statements added to the board's linker script (after .bss)")
    return p


def build_options(args) -> dict:
    return dict(defines=parse_defines(args.defines), include_dirs=args.include_dirs, opt=f"-O{args.opt}",
                extra_flags=args.cflags, link_flags=args.ldflags, libraries=args.libraries,
                library_dirs=args.library_dirs, linker_script=args.linker_script)


def parse_defines(items: list[str]) -> dict:
    out = {}
    for item in items:
        name, _, value = item.partition("=")
        out[name] = value if _ else None
    return out


def memory_model(args) -> str:
    """--memory, or what the deprecated --caches meant (with a note on stderr)."""
    from ..errors import ConfigError
    from ..machine.memory_model import DEFAULT_MODEL, from_caches_flag

    if args.caches is None:
        return args.memory or DEFAULT_MODEL
    if args.memory is not None:
        raise ConfigError("give --memory or the deprecated --caches, not both")
    model = from_caches_flag(args.caches)
    print(f"mcusim: note: --caches {args.caches} is deprecated; it means --memory {model}", file=sys.stderr)
    return model


def target_kwargs(args) -> dict:
    """The target options as keyword arguments of :func:`simulator.analyze.analyze` (and validate)."""
    return dict(ram=args.ram, toolchain=args.toolchain, stack=args.stack,
                max_instructions=args.max_instructions, memory=memory_model(args),
                max_seconds=args.max_seconds, max_output=args.max_output, kernels=getattr(args, "kernels", None))
