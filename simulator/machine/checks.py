"""The per-instruction checks unicorn does not do, as one native code hook.

Two architectural faults are missing from unicorn 2.1.4 on ARMv7-M / ARMv8-M: alignment
faults of LDRD/STRD/LDM/STM/exclusives/VFP loads and stores (alignment.py says which and
why) and CCR.DIV_0_TRP for SDIV/UDIV (divzero.py). Those checks find the sites once per
image and hand them to :class:`NativeChecks`, the emulator's first registered check
(``emu.checks``); here each site gets a code hook on exactly its address, and the hook is C
(``cycles/native/checks.c``): a Python callback per execution cost more than the whole rest of
the emulation (VWW: 237,352 callbacks, 0.75 s of 1.42 s). The same hook applies the core's
data-dependent divide timing when its table has one (``cycles/divide.py``).

Hooks are added only for code that runs. Unicorn 2.1.4 dispatches every hooked instruction by
walking its whole list of code hooks (helper_uc_tracecode), so each hook in the list costs
every call: measured ~4.5 ns per list entry per call against ~5 ns for the call itself (300,000
calls: 1 hook 1.4 ms, 71 hooks 92 ms), and VWW runs only 35 of its 73 sites. So a site gets its
hook when the accounting first meets a block holding it (:meth:`NativeChecks.on_translated`):
the block is stopped before it runs (a stop in the block hook leaves the PC on the block and
runs none of it), its translation dropped, and emulation resumed there with the hook in place.

An alignment site whose base the state at its block's start determines gets no hook at all:
the accounting's block hook checks it when the block starts (checks.c ck_block_entry). The
base is a register no earlier instruction of the block writes, or is set from sp by ``add Rb,
sp, #imm`` or ``ldr Rb, [sp, #imm]`` (kernels reload their pointers from the stack) with sp
moved only by constants and no store but pushes before it (:func:`_track`). Only a block that
would fault pays for a hook: it is stopped before it runs, the site gets its code hook and the
block runs again (:meth:`resume_point`), so the fault is raised at the instruction exactly as
with the hook from the start. (ResNet-8: 176,124 of 176,190 checks at block entry, 13 hooks.)

The C hook records a violation (kind, pc, address) and stops emulation;
:meth:`NativeChecks.recorded_stop` turns the record into the :class:`Stop` that faults.py
reports as UnalignedAccess / DivideByZero.
"""
from __future__ import annotations

import bisect
import ctypes
import weakref

from capstone import arm
from unicorn import UC_HOOK_CODE
from unicorn import arm_const as A

from ..cycles import native
from ..cycles.engine import _native_hook, _uclib     # the engine's ctypes view of libunicorn
from .alignment import CS_TO_UC, predicated
from .stop import Check, Stop

SITE_ALIGN, SITE_DIVIDE = 1, 2
BASE_AT_ENTRY, BASE_SP_PLUS, BASE_LOADED = 0, 1, 2      # checks.c ck_entry.how
FAULT_UNALIGNED, FAULT_DIVZERO = 1, 2
_FAULT_DETAIL = {FAULT_UNALIGNED: "unaligned", FAULT_DIVZERO: "divzero"}
_GPR = [getattr(A, f"UC_ARM_REG_R{i}") for i in range(13)] + [A.UC_ARM_REG_SP, A.UC_ARM_REG_LR,
                                                               A.UC_ARM_REG_PC]


class NativeChecks(Check):
    """The native check hook of one Unicorn engine: sites, the C state, the hooks. Other
    checks (alignment.py, divzero.py) add their sites in their ``attach``."""

    def __init__(self, uc):
        self.uc = uc
        self._lib = native.library()
        uclib = _uclib()
        fn = [ctypes.cast(getattr(uclib, name), ctypes.c_void_p) for name in
              ("uc_reg_read", "uc_mem_read", "uc_emu_stop")]
        gpr = (ctypes.c_int32 * 16)(*_GPR)
        self._st = self._lib.ck_new(*fn, gpr)
        if not self._st:
            raise MemoryError("checks: cannot allocate the native state")
        self.record = ctypes.cast(self._st, ctypes.POINTER(native.CheckRecord)).contents
        self._finalizer = weakref.finalize(uc, self._lib.ck_free, self._st)
        self.alignment_sites: list[int] = []
        self.divide_sites: list[int] = []
        self._unhooked: list[int] = []          # sorted; see on_translated
        self._base: dict[int, int] = {}         # alignment site -> unicorn id of its base register
        self._entry: dict[int, set] = {}        # block -> its sites checked at block entry
        self._md = None
        self._restart: tuple[int, int] | None = None
        self._hooks: list[int] = []

    @property
    def state(self) -> int:
        """The C state (for the accounting's block-entry checks)."""
        return self._st

    def add_alignment_site(self, address: int, base_reg: int, disp: int, align: int) -> None:
        self._add(address, SITE_ALIGN, base_reg, disp, align)
        self._base[address] = base_reg
        self.alignment_sites.append(address)

    def add_divide_site(self, address: int) -> None:
        self._add(address, SITE_DIVIDE, 0, 0, 0)
        self.divide_sites.append(address)

    def _add(self, address, kind, base_reg, disp, align) -> None:
        if self._lib.ck_add_site(self._st, address, kind, base_reg, disp, align) != 0:
            raise MemoryError(f"checks: cannot add the site at 0x{address:08x}")
        bisect.insort(self._unhooked, address)

    def set_divide_timing(self, accounting_state, rule) -> None:
        """Charge divides by ``rule`` (cycles.divide.DivideRule) into that native accounting."""
        self._lib.ck_set_divide_timing(self._st, accounting_state, rule.div_min, rule.div_max, rule.static)

    def set_divide_trap(self, on: bool) -> None:
        """CCR.DIV_0_TRP as the firmware last wrote it (divzero.DivideCheck watches CCR)."""
        self.record.div_trap = int(on)

    def on_translated(self, address: int, size: int) -> bool:
        """The accounting met a block it has not seen, ``size`` bytes at ``address``, before
        running it. If the block holds sites without a hook yet, hook them and return True:
        the block is then stopped before it runs, and :meth:`resume_point` has it translated
        again, now with the hooks (Emulator.run). Otherwise False: run it."""
        if not self.hook_sites(address, size):
            return False
        self._restart = (address, size)
        return True

    def hook_sites(self, address: int, size: int) -> bool:
        """Prepare the sites without a hook in the block of ``size`` bytes at ``address``: a
        block-entry check for those it allows (with :meth:`use_entry_checks`), a code hook for
        the others; True if any got a hook. Before emulation (the accounting's preload) no
        translation exists yet to drop."""
        lo = bisect.bisect_left(self._unhooked, address)
        hi = bisect.bisect_left(self._unhooked, address + size)
        if lo == hi:
            return False
        sites = self._unhooked[lo:hi]
        at_entry = self._entry_checkable(address, size, sites) if self._entry_ok else {}
        known = self._entry.setdefault(address, set())
        for site in at_entry.keys() - known:
            if self._lib.ck_add_entry(self._st, address, site, *at_entry[site]) != 0:
                raise MemoryError(f"checks: cannot add the block-entry check at 0x{site:08x}")
        known.update(at_entry)
        hooked = [site for site in sites if site not in at_entry]
        for site in hooked:
            self._hook(site)
        return bool(hooked)

    def _hook(self, site: int) -> None:
        self._hooks.append(_native_hook(self.uc, UC_HOOK_CODE, self._lib.ck_code_hook, self._st, site, site))
        self._lib.ck_mark_hooked(self._st, site)
        k = bisect.bisect_left(self._unhooked, site)
        if k < len(self._unhooked) and self._unhooked[k] == site:
            del self._unhooked[k]

    _entry_ok = False

    def use_entry_checks(self, accounting) -> None:
        """Check alignment sites at block entry from ``accounting``'s native block hook."""
        accounting.use_entry_checks(self)
        self._entry_ok = True

    def has_entry_checks(self, block: int) -> bool:
        return bool(self._entry.get(block))

    def _entry_checkable(self, address: int, size: int, sites) -> dict:
        """``{site: (how, off)}`` for the alignment sites among ``sites`` whose base register
        is known from the state when the block starts (checks.c BASE_*): unchanged, or set by
        ``add Rb, sp, #imm`` / ``ldr Rb, [sp, #imm]`` (no store but pushes before it, which
        write below the entry sp) with sp moved only by push and ``sub``/``add sp, #imm``.
        Anything else, or anything capstone cannot decode, is hooked."""
        if self._md is None:
            import capstone
            self._md = capstone.Cs(capstone.CS_ARCH_ARM, capstone.CS_MODE_THUMB | capstone.CS_MODE_MCLASS)
            self._md.detail = True
        out, known, delta, stored = {}, {}, 0, False   # known: unicorn reg -> (how, off); delta: sp moved
        for ins in self._md.disasm(bytes(self.uc.mem_read(address, size)), address):
            base = self._base.get(ins.address)
            if ins.address in sites and base is not None and known.get(base, (BASE_AT_ENTRY, 0)) is not None:
                out[ins.address] = known.get(base, (BASE_AT_ENTRY, 0))
            delta, stored = _track(ins, known, delta, stored)
            if delta is None:
                break
        return out

    def resume_point(self) -> int | None:
        """Where to start again after :meth:`on_translated` stopped a block (its stale
        translation dropped), or None when emulation stopped for another reason."""
        if self._restart is None:
            return self._entry_resume()
        address, size = self._restart
        self._restart = None
        self.uc.ctl_remove_cache(address, address + size)
        return address

    def _entry_resume(self) -> int | None:
        """A block-entry check stopped a block whose site would fault: hook the site, drop the
        block's translation, and run the block again (the hook then faults at the site)."""
        r = self.record
        if not r.entry_block:
            return None
        block, site = r.entry_block, r.entry_site
        r.entry_block = r.entry_site = 0
        self._hook(site)
        self.uc.ctl_remove_cache(block, site + 4)
        return block

    @property
    def hooked_sites(self) -> int:
        return len(self._hooks)

    def attach(self, emu) -> None:
        emu.counter.translation_listener = self.on_translated
        if hasattr(emu.counter, "use_entry_checks"):   # the native accounting: its block hook checks
            self.use_entry_checks(emu.counter)

    def recorded_stop(self, emu) -> Stop | None:
        """The violation the C hook recorded when it stopped emulation, or None."""
        r = self.record
        if not r.fault:
            return None
        detail = _FAULT_DETAIL[r.fault]
        return Stop("fault", detail, pc=r.fault_pc, address=r.fault_addr if detail == "unaligned" else None,
                    registers=emu.registers())


def _track(ins, known: dict, delta, stored: bool):
    """Follow one instruction of a block for :meth:`NativeChecks._entry_checkable`: what it
    makes of the registers ``known`` tracks (None: not known from the entry state), of sp's
    offset from its entry value ``delta`` (None: lost) and whether a store other than a push
    came. Returns the new ``(delta, stored)``."""
    name = ins.insn_name()
    _, written = ins.regs_access()
    ops = ins.operands
    if predicated(ins) or (ins.writeback and name != "push"):
        return None, stored                      # conditional or written-back state: stop here
    if name == "push":                           # writes below sp: below the entry sp unless sp rose
        return delta - 4 * len(ops), stored or delta > 0
    if arm.ARM_REG_SP in written:
        if name in ("add", "sub") and len(ops) >= 2 and ops[-1].type == arm.ARM_OP_IMM and \
                all(o.type == arm.ARM_OP_REG and o.reg == arm.ARM_REG_SP for o in ops[:-1]):
            return delta + (ops[-1].imm if name == "add" else -ops[-1].imm), stored
        return None, stored
    rule = None
    if name == "ldr" and len(ops) == 2 and ops[1].type == arm.ARM_OP_MEM and ops[1].mem.base == arm.ARM_REG_SP \
            and not ops[1].mem.index and not stored and delta + ops[1].mem.disp >= 0:
        rule = (BASE_LOADED, delta + ops[1].mem.disp)
    elif name == "add" and len(ops) == 3 and ops[1].type == arm.ARM_OP_REG and ops[1].reg == arm.ARM_REG_SP \
            and ops[2].type == arm.ARM_OP_IMM:
        rule = (BASE_SP_PLUS, delta + ops[2].imm)
    for r in written:
        uc = CS_TO_UC.get(r)
        if uc is not None:
            known[uc] = rule if ops and ops[0].type == arm.ARM_OP_REG and ops[0].reg == r else None
    if name.startswith(("st", "vst", "vpush")):
        stored = True
    return delta, stored

