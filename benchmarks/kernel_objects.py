"""Did a change to cross_kernels change any kernel's machine code? Compare two trees' objects.

Every cross_kernels/src .c file is compiled for Cortex-M0+, M4 and M7 with zig's clang and
arm-none-eabi-gcc (the cores' flags from simulator/boards/cores.toml), for the working tree
and for a git ref, and each object's code and data sections (bytes, and relocations by symbol
name) are compared, keyed by file stem so that moved files still pair up. Identical objects
mean identical bits and identical cycle counts for every model that links them. Both trees are
compiled from the same temporary path: zig at -O0/-Og embeds source paths (UBSan).

    python benchmarks/kernel_objects.py --against HEAD~3 [--opt=-O2,-Os] [--json]
"""
from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
import tomllib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from elftools.elf.elffile import ELFFile
from elftools.elf.relocation import RelocationSection

ROOT = Path(__file__).resolve().parents[1]
CORES = ("m0plus", "m4", "m7")
SECTIONS = (".text", ".rodata", ".data", ".bss")


def _command(compiler: str, core: dict, opt: str, tree: Path, src: Path, obj: Path) -> list:
    common = [opt, "-std=c11", f"-I{tree / 'cross_kernels/include'}", "-c", str(src), "-o", str(obj)]
    if compiler == "zig":
        return [sys.executable, "-m", "ziglang", "cc", "-target", core["zig_target"],
                f"-mcpu={core['zig_cpu']}", *common]
    return ["arm-none-eabi-gcc", *core["gcc_flags"], "-ffunction-sections", *common]


def fingerprint(obj: Path) -> dict:
    """{section: hash} for code/data sections and their relocations (by symbol name)."""
    out = {}
    with open(obj, "rb") as f:
        elf = ELFFile(f)
        symtab = elf.get_section_by_name(".symtab")
        for s in elf.iter_sections():
            if isinstance(s, RelocationSection):
                if any(k in s.name for k in SECTIONS):
                    rows = [(r["r_offset"], r["r_info_type"], symtab.get_symbol(r["r_info_sym"]).name)
                            for r in s.iter_relocations()]
                    out[s.name] = hashlib.sha256(repr(rows).encode()).hexdigest()[:16]
            elif s.name.startswith(SECTIONS):
                body = str(s["sh_size"]).encode() if s["sh_type"] == "SHT_NOBITS" else s.data()
                out[s.name] = hashlib.sha256(body).hexdigest()[:16]
    return out


def compile_tree(tree: Path, opt: str, work: Path) -> dict:
    """{stem: {compiler-core: fingerprint or 'error: ...'}} for every kernel source of tree."""
    cores = tomllib.loads((ROOT / "simulator/boards/cores.toml").read_text())
    jobs = [(c, core, src) for src in sorted((tree / "cross_kernels/src").glob("**/*.c"))
            for c in ("zig", "gcc") for core in CORES]

    def run(job):
        compiler, core, src = job
        obj = work / f"{compiler}-{core}-{src.stem}.o"
        p = subprocess.run(_command(compiler, cores[core], opt, tree, src, obj),
                           capture_output=True, text=True)
        return src.stem, f"{compiler}-{core}", fingerprint(obj) if p.returncode == 0 \
            else "error: " + p.stderr.strip().splitlines()[-1][:200]

    result = {}
    with ThreadPoolExecutor(2) as pool:
        for stem, key, fp in pool.map(run, jobs):
            result.setdefault(stem, {})[key] = fp
    return result


def _export(ref: str | None, dest: Path) -> None:
    """cross_kernels of ``ref`` (None: the working tree) into dest/cross_kernels."""
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    if ref is None:
        shutil.copytree(ROOT / "cross_kernels", dest / "cross_kernels")
        return
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", ref, "cross_kernels"],
                             capture_output=True, check=True).stdout
    with tempfile.TemporaryFile() as f:
        f.write(archive)
        f.seek(0)
        with tarfile.open(fileobj=f) as tar:
            tar.extractall(dest, filter="data")


def compare(old: dict, new: dict) -> dict:
    same, differ = [], []
    for stem in sorted(set(old) & set(new)):
        for key in sorted(old[stem]):
            (same if old[stem][key] == new[stem].get(key) else differ).append(f"{stem} {key}")
    return {"identical": len(same), "differ": differ,
            "only_old": sorted(set(old) - set(new)), "only_new": sorted(set(new) - set(old))}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--against", required=True, help="git ref to compare the working tree with")
    ap.add_argument("--opt", default="-O2",
                    help="optimisation levels, comma-separated: --opt=-O2,-Os (default -O2)")
    ap.add_argument("--json", action="store_true", help="print the result as JSON")
    args = ap.parse_args()
    report = {}
    with tempfile.TemporaryDirectory() as tmp:
        tree, work = Path(tmp) / "tree", Path(tmp) / "obj"
        for opt in args.opt.split(","):
            trees = {}
            for name, ref in (("old", args.against), ("new", None)):
                _export(ref, tree)
                shutil.rmtree(work, ignore_errors=True)
                work.mkdir()
                trees[name] = compile_tree(tree, opt, work)
            report[opt] = compare(trees["old"], trees["new"])
    if args.json:
        print(json.dumps(report, indent=1))
        return
    for opt, r in report.items():
        print(f"{opt}: {r['identical']} objects identical, {len(r['differ'])} differ")
        for d in r["differ"]:
            print(f"    {d}")
        for k in ("only_old", "only_new"):
            if r[k]:
                print(f"    {k}: {', '.join(r[k])}")


if __name__ == "__main__":
    main()
