"""What a linked ELF occupies, and the link-time RAM and flash checks that name every section."""
from __future__ import annotations

from dataclasses import dataclass, field

from elftools.elf.constants import SH_FLAGS
from elftools.elf.elffile import ELFFile

from ..boards import Board, Region
from ..errors import FlashOverflow, RamOverflow
from ..sizes import format_size
from .linker import LINK_SLACK


@dataclass(frozen=True)
class Section:
    name: str
    addr: int        # run-time address (VMA)
    load: int        # load address (LMA); differs from addr for .data
    size: int
    nobits: bool     # .bss, .stack: occupy RAM, nothing in flash


@dataclass
class Layout:
    sections: list[Section]
    ram: Region
    ram_limit: int
    stack_size: int
    stack_base: int
    stack_top: int
    ram_end: int                     # end of .bss: first free RAM byte
    flash: Region
    flash_used: int
    symbols: dict[str, int] = field(default_factory=dict)

    @property
    def ram_static(self) -> int:
        """.data + .bss (+ any other RAM section): what the program holds besides its stack."""
        return sum(s.size for s in self.sections if self.ram.contains(s.addr) and s.name != ".stack")

    @property
    def ram_used(self) -> int:
        return self.ram_end - self.ram.origin

    @property
    def ram_free(self) -> int:
        return self.ram.origin + self.ram_limit - self.ram_end


def _lma_of(elf: ELFFile, sec) -> int:
    for seg in elf.iter_segments():
        if seg["p_type"] == "PT_LOAD" and seg["p_vaddr"] <= sec["sh_addr"] < seg["p_vaddr"] + max(seg["p_memsz"], 1):
            return sec["sh_addr"] - seg["p_vaddr"] + seg["p_paddr"]
    return sec["sh_addr"]


def read_layout(elf_path, board: Board, ram: Region, ram_limit: int, stack_size: int) -> Layout:
    with open(elf_path, "rb") as fh:
        elf = ELFFile(fh)
        sections = [Section(name=s.name, addr=s["sh_addr"], load=_lma_of(elf, s), size=s["sh_size"],
                            nobits=s["sh_type"] == "SHT_NOBITS")
                    for s in elf.iter_sections()
                    if s["sh_flags"] & SH_FLAGS.SHF_ALLOC and s["sh_size"] > 0]
        symtab = elf.get_section_by_name(".symtab")
        wanted = ("__stack_base", "__stack_top", "__ram_end", "__data_start", "__bss_end")
        symbols = {s.name: s["st_value"] for s in symtab.iter_symbols() if s.name in wanted} if symtab else {}
    flash = board.flash
    flash_used = sum(s.size for s in sections if not s.nobits and flash.contains(s.load))
    return Layout(sections=sections, ram=ram, ram_limit=ram_limit, stack_size=stack_size,
                  stack_base=symbols.get("__stack_base", ram.origin),
                  stack_top=symbols.get("__stack_top", ram.origin + stack_size),
                  ram_end=symbols.get("__ram_end", ram.origin), flash=flash, flash_used=flash_used,
                  symbols=symbols)


def check_layout(layout: Layout, board: Board) -> None:
    """Raise RamOverflow / FlashOverflow naming each section, its size, the region and the overflow."""
    ram = layout.ram
    ram_secs = [s for s in layout.sections if ram.origin <= s.addr < ram.origin + LINK_SLACK]
    if layout.ram_used > layout.ram_limit:
        over = layout.ram_used - layout.ram_limit
        rows = "\n".join(f"  {s.name:<12} {s.size:>8} B  at 0x{s.addr:08x}" for s in ram_secs)
        raise RamOverflow(
            f"RAM overflow on {board.name}: the program needs {layout.ram_used} B "
            f"({format_size(layout.ram_used)}) of region '{ram.name}' but the limit is "
            f"{layout.ram_limit} B ({format_size(layout.ram_limit)}): over by {over} B\n{rows}",
            limit=layout.ram_limit, needed=layout.ram_used, sections={s.name: s.size for s in ram_secs})
    flash = layout.flash
    if layout.flash_used > flash.size:
        over = layout.flash_used - flash.size
        rows = "\n".join(f"  {s.name:<12} {s.size:>8} B" for s in layout.sections
                         if not s.nobits and flash.contains(s.load))
        raise FlashOverflow(
            f"flash overflow on {board.name}: code and constants need {layout.flash_used} B but region "
            f"'{flash.name}' has {flash.size} B ({format_size(flash.size)}): over by {over} B\n{rows}")


PLACED_SECTIONS = {"weights": ".ck_weights", "arena": ".ck_arena"}


def check_placed(layout: Layout, board: Board, placed: dict) -> None:
    """A section placed in a region of its own (--weights/--arena) must fit that region:
    otherwise a RamOverflow naming what, the region, its size and the overflow in bytes."""
    for what, region in placed.items():
        sec = next((s for s in layout.sections if s.name == PLACED_SECTIONS[what]), None)
        if sec is None or not region.contains(sec.addr):
            continue
        end = sec.addr + sec.size
        if end > region.end:
            over = end - region.end
            raise RamOverflow(
                f"{what} overflow on {board.name}: {sec.size} B ({format_size(sec.size)}) placed in region "
                f"'{region.name}' (0x{region.origin:08x}, {region.size} B = {format_size(region.size)}) "
                f"end at 0x{end:08x}: over by {over} B",
                limit=region.size, needed=end - region.origin, sections={sec.name: sec.size})
