"""Cycle accounting attached to a Unicorn engine.

    acc = Accounting(uc, "m7", regions=[(0x08000000, 2 << 20, 0, 0, 0), ...])
    acc.attach()                 # block hook (native C), data-wait hook if any region has data waits
    acc.map_debug_registers()    # optional: DWT CYCCNT, SysTick, DEMCR as the firmware sees them
    acc.set_budget(50_000_000)
    uc.emu_start(entry | 1, until)
    acc.check()                  # raises if decoding failed inside the hook
    acc.cycles, acc.instructions, acc.budget_exceeded, acc.profile(symbols)

Each translated block is decoded once (capstone -> classify -> model.block_cost) and its static
cost cached; per execution the hook adds the cost plus the dynamic effects (taken-branch refill,
M7 prediction, the edge correction of the (previous, current) block pair, data wait states). Counts are per block: an emulation stopped inside a block
(fault, budget, ``until``) has counted the whole block.
"""
from __future__ import annotations

import bisect
import copy
import ctypes
import weakref

from unicorn import UC_HOOK_BLOCK, UC_HOOK_CODE, UC_HOOK_MEM_READ, UC_HOOK_MEM_WRITE, UC_MEM_WRITE
from unicorn import arm_const as A

from simulator.cycles import blockcache
from simulator.cycles.classify import KIND_COND, KIND_NONE, classify, make_disassembler
from simulator.cycles.divide import divide_cycles, divide_rule
from simulator.cycles.model import BlockCost, block_cost, edge_correction
from simulator.cycles.predictor import CORRECT, Btac
from simulator.cycles.memsys import HOOK_DATA, MemorySpec, NativeMemory, RefMemory
from simulator.cycles.regions import Regions
from simulator.cycles.table import load_table
from simulator.errors import ConfigError, SimulationError


class _AccountingBase:
    """What the native and the Python engines share: decoding, profiling, debug registers."""

    def __init__(self, uc, core: str, regions=(), code_ranges=None, options=(), data_waits: bool = True,
                 memory: MemorySpec | None = None):
        self.uc = uc
        self.core = core
        self.memory_spec = memory if memory is not None and not memory.empty else None
        self.table = load_table(core, tuple(options))
        self.divide_rule = divide_rule(self.table)     # None: divides cost their fixed row
        self.regions = Regions(regions)
        self.code_ranges = list(code_ranges or [])
        self.data_waits = data_waits and self.regions.has_data_waits
        self._md = make_disassembler()
        self._costs: dict[int, BlockCost] = {}
        self._carry: dict[int, tuple] = {}      # see _split_block_cost
        self._edges: dict[tuple, int] = {}      # (previous block, next block) -> edge correction
        self._error: BaseException | None = None
        self.debug = None
        self.attached = False
        self._options = tuple(options)
        # callable(address, size) -> bool, asked before a block never seen is decoded: True
        # stops emulation before the block runs and leaves it uncounted (machine/checks.py).
        self.translation_listener = None
        self._cache_key: str | None = None
        self._cached: dict = {}                 # see use_block_cache
        self._fresh: dict = {}
        self._stored_edges: dict = {}           # edge corrections kept with the cached blocks
        self._from_cache: set = set()           # (address, size) of blocks served by the cache
        self._insns: dict = {}                  # address -> (bytes, Insn): see _disasm
        self._new_insns = False

    # -- decoded blocks kept between runs ----------------------------------------------------
    def use_block_cache(self, image_digest: str) -> None:
        """Reuse the block costs decoded by earlier runs of the image with this digest
        (blockcache.py), and keep this run's for the next."""
        self._cache_key = blockcache.cache_key(image_digest, self.table.name, self._options, self.regions)
        self._cached, self._stored_edges, self._insns = blockcache.load(self._cache_key)

    def save_block_cache(self) -> None:
        if self._cache_key is not None and (self._fresh or self._new_insns or self._new_edges()):
            self._stored_edges.update(self._new_edges())
            self._cached.update(self._fresh)
            self._fresh = {}
            self._new_insns = False
            blockcache.save(self._cache_key, self._cached, self._stored_edges, self._insns)

    def preload(self, checks=None) -> int:
        """Hand the engine the stored blocks before emulation instead of one at a time as it
        meets them (native engine only; here: none). Returns how many."""
        return 0

    def _new_edges(self) -> dict:
        """This run's edge corrections between blocks the cache holds (or will hold)."""
        keep = self._cached.keys() | self._fresh.keys()
        out = {}
        for (pa, ca, taken), corr in self._edges.items():
            p, c = self._costs.get(pa), self._costs.get(ca)
            if p is None or c is None:
                continue
            key = (pa, p.size, ca, c.size, taken)
            if key[:2] in keep and key[2:4] in keep and key not in self._stored_edges:
                out[key] = corr
        return out

    def _cached_cost(self, address: int, size: int) -> BlockCost | None:
        """The stored cost, if the code is unchanged and no cut block is handing this one its
        share of a schedule (_split_block_cost): then the cost is what decoding would give."""
        hit = self._cached.get((address, size))
        if hit is None or address in self._carry or bytes(self.uc.mem_read(address, size)) != hit[0]:
            return None
        code, cost, missing = hit
        self.table.missing.update(missing)
        self._costs[address] = cost
        self._from_cache.add((address, size))
        return cost

    # -- decoding ---------------------------------------------------------------------------
    def decode(self, address: int, size: int) -> BlockCost:
        if self._cached:
            hit = self._cached_cost(address, size)
            if hit is not None:
                return hit
        code = bytes(self.uc.mem_read(address, size)) if size else b""
        insns = self._disasm(code, address)
        cost = self._split_block_cost(insns, address, size)
        split = cost is not None
        if cost is None:
            cost = block_cost(insns, self.table, self.regions, address, size)
        undecoded = size - sum(i.size for i in insns)
        if undecoded > 0:                      # bytes capstone cannot decode: 1 cycle per halfword
            cost.cycles += undecoded // 2
            cost.ninsn += undecoded // 2
        if address in self._costs and self._costs[address].size != size:
            self._edges.clear()                 # retranslated: its pairs are other code now
        self._costs[address] = cost
        if self._cache_key is not None and not split and (address, size) not in self._cached:
            missing = tuple(sorted({i.cls for i in insns if i.cls not in self.table.rows}))
            self._fresh[(address, size)] = (code, cost, missing)
        return cost

    def edge(self, prev: BlockCost, cur: BlockCost, taken: bool) -> int:
        """The correction for ``cur`` running right after ``prev`` (see model.edge_correction),
        computed once per pair."""
        key = (prev.address, cur.address, taken)
        corr = self._edges.get(key)
        if corr is None:
            stored = (prev.address, prev.size, cur.address, cur.size, taken)
            if stored[:2] in self._from_cache and stored[2:4] in self._from_cache and stored in self._stored_edges:
                corr = self._stored_edges[stored]     # both blocks' code checked against memory
            else:
                corr = edge_correction(self._run_of(prev), self._run_of(cur), self.table, taken)
            self._edges[key] = corr
        return corr

    def _run_of(self, cost: BlockCost) -> list:
        """The decoded instructions a block was scheduled with; a block served by the cache
        keeps none, so they are decoded again from its code here (only for a new edge)."""
        if not cost.run and cost.ninsn:
            code = bytes(self.uc.mem_read(cost.address, cost.size))
            cost.run = self._disasm(code, cost.address)
        return cost.run

    def _disasm(self, code: bytes, address: int) -> list:
        """The classified instructions of ``code`` at ``address`` (capstone's linear sweep, which
        stops at the first undecodable bytes). Served from the instructions decoded before (this
        run or, through the block cache, earlier ones) when each is known with the same bytes;
        otherwise capstone decodes the whole range and its instructions are remembered."""
        out, off, known = [], 0, self._insns
        while off < len(code):
            hit = known.get(address + off)
            if hit is None or code[off:off + hit[1].size] != hit[0]:
                break
            out.append(hit[1])
            off += hit[1].size
        else:
            return out
        out = [classify(i) for i in self._md.disasm(code, address)]
        for ins in out:
            self._remember(code[ins.address - address:ins.address - address + ins.size], ins)
        return out

    def _remember(self, code: bytes, ins) -> None:
        if self._cache_key is not None:
            self._insns[ins.address] = (code, ins)
            self._new_insns = True

    def _split_block_cost(self, insns, address: int, size: int) -> BlockCost | None:
        """Cost of a translated block that is part of a longer straight-line run.

        Unicorn cuts a translation block where a 1 KB guest page ends (and at its own size
        limit), not only at branches. Scheduling each piece on an empty pipeline would charge
        the cut (lost M7 pairing, repeated latency stalls) and make cycles depend on where the
        linker happened to place a loop: measured on ResNet-8, a conv MAC loop straddling a
        page boundary cost 8% more for the same instructions. So a block that ends without a
        branch is scheduled together with the instructions that follow it up to the next
        branch, and each piece is charged its share of that one schedule: the first piece the
        cycles until the continuation starts, the continuation the rest. Returns None for a
        block that is a whole basic block (the common case)."""
        carried = self._carry.pop(address, None)
        if carried is None and (not insns or not self._cut(insns[-1])):
            return None
        if carried is None:
            run = insns + self._read_ahead(address + size)
            run_size = sum(i.size for i in run)
            full, first = block_cost(run, self.table, self.regions, address, run_size), 0
        else:
            full, first = carried
        n = len(insns)
        if first + n > full.ninsn or full.addresses[first:first + n] != [i.address for i in insns]:
            return None                         # not the code the schedule was made for
        start = full.prefix[first]
        if first + n < full.ninsn:              # cut again: carry the schedule on
            self._carry[address + size] = (full, first + n)
            end = full.prefix[first + n]
            cost = BlockCost(address, size, n, end - start, [p - start for p in full.prefix[first:first + n]],
                             full.addresses[first:first + n])
            cost.run = full.run[first:]         # as the target of a branch: the run it starts
            return cost
        cost = copy.copy(full)
        cost.address, cost.size, cost.ninsn = address, size, n
        cost.cycles = full.cycles - start
        cost.prefix = [p - start for p in full.prefix[first:]]
        cost.addresses = full.addresses[first:]
        if first:
            cost.entry_pen = 0                  # entered by falling through, never by a branch
        return cost

    @staticmethod
    def _cut(last) -> bool:
        return last.kind == KIND_NONE and last.cls not in ("exception", "system", "barrier")

    def _read_ahead(self, address: int, limit: int = 64) -> list:
        """Instructions from ``address`` up to and including the next branch (at most ``limit``)."""
        out = []
        while len(out) < limit:
            try:
                code = bytes(self.uc.mem_read(address, 4))
            except Exception:            # noqa: BLE001 - end of mapped code
                break
            hit = self._insns.get(address)
            if hit is not None and code[:hit[1].size] == hit[0]:
                ins = hit[1]
            else:
                decoded = list(self._md.disasm(code, address, count=1))
                if not decoded:
                    break
                ins = classify(decoded[0])
                self._remember(code[:ins.size], ins)
            out.append(ins)
            address += ins.size
            if not self._cut(ins):
                break
        return out

    def _wait_regions(self):
        """Regions needing a data-access hook. Each gets its own ranged hook: accesses outside
        every hooked range keep Unicorn's fast path (measured: benchmarks/sim_speed.py)."""
        if not self.data_waits:
            return []
        return [r for r in self.regions if r.read_wait or r.write_wait]

    def block_cost_at(self, address: int) -> BlockCost | None:
        return self._costs.get(address)

    def check(self) -> None:
        """Raise the error a hook met while decoding (hooks cannot raise through Unicorn)."""
        if self._error is not None:
            err, self._error = self._error, None
            raise SimulationError(f"cycle accounting failed: {err}") from err

    # -- profiling --------------------------------------------------------------------------
    def profile(self, symbols) -> dict:
        """``symbols``: iterable of ``(name, start, size)``. Returns ``{name: (cycles, instructions)}``,
        each block's cycles and instructions attributed to the function containing its start address;
        blocks in no symbol are summed under ``"<other>"``."""
        table = sorted((int(s), int(n), str(name)) for name, s, n in symbols)
        starts = [t[0] for t in table]
        out: dict[str, list] = {}
        for address, cycles, insns in self._block_totals():
            if not insns and not cycles:
                continue
            k = bisect.bisect_right(starts, address & ~1) - 1
            name = "<other>"
            if k >= 0 and table[k][0] <= address < table[k][0] + max(table[k][1], 1):
                name = table[k][2]
            acc = out.setdefault(name, [0, 0])
            acc[0] += cycles
            acc[1] += insns
        return {name: (c, n) for name, (c, n) in out.items()}

    # -- DWT / SysTick ----------------------------------------------------------------------
    def map_debug_registers(self):
        """Map DWT (0xE0001000 page) and the System Control Space page (0xE000E000: SysTick, SCB,
        DEMCR) as MMIO backed by this accounting. Returns the :class:`DebugRegisters`."""
        from simulator.cycles.debugregs import DebugRegisters
        if self.debug is None:
            self.debug = DebugRegisters(self)
            self.debug.map(self.uc)
        return self.debug

    def cycles_at(self, access_address: int | None = None) -> int:
        """Cycles up to the instruction now accessing ``access_address`` (mid-block: block start +
        that instruction's static prefix + data waits so far). Without an address: block end."""
        base, mem, addr = self._block_position()
        cost = self._costs.get(addr)
        if cost is None:
            return self.cycles
        k = self.debug.instruction_index(cost, access_address) if self.debug and access_address is not None else None
        if k is None:
            return self.cycles
        return base + cost.prefix[k] + mem


class Accounting(_AccountingBase):
    """Cycle accounting with the per-block work in C (``native/accounting.c``)."""

    def __init__(self, uc, core: str, regions=(), code_ranges=None, options=(), data_waits: bool = True,
                 memory: MemorySpec | None = None):
        super().__init__(uc, core, regions, code_ranges, options, data_waits, memory)
        from simulator.cycles import native
        self._native = native
        self._lib = native.library()
        self._st = self._lib.mc_new()
        self._c = ctypes.cast(self._st, ctypes.POINTER(native.Counters)).contents
        self._miss_cb = native.MISS_FN(self._on_miss)
        self._edge_cb = native.EDGE_FN(self._on_edge)
        uclib = _uclib()
        self._stop_cb = native.STOP_FN(ctypes.cast(uclib.uc_emu_stop, ctypes.c_void_p).value)
        self._lib.mc_set_callbacks(self._st, self._miss_cb, self._edge_cb, self._stop_cb)
        p, btac = self.table.params, Btac(self.table.params)
        if self._lib.mc_set_predictor(self._st, int(p.get("branch_model") == "btac"), btac.sets * btac.ways,
                                      btac.ways, btac.predicted_taken, btac.static_taken_penalty,
                                      int(btac.backward_taken), int(btac.allocate_not_taken)) != 0:
            raise ConfigError(f"timing table {self.table.name}.toml: a BTAC of {btac.sets * btac.ways} entries "
                              f"in {btac.ways} ways does not fit the native predictor")
        for r in self.regions:
            if r.read_wait or r.write_wait:
                self._lib.mc_add_region(self._st, r.start, r.size, r.read_wait, r.write_wait)
        self._hooks: list[int] = []
        self._preloaded: dict[int, tuple] = {}    # address -> missing classes, see preload
        self._entry_checks = None                   # see use_entry_checks
        # The C state must outlive every hook that points at it: free it when the engine dies,
        # and keep this object (its ctypes callbacks) alive as long as the engine.
        self._finalizer = weakref.finalize(uc, self._lib.mc_free, self._st)
        self.memory = None
        if self.memory_spec is not None:
            self.memory = NativeMemory(self._lib, self.memory_spec)
            self._lib.ms_set_accounting(self.memory.st, self._st)
            weakref.finalize(uc, self.memory.free)
        uc._mcusim_accounting = self

    def attach(self):
        if self.attached:
            return self
        self._hooks.append(_native_hook(self.uc, UC_HOOK_BLOCK, self._lib.mc_block_hook, self._st))
        for r in self._wait_regions():
            self._hooks.append(_native_hook(self.uc, UC_HOOK_MEM_READ | UC_HOOK_MEM_WRITE,
                                            self._lib.mc_mem_hook, self._st, r.start, r.end - 1))
        if self.memory is not None:
            self._lib.mc_set_memsys(self._st, self.memory.st)
            for r in self.memory_spec.hooked_ranges():
                self._hooks.append(_native_hook(self.uc, HOOK_DATA, self._lib.ms_mem_hook, self.memory.st,
                                                r.start, r.end - 1))
        self.attached = True
        return self

    def detach(self) -> None:
        uclib = _uclib()
        for h in self._hooks:
            uclib.uc_hook_del(self.uc._uch, h)
        self._hooks.clear()
        if self.memory is not None:
            self._lib.mc_set_memsys(self._st, None)
        self.attached = False

    def close(self) -> None:
        """Detach and free the native state now (otherwise freed with the Unicorn engine)."""
        self.detach()
        self._c = self._native.Counters.from_buffer_copy(self._c)   # keep the final counts readable
        if self.memory is not None:
            self.memory.free()
        self._finalizer()

    # -- blocks stored by earlier runs, entered before emulation -----------------------------
    def preload(self, checks=None) -> int:
        """Enter the stored blocks (use_block_cache) whose code lies in memory the guest cannot
        write, and the stored edges between them, into the C tables now: a run of a stored ELF
        then makes no Python callback for them (ResNet-8: ~600 misses). Each is what the miss
        would have decoded (same bytes, checked now; read-only, so still so when it runs).
        ``checks`` (machine/checks.NativeChecks) hooks their check sites now rather than on
        first translation. Returns how many blocks were entered."""
        from unicorn import UC_PROT_WRITE
        readonly = [(b, e) for b, e, perms in self.uc.mem_regions() if not perms & UC_PROT_WRITE]
        b = self._native.Block()
        for (address, size), (code, cost, missing) in self._cached.items():
            if (address in self._costs or not any(lo <= address and address + size - 1 <= hi for lo, hi in readonly)
                    or bytes(self.uc.mem_read(address, size)) != code):
                continue
            b.addr, b.size, b.ninsn, b.cycles, b.kind = address, size, cost.ninsn, cost.cycles, cost.kind
            b.branch_pc, b.branch_target, b.taken_pen, b.nottaken_pen = (cost.branch_pc, cost.branch_target,
                                                                        cost.taken_pen, cost.nottaken_pen)
            b.entry_pen, b.mispredict_pen = cost.entry_pen, cost.mispredict_pen
            if checks is not None:
                checks.hook_sites(address, size)
            b.entry_checks = int(self._entry_checks is not None and self._entry_checks.has_entry_checks(address))
            if self._lib.mc_preload(self._st, ctypes.byref(b)) != 0:
                raise MemoryError("cycle accounting: cannot preload the stored blocks")
            self._costs[address] = cost
            self._from_cache.add((address, size))
            self._preloaded[address] = missing
        for (pa, ps, ca, cs, _taken), corr in self._stored_edges.items():
            if (pa, ps) in self._from_cache and (ca, cs) in self._from_cache and pa in self._preloaded \
                    and ca in self._preloaded and self._lib.mc_preload_edge(self._st, pa, ca, corr) != 0:
                raise MemoryError("cycle accounting: cannot preload the stored edges")
        return len(self._preloaded)

    def _forget_preloaded(self, address: int) -> None:
        """A cut block hands the next one, ``address``, its share of one schedule
        (_split_block_cost). Had that block not been preloaded, its first miss would decode
        it so: if it has not run yet, it is dropped (and its stored edges) to be decoded then."""
        forgot = self._lib.mc_preloaded_unrun(self._st, address, 1)
        if forgot < 0:
            raise MemoryError("cycle accounting: cannot drop a preloaded block")
        if forgot:
            del self._preloaded[address]
            self._from_cache.discard((address, self._costs.pop(address).size))

    def _settle_preloaded(self) -> None:
        """The untimed classes of the preloaded blocks that ran (a miss reports them as it decodes)."""
        for address, missing in self._preloaded.items():
            if missing and not self._lib.mc_preloaded_unrun(self._st, address, 0):
                self.table.missing.update(missing)

    def save_block_cache(self) -> None:
        self._settle_preloaded()
        super().save_block_cache()

    def _on_miss(self, address, size, out) -> int:
        if self.translation_listener is not None and self.translation_listener(address, size):
            return 1                            # C stops before the block runs, uncounted
        try:
            cost = self.decode(address, size)
            if address + size in self._carry and address + size in self._preloaded:
                self._forget_preloaded(address + size)
        except BaseException as err:  # noqa: BLE001 - reported by check()
            self._error = err
            return 1
        b = out.contents
        b.entry_checks = int(self._entry_checks is not None and self._entry_checks.has_entry_checks(address))
        b.ninsn, b.cycles, b.kind, b.branch_pc = cost.ninsn, cost.cycles, cost.kind, cost.branch_pc
        b.branch_target = cost.branch_target
        b.taken_pen, b.nottaken_pen = cost.taken_pen, cost.nottaken_pen
        b.entry_pen, b.mispredict_pen = cost.entry_pen, cost.mispredict_pen
        return 0

    def _on_edge(self, prev_addr, cur_addr, taken, out) -> int:
        try:
            out[0] = self.edge(self._costs[prev_addr], self._costs[cur_addr], bool(taken))
        except BaseException as err:  # noqa: BLE001 - reported by check()
            self._error = err
            return 1
        return 0

    @property
    def cycles(self) -> int:
        return self._c.cycles

    @property
    def instructions(self) -> int:
        return self._c.instructions

    @property
    def budget_exceeded(self) -> bool:
        return bool(self._c.budget_exceeded)

    @property
    def mispredicts(self) -> int:
        return self._c.mispredicts

    def set_budget(self, max_instructions: int | None) -> None:
        self._c.budget = int(max_instructions or 0)
        self._c.budget_exceeded = 0

    def reset(self) -> None:
        self._lib.mc_reset(self._st, 0)
        if self.memory is not None:
            self.memory.reset()
        if self.debug:
            self.debug.reset()

    def use_entry_checks(self, checks) -> None:
        """Let ``checks`` (simulator.machine.checks.NativeChecks) check alignment sites when
        their block starts, from this block hook (checks.c ck_block_entry)."""
        self._entry_checks = checks
        self._lib.mc_set_checks(self._st, checks.state)

    def time_divides(self, checks) -> None:
        """Apply the core's data-dependent divide rule from the native checks hook, which
        already stops at every divide (``checks``: simulator.machine.checks.NativeChecks)."""
        if self.divide_rule is not None:
            checks.set_divide_timing(self._st, self.divide_rule)

    def memory_counters(self) -> dict | None:
        """I/D-cache hits and misses, stall cycles, unaligned accesses so far (None: no memory system)."""
        return None if self.memory is None else self.memory.counters()

    def _block_position(self):
        mem = self._c.block_mem        # a signed count in a uint64: a fast divide subtracts
        return self._c.block_base, mem - (1 << 64) if mem >> 63 else mem, self._c.cur_addr

    def _block_totals(self):
        n = self._lib.mc_block_count(self._st)
        buf = (self._native.Block * max(n, 1))()
        got = self._lib.mc_blocks(self._st, buf, n)
        return [(b.addr, b.cycles_acc, b.insns) for b in buf[:got]]


class PyAccounting(_AccountingBase):
    """The same accounting in Python hooks: slow, for debugging and as the native engine's oracle."""

    def __init__(self, uc, core: str, regions=(), code_ranges=None, options=(), data_waits: bool = True,
                 memory: MemorySpec | None = None):
        super().__init__(uc, core, regions, code_ranges, options, data_waits, memory)
        self.memory = RefMemory(self.memory_spec) if self.memory_spec is not None else None
        p = self.table.params
        self._predictor = Btac(p) if p.get("branch_model") == "btac" else None
        self._hooks: list[int] = []
        self.budget = 0
        self.reset()

    def attach(self):
        if not self.attached:
            self._hooks.append(self.uc.hook_add(UC_HOOK_BLOCK, self._on_block))
            for r in self._wait_regions():
                self._hooks.append(self.uc.hook_add(UC_HOOK_MEM_READ | UC_HOOK_MEM_WRITE, self._on_mem,
                                                    begin=r.start, end=r.end - 1))
            for r in self.memory_spec.hooked_ranges() if self.memory is not None else ():
                self._hooks.append(self.uc.hook_add(HOOK_DATA, self._on_memsys, begin=r.start, end=r.end - 1))
            self.attached = True
        return self

    def detach(self) -> None:
        for h in self._hooks:
            self.uc.hook_del(h)
        self._hooks.clear()
        self.attached = False

    def set_budget(self, max_instructions: int | None) -> None:
        self.budget = int(max_instructions or 0)
        self.budget_exceeded = False

    def reset(self) -> None:
        self.cycles = self.instructions = 0
        self.budget_exceeded = False
        self._totals: dict[int, list] = {}     # address -> [cycles, instructions]
        self._prev: BlockCost | None = None
        self._base = self._mem = self._cur = 0
        if self._predictor:
            self._predictor.reset()
        if self.memory is not None:
            self.memory.reset()
        if self.debug:
            self.debug.reset()

    def memory_counters(self) -> dict | None:
        return None if self.memory is None else self.memory.counters()

    def _charge(self, stall: int) -> None:
        """Mirror of mc_charge() in native/accounting.c."""
        if stall:
            self.cycles += stall
            self._mem += stall
            self._totals[self._cur][0] += stall

    def _on_block(self, uc, address, size, _user):
        cost = self._costs.get(address)
        if cost is None or cost.size != size:
            if self.translation_listener is not None and self.translation_listener(address, size):
                uc.emu_stop()
                return
            try:
                cost = self.decode(address, size)
            except BaseException as err:  # noqa: BLE001 - reported by check()
                self._error = err
                uc.emu_stop()
                return
        prev = self._prev
        totals = self._totals.setdefault(address, [0, 0])
        if prev is not None and prev.kind != KIND_NONE:
            taken = prev.kind != KIND_COND or address != prev.fallthrough
            flushed = False
            if self._predictor:
                outcome = self._predictor.predict(prev.kind, prev.branch_pc, prev.branch_target, taken, address)
                pen = self._predictor.penalty(outcome, taken, prev.mispredict_pen)
                flushed = outcome != CORRECT
            else:
                pen = prev.taken_pen + cost.entry_pen if taken else prev.nottaken_pen
            self.cycles += pen
            self._totals[prev.address][0] += pen
            if not flushed:
                corr = self.edge(prev, cost, taken)
                self.cycles += corr
                totals[0] += corr
        self._base, self._mem, self._cur = self.cycles, 0, address
        self.cycles += cost.cycles
        self.instructions += cost.ninsn
        totals[0] += cost.cycles
        totals[1] += cost.ninsn
        self._prev = cost
        if self.memory is not None:
            self._charge(self.memory.fetch(address, size))
        if self.budget and self.instructions > self.budget and not self.budget_exceeded:
            self.budget_exceeded = True
            uc.emu_stop()

    def time_divides(self, checks) -> None:
        """Apply the core's data-dependent divide rule in a Python code hook on each of
        ``checks.divide_sites`` (the oracle of the native path in checks.c)."""
        if self.divide_rule is None:
            return
        for addr in checks.divide_sites:
            self._hooks.append(self.uc.hook_add(UC_HOOK_CODE, self._on_divide, None, addr, addr))

    def _on_divide(self, uc, address, size, _user):
        if size != 4:
            return
        hw1, hw2 = (int.from_bytes(uc.mem_read(address + k, 2), "little") for k in (0, 2))
        if (hw1 & 0xFFD0) != 0xFB90 or (hw2 & 0xF0F0) != 0xF0F0:     # SDIV/UDIV T1, as checks.c
            return
        n, d = uc.reg_read(_GPR[hw1 & 0xF]), uc.reg_read(_GPR[hw2 & 0xF])
        extra = divide_cycles(n, d, not hw1 & 0x20, self.divide_rule) - self.divide_rule.static
        self.cycles += extra
        self._mem += extra
        self._totals[self._cur][0] += extra

    @property
    def mispredicts(self) -> int:
        return self._predictor.mispredicts if self._predictor else 0

    def _on_mem(self, uc, access, address, size, value, _user):
        wait = self.regions.data_wait(address, access == UC_MEM_WRITE)
        if wait:
            self.cycles += wait
            self._mem += wait
            self._totals[self._cur][0] += wait

    def _on_memsys(self, uc, access, address, size, value, _user):
        self._charge(self.memory.data(address, size, access == UC_MEM_WRITE))

    def _block_position(self):
        return self._base, self._mem, self._cur

    def _block_totals(self):
        return [(a, c, n) for a, (c, n) in self._totals.items()]


_GPR = [getattr(A, f"UC_ARM_REG_R{i}") for i in range(13)] + [A.UC_ARM_REG_SP, A.UC_ARM_REG_LR, A.UC_ARM_REG_PC]


def _uclib():
    from unicorn.unicorn_py3 import unicorn as _u
    return _u.uclib


def _native_hook(uc, htype: int, cfunc, state, begin: int = 1, end: int = 0) -> int:
    """Register a C function as a Unicorn hook on ``uc`` (begin=1, end=0: everywhere)."""
    from unicorn.unicorn_py3.unicorn import UcError, uc_hook_h
    handle = uc_hook_h()
    fptr = ctypes.cast(cfunc, ctypes.c_void_p)
    status = _uclib().uc_hook_add(uc._uch, ctypes.byref(handle), htype, fptr, ctypes.c_void_p(state),
                                  ctypes.c_uint64(begin), ctypes.c_uint64(end))
    if status != 0:
        raise UcError(status)
    return handle.value
