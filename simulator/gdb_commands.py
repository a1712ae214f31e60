"""The GDB stub's packet handlers, as dispatch tables (the way pyOCD's gdbserver keeps
``packet -> handler``): the command character picks a handler; q, Q and v packets are looked up
again by name. A handler gets the rest of the payload and returns the reply (None ends the
session); anything malformed raises PacketError, which :meth:`GdbCommands.handle` answers with
an ``E`` reply. Mixed into :class:`simulator.gdbserver.GdbServer`, which supplies the target
(``uc``, ``reg_names``, ``breakpoints``, ``resume``, ``stop_reply`` ...)."""
from __future__ import annotations

from unicorn import UC_HOOK_CODE, UcError
from unicorn import arm_const as A

from .gdb_packets import (MAX_MEMORY_READ, PACKET_SIZE, SIGTRAP, PacketError, escape_binary, hex_bytes,
                          hex_field, split_fields)


class GdbCommands:
    def _tables(self) -> None:
        self._commands = {
            "?": self._cmd_status, "g": self._cmd_read_registers, "G": self._cmd_write_registers,
            "p": self._cmd_read_register, "P": self._cmd_write_register,
            "m": self._cmd_read_memory, "M": self._cmd_write_memory,
            "c": self._cmd_continue, "s": self._cmd_step, "C": self._cmd_continue_signal,
            "S": self._cmd_step_signal, "Z": self._cmd_insert_break, "z": self._cmd_remove_break,
            "H": self._cmd_ok, "T": self._cmd_ok, "k": self._cmd_k, "D": self._cmd_detach,
            "q": self._cmd_query, "Q": self._cmd_set, "v": self._cmd_verbose,
        }
        self._queries = {
            "Supported": lambda _a: (f"PacketSize={PACKET_SIZE:x};qXfer:features:read+;"
                                     "QStartNoAckMode+;vContSupported+"),
            "Attached": lambda _a: "1", "C": lambda _a: "QC01", "fThreadInfo": lambda _a: "m01",
            "sThreadInfo": lambda _a: "l", "Symbol": self._cmd_ok, "Xfer": self._cmd_xfer,
        }
        self._verbose = {"Cont?": lambda _a: "vCont;c;C;s;S", "Cont": self._cmd_vcont,
                         "Kill": self._cmd_vkill}

    def handle(self, packet: str) -> str | None:
        """The reply to one packet; None ends the session (k, D, vKill). Never raises for any
        payload: a malformed one is answered with an ``E`` reply, an unknown one with ""."""
        handler = self._commands.get(packet[:1])
        if handler is None:
            return ""                              # unsupported: gdb falls back or does without
        try:
            return handler(packet[1:])
        except PacketError as err:
            return err.reply

    @staticmethod
    def _named(table: dict, args: str, seps: str):
        """(handler, rest) for a q/Q/v packet: the name runs up to the first separator; rest is
        None when there is no separator ("vKill" and "vKill;" are different packets)."""
        cut = min((i for i in (args.find(c) for c in seps) if i >= 0), default=len(args))
        name, rest = args[:cut], (args[cut + 1:] if cut < len(args) else None)
        if name + args[cut:cut + 1] in table:       # "vCont?" is its own name
            return table[name + args[cut:cut + 1]], rest
        return table.get(name), rest

    def _cmd_query(self, args: str) -> str:
        handler, rest = self._named(self._queries, args, ":,")
        return handler(rest) if handler else ""

    def _cmd_set(self, args: str) -> str:
        if args == "StartNoAckMode":
            self._ack_off_pending = True
            return "OK"
        return ""

    def _cmd_verbose(self, args: str) -> str | None:
        handler, rest = self._named(self._verbose, args, ";?")
        return handler(rest) if handler else ""

    def _cmd_ok(self, _args: str) -> str:
        return "OK"

    def _cmd_status(self, _args: str) -> str:
        return "T%02xthread:01;" % SIGTRAP if self.final is None else self.stop_reply(self.final)

    def _cmd_k(self, args: str) -> None:
        if args:
            raise PacketError(f"k takes no arguments, got {args[:16]!r}")
        return self._cmd_kill(args)

    def _cmd_vkill(self, args: str | None) -> None:
        if args is not None:
            hex_field(args, "vKill process id")       # vKill;pid
        return self._cmd_kill("")

    def _cmd_kill(self, _args: str) -> None:
        self.killed = self.final is None
        return None

    def _cmd_detach(self, args: str) -> None:
        if args:
            if args[:1] != ";":
                raise PacketError(f"D takes no arguments but ;pid, got {args[:16]!r}")
            hex_field(args[1:], "D process id")
        self.detached = True
        return None

    # resuming: c [addr], s [addr], C sig[;addr], S sig[;addr], vCont;action[:thread][;...]
    def _resume_at(self, addr: str, step: bool) -> str:
        if addr:
            self.uc.reg_write(A.UC_ARM_REG_PC, hex_field(addr, "resume address") | 1)
        return self.stop_reply(self.resume(step=step))

    def _cmd_continue(self, args: str) -> str:
        return self._resume_at(args, step=False)

    def _cmd_step(self, args: str) -> str:
        return self._resume_at(args, step=True)

    def _with_signal(self, args: str, step: bool) -> str:
        sig, _, addr = args.partition(";")
        hex_field(sig, "signal", 2)               # the signal is delivered nowhere: no OS
        return self._resume_at(addr, step)

    def _cmd_continue_signal(self, args: str) -> str:
        return self._with_signal(args, step=False)

    def _cmd_step_signal(self, args: str) -> str:
        return self._with_signal(args, step=True)

    def _cmd_vcont(self, args: str | None) -> str:
        action = (args or "").split(";", 1)[0].split(":", 1)[0]
        if action[:1] not in ("c", "s", "C", "S") or (action[:1] in "cs" and len(action) > 1):
            raise PacketError(f"vCont: unknown action {action[:8]!r}")
        if action[:1] in "CS":
            hex_field(action[1:], "vCont signal", 2)
        return self.stop_reply(self.resume(step=action[:1] in "sS"))

    # registers: g, G XX..., p n, P n=XX...
    def _register_number(self, text: str) -> int:
        n = hex_field(text, "register number")
        if n >= len(self.reg_names):
            raise PacketError(f"no register {n}", code=0)
        return n

    def _cmd_read_registers(self, _args: str) -> str:
        return b"".join(self.read_register(i) for i in range(len(self.reg_names))).hex()

    def _cmd_write_registers(self, args: str) -> str:
        data, offset = hex_bytes(args, "G"), 0
        if len(data) > sum(self._reg_sizes()):
            raise PacketError("G: more data than registers")
        for i, size in enumerate(self._reg_sizes()):
            if offset + size <= len(data):
                self.write_register(i, data[offset:offset + size])
            offset += size
        return "OK"

    def _cmd_read_register(self, args: str) -> str:
        return self.read_register(self._register_number(args)).hex()

    def _cmd_write_register(self, args: str) -> str:
        reg, value = split_fields(args, "=", 2, "P")
        n = self._register_number(reg)
        data = hex_bytes(value, "P value")
        if len(data) != self._reg_sizes()[n]:
            raise PacketError(f"P: register {n} takes {self._reg_sizes()[n]} bytes, got {len(data)}")
        self.write_register(n, data)
        return "OK"

    # memory: m addr,length and M addr,length:XX...
    @staticmethod
    def _span(text: str, what: str, limit: int) -> tuple[int, int]:
        addr, length = (hex_field(f, what) for f in split_fields(text, ",", 2, what))
        if length > limit:
            raise PacketError(f"{what}: {length} bytes is more than {limit} at once")
        if addr + length > 1 << 32:
            raise PacketError(f"{what}: runs past the 32-bit address space", code=0x0E)
        return addr, length

    def _cmd_read_memory(self, args: str) -> str:
        addr, length = self._span(args, "m", MAX_MEMORY_READ)
        try:
            return bytes(self.uc.mem_read(addr, length)).hex()
        except UcError:
            return "E14"

    def _cmd_write_memory(self, args: str) -> str:
        where, data = split_fields(args, ":", 2, "M")
        addr, length = self._span(where, "M", PACKET_SIZE)
        data = hex_bytes(data, "M data")
        if len(data) != length:
            raise PacketError(f"M: {length} bytes announced, {len(data)} sent")
        try:
            self.uc.mem_write(addr, data)
        except UcError:
            return "E14"
        return "OK"

    # breakpoints: Z0/Z1 and z0/z1 type,addr,kind (both kinds are code hooks on the address)
    def _breakpoint(self, args: str) -> int | None:
        kind, addr, _size = split_fields(args, ",", 3, "Z")
        hex_field(_size, "breakpoint kind")
        if kind not in ("0", "1"):
            return None                           # watchpoints: unsupported, reply ""
        return hex_field(addr, "breakpoint address") & ~1

    def _cmd_insert_break(self, args: str) -> str:
        addr = self._breakpoint(args)
        if addr is None:
            return ""
        if addr not in self.breakpoints:
            self.breakpoints[addr] = self.uc.hook_add(UC_HOOK_CODE, self._on_break, begin=addr, end=addr)
        return "OK"

    def _cmd_remove_break(self, args: str) -> str:
        addr = self._breakpoint(args)
        if addr is None:
            return ""
        if addr in self.breakpoints:
            self.uc.hook_del(self.breakpoints.pop(addr))
        return "OK"

    def _cmd_xfer(self, args: str | None) -> str:
        obj, op, annex, span = split_fields(args or "", ":", 4, "qXfer")
        if (obj, op) != ("features", "read"):
            return ""
        if annex != "target.xml":
            raise PacketError(f"qXfer: no annex {annex[:32]!r}", code=0)
        offset, length = (hex_field(f, "qXfer") for f in split_fields(span, ",", 2, "qXfer"))
        length = min(length, MAX_MEMORY_READ)       # escaping at most doubles it: fits a packet
        chunk = self.xml[offset:offset + length]
        more = offset + length < len(self.xml)
        return ("m" if more else "l") + escape_binary(chunk).decode("latin-1")
