"""Kernel libraries as data: which library function runs an (op, dtype), and where the library is.

    lib = load_library("cmsis-nn")              # or "cmsis-nn=/path/to/CMSIS-NN", "my.toml=/src"
    lib.version, lib.sources, lib.include_dirs, lib.rule_for("CONV_2D", "int8", has_dsp=True)

A library is one TOML table (``cmsis_nn.toml`` beside this file is the one mcusim ships; the
format is docs/kernel-libraries.md): a ``[library]`` section (name, where its sources are, how
to read its version, which files to compile, the emitter module that writes its calls) and
``[[rule]]`` rows mapping (op, dtype[, dsp]) to a function and an emitter. mcusim's own kernels
(``"mcusim"``) are not a library here: they are ``lower/rules.toml``, and every op a library
has no row for falls back to them (``lower/lowering.py``).
"""
from __future__ import annotations

import fnmatch
import importlib
import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from ...errors import ConfigError

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
BUILTIN = {"cmsis-nn": HERE / "cmsis_nn.toml"}
DEFAULT = "mcusim"


class LibraryNotAvailable(ConfigError):
    """--kernels names a library whose sources are not where it says (exit 2)."""


@dataclass(frozen=True)
class LibRule:
    op: str
    dtype: str
    dsp: bool | None
    function: str
    emitter: str
    scratch: str | None
    source: str


@dataclass(frozen=True)
class KernelLibrary:
    name: str
    title: str
    root: Path
    version: str
    include_dirs: tuple[Path, ...]
    header: str
    sources: tuple[Path, ...]
    rules: tuple[LibRule, ...]
    emitters: str                      # module holding EMITTERS for the rows' ``emitter`` names
    table: Path

    def rule_for(self, op: str, dtype: str, has_dsp: bool) -> LibRule | None:
        for r in self.rules:
            if r.op == op and r.dtype == dtype and (r.dsp is None or r.dsp == has_dsp):
                return r
        return None

    def emitter(self, rule: LibRule):
        module = importlib.import_module(self.emitters)
        try:
            return module.EMITTERS[rule.emitter]
        except KeyError:
            raise ConfigError(f"{self.table}: rule {rule.op}/{rule.dtype} names emitter "
                              f"{rule.emitter!r}, which {self.emitters} does not define") from None

    @property
    def ident(self) -> str:
        """What the analysis context records: name, version and the sources' location."""
        return f"{self.title} {self.version} ({self.root})"


def parse_spec(spec: str | None) -> tuple[str, Path | None]:
    """``"cmsis-nn=PATH"`` -> ("cmsis-nn", PATH); ``None``/"mcusim" -> ("mcusim", None)."""
    name, sep, path = (spec or DEFAULT).partition("=")
    if sep and not path:
        raise ConfigError(f"--kernels {spec}: give a directory after '='")
    return name, (Path(path).expanduser() if sep else None)


def load_library(spec: str | None) -> KernelLibrary | None:
    """The library ``spec`` names, or None for mcusim's own kernels. ConfigError for an unknown
    name or a bad table; LibraryNotAvailable when its sources are not found."""
    name, path = parse_spec(spec)
    if name == DEFAULT:
        if path is not None:
            raise ConfigError("--kernels mcusim takes no path (its kernels are cross_kernels/)")
        return None
    table = BUILTIN.get(name) or (Path(name) if name.endswith(".toml") else None)
    if table is None:
        raise ConfigError(f"--kernels {name!r}: not a known kernel library (known: mcusim, "
                          f"{', '.join(BUILTIN)}; or a library table .toml, docs/kernel-libraries.md)")
    return _load_table(table, path)


def _read_table(table: Path) -> dict:
    try:
        return tomllib.loads(table.read_text())
    except FileNotFoundError:
        raise ConfigError(f"kernel library table not found: {table}") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
        raise ConfigError(f"{table}: not a readable TOML table ({err})") from None


def _load_table(table: Path, path: Path | None) -> KernelLibrary:
    data = _read_table(table)
    try:
        lib = data["library"]
        rows = tuple(LibRule(op=r["op"], dtype=r["dtype"], dsp=r.get("dsp"), function=r["function"],
                             emitter=r["emitter"], scratch=r.get("scratch"), source=r["source"])
                     for r in data.get("rule", []))
        name, marker = lib["name"], lib["marker"]
    except (KeyError, TypeError) as err:
        raise ConfigError(f"{table}: missing field {err} (docs/kernel-libraries.md)") from None
    _check_c_names(table, lib.get("header", ""), rows)
    root = _find_root(name, lib, marker, path, table)
    return KernelLibrary(name=name, title=lib.get("title", name), root=root,
                         version=_version(root, lib), header=lib.get("header", ""),
                         include_dirs=tuple(root / d for d in lib.get("include", [])),
                         sources=_sources(root, lib.get("sources", []), lib.get("exclude", [])),
                         rules=rows, emitters=lib.get("emitters", "simulator.lower.emitters_cmsis_nn"),
                         table=table)


C_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
HEADER_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_./-]*\.h\Z")


def _check_c_names(table: Path, header: str, rows) -> None:
    """The table's names reach the generated C: only identifiers and a plain header name."""
    if header and (not HEADER_NAME.match(header) or ".." in header):
        raise ConfigError(f"{table}: header {header!r} is not a plain header file name")
    for r in rows:
        for what, value in (("function", r.function), ("scratch", r.scratch)):
            if value is not None and not C_NAME.match(value):
                raise ConfigError(f"{table}: rule {r.op}/{r.dtype} {what} {value!r} is not a C identifier")


def _find_root(name: str, lib: dict, marker: str, path: Path | None, table: Path) -> Path:
    if path is not None:
        if not (path / marker).is_file():
            raise LibraryNotAvailable(f"--kernels {name}={path}: not a {lib.get('title', name)} "
                                      f"source tree ({marker} not found there)")
        return path.resolve()
    tried = []
    env = lib.get("env")
    if env and os.environ.get(env):
        tried.append(Path(os.environ[env]))
    tried += [REPO / p for p in lib.get("default_paths", [])]
    for cand in tried:
        if (cand / marker).is_file():
            return cand.resolve()
    where = ", ".join(str(p) for p in tried) or "nowhere"
    raise LibraryNotAvailable(f"--kernels {name}: {lib.get('title', name)} sources not found "
                              f"(looked in {where}); give --kernels {name}=PATH"
                              + (f" or set {env}" if env else ""))


def _version(root: Path, lib: dict) -> str:
    """The version the table says how to read (e.g. a header's $Revision and $Date)."""
    file, pattern = lib.get("version_file"), lib.get("version_pattern")
    if not file or not pattern:
        return "unversioned"
    try:
        text = (root / file).read_text(errors="replace")
    except OSError:
        return "unversioned"
    found = re.search(pattern, text, re.M)
    date = re.search(lib["date_pattern"], text, re.M) if lib.get("date_pattern") else None
    version = found.group(1) if found else "unversioned"
    return f"{version} ({date.group(1)})" if date else version


def _sources(root: Path, patterns: list[str], exclude: list[str]) -> tuple[Path, ...]:
    out: list[Path] = []
    for pattern in patterns:
        for p in sorted(root.glob(pattern)):
            if p.is_file() and not any(fnmatch.fnmatch(p.name, x) for x in exclude) and p not in out:
                out.append(p)
    return tuple(out)
