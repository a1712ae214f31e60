"""An ELF seen from the emulator: loadable bytes, symbols, and addresses -> source lines."""
from __future__ import annotations

import bisect
import hashlib
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from elftools.elf.elffile import ELFFile


@dataclass(frozen=True)
class Symbol:
    name: str
    addr: int        # Thumb bit cleared
    size: int
    kind: str        # "func" or "object"


class ElfImage:
    def __init__(self, path: Path):
        self.path = Path(path)
        self._fh = open(self.path, "rb")
        self.elf = ELFFile(self._fh)

    def close(self) -> None:
        self._fh.close()

    @cached_property
    def digest(self) -> str:
        """sha256 of the ELF file: names its decoded block costs in the cache (cycles/blockcache.py)."""
        return hashlib.sha256(self.path.read_bytes()).hexdigest()

    def file_offset(self, addr: int) -> int | None:
        """Where the byte loaded at ``addr`` lies in the file (None if no section holds it)."""
        for sec in self.elf.iter_sections():
            if sec["sh_type"] == "SHT_PROGBITS" and sec["sh_flags"] & 2 and \
                    sec["sh_addr"] <= addr < sec["sh_addr"] + sec["sh_size"]:
                return sec["sh_offset"] + addr - sec["sh_addr"]
        return None

    def get_load_chunks(self) -> list[tuple[int, bytes]]:
        """(address, bytes) to place in memory: each PT_LOAD at its load address (LMA), and
        initialised RAM data (.data) also at its run address, so fw.call() works without
        running Reset_Handler."""
        chunks = []
        for seg in self.elf.iter_segments():
            if seg["p_type"] != "PT_LOAD" or seg["p_filesz"] == 0:
                continue
            data = seg.data()
            chunks.append((seg["p_paddr"], data))
            if seg["p_vaddr"] != seg["p_paddr"]:
                chunks.append((seg["p_vaddr"], data))
        return chunks

    @cached_property
    def symbols(self) -> list[Symbol]:
        symtab = self.elf.get_section_by_name(".symtab")
        out = []
        for s in symtab.iter_symbols() if symtab else []:
            kind = {"STT_FUNC": "func", "STT_OBJECT": "object"}.get(s["st_info"]["type"])
            if kind and s.name:
                out.append(Symbol(s.name, s["st_value"] & ~1 if kind == "func" else s["st_value"],
                                  s["st_size"], kind))
        return sorted(out, key=lambda s: s.addr)

    @cached_property
    def _by_name(self) -> dict[str, Symbol]:
        return {s.name: s for s in self.symbols}

    def get_symbol(self, name: str) -> Symbol | None:
        return self._by_name.get(name)

    @cached_property
    def _funcs(self) -> tuple[list[int], list[Symbol]]:
        funcs = [s for s in self.symbols if s.kind == "func"]
        return [f.addr for f in funcs], funcs

    def function_at(self, addr: int) -> Symbol | None:
        starts, funcs = self._funcs
        i = bisect.bisect_right(starts, addr) - 1
        if i >= 0 and addr < funcs[i].addr + max(funcs[i].size, 2):
            return funcs[i]
        return None

    def describe_address(self, addr: int) -> str:
        """``dot_s8+0x1a (kernel.c:42)`` or ``0x08000123`` when nothing is known."""
        fn = self.function_at(addr)
        text = f"{fn.name}+0x{addr - fn.addr:x}" if fn else f"0x{addr:08x}"
        line = self.source_line(addr)
        return f"{text} ({line})" if line else text

    @cached_property
    def _line_table(self) -> tuple[list[int], list[str]]:
        rows: list[tuple[int, str]] = []
        if not self.elf.has_dwarf_info():
            return [], []
        dwarf = self.elf.get_dwarf_info()
        for cu in dwarf.iter_CUs():
            lp = dwarf.line_program_for_CU(cu)
            if lp is None:
                continue
            files = lp["file_entry"]
            version = lp.header["version"]
            sequence: list[tuple[int, str]] = []
            for entry in lp.get_entries():
                st = entry.state
                if st is None:
                    continue
                if st.end_sequence:
                    # A sequence whose code the linker garbage-collected keeps its unrelocated
                    # address (0): on boards with flash at 0 it would shadow real code. Keep a
                    # sequence only if it starts inside a function that is in the image.
                    if sequence and self.function_at(sequence[0][0]) is not None:
                        rows.extend(sequence)
                    sequence = []
                    continue
                idx = st.file if version >= 5 else st.file - 1
                name = files[idx].name.decode(errors="replace") if 0 <= idx < len(files) else "?"
                sequence.append((st.address, f"{Path(name).name}:{st.line}"))
        rows.sort()
        return [r[0] for r in rows], [r[1] for r in rows]

    def source_line(self, addr: int) -> str:
        addrs, lines = self._line_table
        i = bisect.bisect_right(addrs, addr) - 1
        if i < 0:
            return ""
        fn = self.function_at(addr)
        if fn and addrs[i] < fn.addr:
            return ""
        return lines[i]
