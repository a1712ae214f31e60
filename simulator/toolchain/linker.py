"""Linker scripts generated from a board description.

Layout of the data RAM (lowest address first)::

    ORIGIN ──► ┌───────────────┐
               │ .stack        │ grows down toward ORIGIN: an overflow leaves the
               │   (stack_size)│ mapped RAM and faults at once (nothing below is mapped)
    __stack_top├───────────────┤
               │ .data         │ copied from flash by Reset_Handler
               │ .bss          │ zeroed by Reset_Handler (model arenas live here)
    __ram_end ─┼───────────────┤
               │ free          │ fw.call() places argument arrays here
    ORIGIN+cap └───────────────┘

The script gives RAM and FLASH generous lengths on purpose: overflow is checked after the
link by :mod:`simulator.toolchain.layout`, which can name every section and the overflow in
bytes, rather than by the linker's terser message.

Placement: a model's constant arrays are emitted in section ``.ck_weights`` and its arena in
``.bss.ck_arena`` (simulator/lower/codegen.py). By default they land in flash and in .bss;
``placement={"weights": "dtcm", "arena": "axi_sram"}`` moves them to other board regions:
weights in the data RAM join .data (copied from flash at reset), weights elsewhere get their
own section with its load image in flash (mcusim's ELF loader writes it at its run address too,
as it does .data; startup.c copies only .data), an arena elsewhere is a NOLOAD section there.
"""
from __future__ import annotations

from ..boards import Board, Region
from ..escape import c_comment_text
from ..errors import ConfigError

PLACEABLE = ("weights", "arena")


def check_placement(board: Board, ram: Region, placement: dict | None) -> dict[str, Region]:
    """``{"weights": name, "arena": name}`` -> the board regions, checked: a known region, and a
    writable one for the arena; weights in flash only in the code region."""
    out = {}
    for what, name in (placement or {}).items():
        if what not in PLACEABLE:
            raise ConfigError(f"cannot place {what!r}: only {', '.join(PLACEABLE)} can be placed")
        if name is None:
            continue
        region = next((r for r in board.regions if r.name == name), None)
        if region is None:
            raise ConfigError(f"--{what} {name}: board {board.name} has no region {name!r} "
                              f"(regions: {', '.join(r.name for r in board.regions)})")
        if region.kind == "flash" and (what == "arena" or region.name != board.code_region):
            raise ConfigError(f"--{what} {name}: region {name!r} of board {board.name} is read-only "
                              f"flash; {what} can go in {', '.join(_choices(board, what))}")
        out[what] = region
    return out


def _choices(board: Board, what: str) -> list[str]:
    return [r.name for r in board.regions
            if r.kind == "ram" or (what == "weights" and r.name == board.code_region)]


def _memory_name(region: Region) -> str:
    return "R_" + "".join(c if c.isalnum() else "_" for c in region.name).upper()

LINK_SLACK = 0x1000_0000  # 256 MB: never the limit; real limits are checked after linking


def render_linker_script(board: Board, ram: Region, stack_size: int, keep_all: bool = True,
                         placement: dict | None = None, fragment: str = "") -> str:
    """``keep_all``: keep every function of the user's objects (so fw.call can reach any of
    them); False lets --gc-sections drop what nothing references, as a product build would,
    so flash figures count only code that can run. ``placement``: see the module docstring.
    ``fragment``: the user's own output section statements (``> FLASH`` / ``> RAM``), placed
    after .bss so RAM sections count in the static RAM and fw.call's arguments go after them."""
    user = f"  /* user fragment */\n{fragment.rstrip()}\n" if fragment.strip() else ""
    keep_user = "    KEEP(*user-*.o(.text .text.*))\n" if keep_all else ""
    flash = board.flash
    placed = check_placement(board, ram, placement)
    weights, arena = placed.get("weights", flash), placed.get("arena", ram)
    extra = {r.name: r for r in (weights, arena) if r.name not in (flash.name, ram.name)}
    memories = "".join(f"  {_memory_name(r):<5} (rw)  : ORIGIN = 0x{r.origin:08x}, LENGTH = 0x{LINK_SLACK:x}\n"
                       for r in extra.values())
    in_text = "    *(.ck_weights)\n" if weights.name == flash.name else ""
    in_data = "    *(.ck_weights)\n" if weights.name == ram.name else ""
    own = ""
    if weights.name in extra:
        own += (f"  .ck_weights : ALIGN(4) {{ *(.ck_weights) . = ALIGN(4); }} > {_memory_name(weights)} AT > FLASH\n")
    if arena.name in extra:
        own += (f"  .ck_arena (NOLOAD) : ALIGN(16) {{ *(.bss.ck_arena) . = ALIGN(4); }} > {_memory_name(arena)}\n")
    # Names from the board file only ever appear inside this comment, escaped (a name holding
    # "*/ INCLUDE /etc/passwd" would otherwise be a linker command).
    about = (f"board {c_comment_text(board.name)}: code in {c_comment_text(flash.name)}, "
             f"data in {c_comment_text(ram.name)}, weights in {c_comment_text(weights.name)}, "
             f"arena in {c_comment_text(arena.name)}")
    return f"""/* generated by mcusim for {about} */
MEMORY
{{
  FLASH (rx)  : ORIGIN = 0x{flash.origin:08x}, LENGTH = 0x{LINK_SLACK:x}
  RAM   (rwx) : ORIGIN = 0x{ram.origin:08x}, LENGTH = 0x{LINK_SLACK:x}
{memories}}}
ENTRY(Reset_Handler)
SECTIONS
{{
  .isr_vector : {{ KEEP(*(.isr_vector)) }} > FLASH
{own}  .text : ALIGN(4)
  {{
    KEEP(*(.ck_keep.*))
{keep_user}    *(.text .text.*)
    *(.rodata .rodata.*)
{in_text}    . = ALIGN(4);
  }} > FLASH
  .ARM.extab : {{ *(.ARM.extab* .gnu.linkonce.armextab.*) }} > FLASH
  .ARM.exidx : {{ *(.ARM.exidx* .gnu.linkonce.armexidx.*) }} > FLASH
  .stack (NOLOAD) : ALIGN(8)
  {{
    __stack_base = .;
    . += 0x{stack_size:x};
    . = ALIGN(8);
    __stack_top = .;
  }} > RAM
  .data : ALIGN(4)
  {{
    __data_start = .;
    *(.data .data.*)
{in_data}    . = ALIGN(4);
    __data_end = .;
  }} > RAM AT > FLASH
  __data_load = LOADADDR(.data);
  .bss (NOLOAD) : ALIGN(4)
  {{
    __bss_start = .;
    *(.bss .bss.* COMMON)
    . = ALIGN(4);
    __bss_end = .;
  }} > RAM
{user}  __ram_end = .;
  /DISCARD/ : {{ *(.note.* .comment) }}
}}
"""
