"""The C library each toolchain links: picolibc under zig (built here), newlib under gcc.

zig ships no C library for a bare-metal Arm target, so mcusim builds picolibc, the library
LLVM's embedded toolchains ship, from the sources in the PyPI package
``pythondata-software-picolibc``: once per core (target flags and float ABI), into the
content-addressed cache beside the firmware builds, as zig caches its compiler-rt (the
cache key is the whole build recipe: config header, headers, every compile command). A cold
build takes a minute or two per core (``benchmarks/libc_and_flags.py --libc-build`` measures
it); every later firmware for that core reuses it.

String routines are built for speed (-O2, no PREFER_SIZE_OVER_SPEED), as LLVM embedded
toolchains ship them: on Thumb-2 cores ``memcpy`` is machine/arm's ``memcpy-armv7m.S``.

We follow picolibc's own CMake description instead of running CMake: the source lists and
headers are read from its ``picolibc_sources``/``picolibc_headers`` calls (walked in the same
order, same name-clash rule), the configuration header ``picolibc.h`` is rendered from
``picolibc.h.in`` with CMake's defaults overridden by ``picolibc.toml``.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from ..boards import Core
from ..errors import CompileError, ToolchainError
from .cache import BuildCache

CONFIG_FILE = Path(__file__).with_name("picolibc.toml")
LIBC_FILES = ("lib/libc.a", "include/picolibc.h")
RECIPE_FORMAT = 2      # bump when _build changes what it does with a Recipe
PIP_HINT = "pip install pythondata-software-picolibc (the picolibc sources mcusim builds for zig)"


@dataclass(frozen=True)
class LibC:
    """What a build needs from a C library: how to find its headers, what to link, and the
    runtime glue (console, heap, exit) that connects it to mcusim's semihosting."""
    name: str
    version: str
    compile_flags: tuple[str, ...] = ()
    link_inputs: tuple[str, ...] = ()
    runtime_sources: tuple[str, ...] = ()

    @property
    def ident(self) -> str:
        return f"{self.name} {self.version}"


def newlib(toolchain, core: Core) -> LibC:
    """arm-none-eabi-gcc's newlib-nano, as the toolchain ships it (linked by its driver)."""
    return LibC("newlib-nano", "as shipped with " + toolchain.version,
                runtime_sources=("newlib_syscalls.c",))


# ---- picolibc sources -------------------------------------------------------------------

def picolibc_tree() -> tuple[Path, str]:
    """The picolibc source tree and its version (upstream ``git describe``)."""
    try:
        import pythondata_software_picolibc as pkg
    except ImportError:
        raise ToolchainError("the zig toolchain's C library needs picolibc's sources: " + PIP_HINT) from None
    root = Path(pkg.data_location)
    if not (root / "newlib" / "libc").is_dir():
        raise ToolchainError(f"picolibc sources incomplete at {root}: reinstall with " + PIP_HINT)
    return root, f"picolibc {pkg.data_git_describe}"


_COMMAND = re.compile(r"(\w+)\s*\(((?:[^()]|\([^()]*\))*)\)", re.S)
_TRUE = {"1", "on", "yes", "true", "y"}


def _commands(path: Path):
    text = re.sub(r"#[^\n]*", "", path.read_text())
    for m in _COMMAND.finditer(text):
        yield m.group(1).lower(), m.group(2).replace('"', " ").split()


def _truthy(value) -> bool:
    return str(value).strip().lower() in _TRUE or (str(value).isdigit() and int(value) != 0)


def _condition(args: list[str], cfg: dict, here: Path) -> bool:
    args = [re.sub(r"\$\{(\w+)\}", lambda m: str(cfg.get(m.group(1), "")), a) for a in args]
    if args[:1] == ["EXISTS"]:
        return Path(args[1]).exists()
    if args[:1] == ["NOT"]:
        return not _condition(args[1:], cfg, here)
    if len(args) == 3 and args[1] == "STREQUAL":
        return args[0] == args[2]
    return bool(args) and _truthy(cfg.get(args[0], args[0]))


def read_defaults(root: Path) -> dict:
    """CMake's configuration defaults: every ``set``/``option``/``try_compile`` in the top file."""
    cfg = {"CMAKE_SYSTEM_PROCESSOR": "arm"}
    for cmd, args in _commands(root / "CMakeLists.txt"):
        if cmd == "set" and len(args) >= 2:
            cfg.setdefault(args[0], args[1])
        elif cmd == "option" and len(args) >= 2:
            cfg.setdefault(args[0], args[-1])
        elif cmd == "try_compile" and args:
            cfg.setdefault(args[0], 1)
        elif cmd == "project":
            cfg.setdefault("PROJECT_VERSION", args[2] if len(args) > 2 else "")
    major, minor, patch = (cfg["PROJECT_VERSION"].split(".") + ["0", "0"])[:3]
    cfg.update(PROJECT_VERSION_MAJOR=major, PROJECT_VERSION_MINOR=minor, PROJECT_VERSION_PATCH=patch)
    return cfg


@dataclass
class SourceSet:
    sources: dict           # path -> extra flags
    headers: dict           # installed relative path -> source path
    include_dirs: list

    def add(self, paths: list[Path], flags: list[str]) -> None:
        """picolibc's rule: a file whose name (less extension) an earlier call added is
        skipped (machine/arm's memcpy.S shadows string/memcpy.c); within one call, a .c and
        a .S of one name are both built (each compiles to nothing unless its #if holds)."""
        taken = {p.stem for p in self.sources}
        for p in paths:
            if p.stem not in taken:
                self.sources[p] = flags


def walk(root: Path, rel: str, cfg: dict, out: SourceSet) -> SourceSet:
    """Follow one CMakeLists.txt: sources, headers, private include dirs, subdirectories."""
    here = root / rel
    cfg = dict(cfg, CMAKE_CURRENT_SOURCE_DIR=str(here))
    active = [True]
    for cmd, args in _commands(here / "CMakeLists.txt"):
        if cmd == "if":
            active.append(active[-1] and _condition(args, cfg, here))
            continue
        if cmd == "else":
            active[-1] = active[-2] and not active[-1]
            continue
        if cmd == "endif":
            active.pop()
            continue
        if not active[-1]:
            continue
        if cmd == "add_subdirectory":
            sub = re.sub(r"\$\{(\w+)\}", lambda m: str(cfg.get(m.group(1), "")), args[0])
            if (here / sub / "CMakeLists.txt").is_file():
                walk(root, f"{rel}/{sub}", cfg, out)
        elif cmd in ("picolibc_sources", "picolibc_sources_flags"):
            flags = args[0].split(";") if cmd == "picolibc_sources_flags" else []
            names = args[1:] if cmd == "picolibc_sources_flags" else args
            out.add([here / name for name in names], flags)
        elif cmd == "picolibc_headers":
            subdir, names = (args[0], args[1:]) if args and not args[0].endswith(".h") else ("", args)
            for name in names:
                out.headers.setdefault(f"{subdir}/{name}".lstrip("/"), here / name)
        elif cmd == "target_include_directories":
            out.include_dirs.append(here)
    return out


def render_config_header(template: str, cfg: dict) -> str:
    def line(m):
        kind, name, rest = m.group(1), m.group(2), m.group(3)
        value = cfg.get(name, 0)
        if kind == "cmakedefine01":
            return f"#define {name} {int(_truthy(value))}"
        if not _truthy(value):
            return f"/* #undef {name} */"
        return f"#define {name}{rest}"
    text = re.sub(r"^#(cmakedefine01|cmakedefine) (\w+)(.*)$", line, template, flags=re.M)
    return re.sub(r"@(\w+)@", lambda m: str(cfg.get(m.group(1), "")), text)


# ---- building -----------------------------------------------------------------------------

def _config() -> dict:
    return tomllib.loads(CONFIG_FILE.read_text())


def _zig_exe() -> list[str]:
    import ziglang
    exe = Path(ziglang.__file__).parent / "zig"
    return [str(exe)] if exe.is_file() else [sys.executable, "-m", "ziglang"]


def _compile_one(cmd: list[str], src: Path, cwd: Path) -> None:
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        raise CompileError(f"building picolibc: compiling {src} failed (exit {proc.returncode})",
                           command=cmd, output=proc.stdout + proc.stderr)


@dataclass(frozen=True)
class Recipe:
    """Everything that decides what a picolibc build produces, before anything is built:
    the configuration header, the installed headers and one compile command per source,
    written against placeholder directories (``INCLUDE``, ``OBJ``) so the text is stable and
    can be hashed into the cache key: any change of flags, options or sources is a new entry."""
    config_header: str
    headers: dict           # installed relative path -> source path
    compiles: list          # (source, command with placeholders)

    def key(self, version: str, toolchain_ident: str) -> str:
        text = json.dumps([RECIPE_FORMAT, version, toolchain_ident, self.config_header,
                           sorted((k, str(v)) for k, v in self.headers.items()),
                           [(str(src), cmd) for src, cmd in self.compiles]])
        return hashlib.sha256(text.encode()).hexdigest()


def recipe(root: Path, srcs: SourceSet, cfg: dict, settings: dict, target: list[str]) -> Recipe:
    base = ["clang"] + target + [settings["opt"]] + settings["compile_flags"] + \
        ["-include", "INCLUDE/picolibc.h", "-isystem", "INCLUDE"] + [f"-I{d}" for d in srcs.include_dirs]
    compiles = [(src, base + flags + ["-c", str(src), "-o", f"OBJ/{i:04d}-{src.stem}.o"])
                for i, (src, flags) in enumerate(srcs.sources.items())]
    header = render_config_header((root / "picolibc.h.in").read_text(), cfg)
    return Recipe(header, dict(srcs.headers), compiles)


def _concrete(cmd: list[str], inc: Path, objdir: Path) -> list[str]:
    """A recipe command with its placeholder directories made real."""
    def one(arg: str) -> str:
        if arg == "INCLUDE" or arg.startswith("INCLUDE/"):
            return str(inc) + arg[len("INCLUDE"):]
        if arg.startswith("OBJ/"):
            return str(objdir / arg[len("OBJ/"):])
        return arg
    return [one(arg) for arg in cmd]


def _build(staging: Path, rec: Recipe) -> None:
    inc = staging / "include"
    for relpath, src in rec.headers.items():
        (inc / relpath).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, inc / relpath)
    (inc / "picolibc.h").write_text(rec.config_header)
    objdir = staging / "obj"
    objdir.mkdir()
    jobs = [(_zig_exe() + _concrete(cmd, inc, objdir), src) for src, cmd in rec.compiles]
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        for fut in [pool.submit(_compile_one, cmd, src, staging) for cmd, src in jobs]:
            fut.result()
    (staging / "lib").mkdir()
    objs = sorted(str(p) for p in objdir.iterdir())
    _compile_one(_zig_exe() + ["ar", "rcs", str(staging / "lib" / "libc.a")] + objs, Path("libc.a"), staging)
    shutil.rmtree(objdir)


def _libc_root() -> Path | None:
    """``$MCUSIM_LIBC_CACHE_DIR`` if set (a cache directory checked like any other), else the
    build cache's: lets many short-lived caches (tests, CI jobs) share one built C library."""
    value = os.environ.get("MCUSIM_LIBC_CACHE_DIR")
    return Path(value) if value else None


def picolibc_recipe(toolchain, core: Core, settings: dict | None = None) -> tuple[Recipe, str]:
    """How picolibc for ``core`` is built (``settings``: picolibc.toml's, by default), and
    the version of the sources."""
    root, version = picolibc_tree()
    settings = settings or _config()
    cfg = read_defaults(root)
    cfg.update(settings["config"])
    srcs = SourceSet({}, {}, [])
    for rel in settings["roots"]:
        walk(root, rel, cfg, srcs)
    return recipe(root, srcs, cfg, settings, toolchain.clang_target(core)), version


def picolibc(toolchain, core: Core, cache: BuildCache | None = None) -> LibC:
    """picolibc for ``core``, built on first use and cached (keyed by its whole recipe)."""
    rec, version = picolibc_recipe(toolchain, core)
    key = rec.key(version, toolchain.ident)
    cache = cache or BuildCache(root=_libc_root(), namespace="libc")
    entry = cache.lookup(key, required=LIBC_FILES)
    if entry is None:
        staging = cache.new_staging_dir()
        try:
            _build(staging, rec)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        entry = cache.commit(key, staging, list(LIBC_FILES))
    return LibC("picolibc", version.removeprefix("picolibc "),
                compile_flags=("-isystem", str(entry / "include")),
                link_inputs=(str(entry / "lib" / "libc.a"),),
                runtime_sources=("newlib_syscalls.c", "picolibc_stdio.c"))

