"""A GDB remote server on the emulated core: ``gdb-multiarch -ex 'target remote :PORT'``.

    from simulator.gdbserver import serve
    result = serve(firmware, 3333)       # waits for gdb on 127.0.0.1:3333, runs main() under it

The firmware starts halted at Reset_Handler. Semihosting output is echoed to stdout as it is
produced. When the program exits gdb sees "exited with code N" and serve() returns the RunResult;
``detach`` lets it run to the end; ``kill`` ends it (RunResult.exit_code None); a fault stops it
with a signal (gdb can inspect it) and serve() then raises the located fault, as Firmware.run does.

The protocol subset (GDB manual, "Remote Serial Protocol"; packets $data#checksum, '+' acks):
qSupported, QStartNoAckMode, ?, g/G, p/P, m/M, c/s, vCont?/vCont;c/s, Z0/z0 and Z1/z1 (both as
unicorn code hooks on the address), qXfer:features:read:target.xml, k/vKill, D, qAttached, H, T,
qC, qfThreadInfo/qsThreadInfo, and ^C (0x03) while running. The target description uses the
standard feature ``org.gnu.gdb.arm.m-profile`` (r0-r12, sp, lr, pc, xpsr) plus
``org.gnu.gdb.arm.vfp`` (d0-d15, fpscr) on cores with an FPU (GDB manual, "ARM Features").

Written for mcusim rather than using the ``udbserver`` package: udbserver 0.3.0 loads with
unicorn 2.1.4 here, but it listens on 0.0.0.0 (not loopback only) and describes an A-profile
core (cpsr), not the M-profile one gdb needs to unwind Cortex-M frames.
"""
from __future__ import annotations

import select
import socket
import struct
import sys
from dataclasses import dataclass, field

from unicorn import UC_HOOK_BLOCK, UC_HOOK_CODE, UcError
from unicorn import arm_const as A

from .errors import ConfigError
from .machine.emulator import Stop

SIGINT, SIGILL, SIGTRAP, SIGSEGV, SIGXCPU = 2, 4, 5, 11, 24      # GDB's signal numbers
POLL_EVERY_BLOCKS = 4096          # how often a running target looks for ^C from gdb
PACKET_SIZE = 0x4000
CORE_REGS = [f"r{i}" for i in range(13)] + ["sp", "lr", "pc", "xpsr"]
FPU_REGS = [f"d{i}" for i in range(16)] + ["fpscr"]
_FAULT_SIGNALS = {"memory": SIGSEGV, "undefined": SIGILL, "nocp": SIGILL, "unaligned": SIGSEGV}


def _uc_reg(name: str) -> int:
    return getattr(A, f"UC_ARM_REG_{name.upper()}")


def target_xml(has_fpu: bool) -> str:
    """The target description gdb reads with qXfer:features:read:target.xml."""
    core = "".join(f'<reg name="{n}" bitsize="32"'
                   + {"sp": ' type="data_ptr"', "pc": ' type="code_ptr"'}.get(n, ' type="int"' if n != "xpsr" else "")
                   + "/>" for n in CORE_REGS)
    xml = ('<?xml version="1.0"?><target version="1.0"><architecture>arm</architecture>'
           f'<feature name="org.gnu.gdb.arm.m-profile">{core}</feature>')
    if has_fpu:
        vfp = "".join(f'<reg name="d{i}" bitsize="64" type="ieee_double"/>' for i in range(16))
        xml += f'<feature name="org.gnu.gdb.arm.vfp">{vfp}<reg name="fpscr" bitsize="32" type="int" group="float"/></feature>'
    return xml + "</target>"


def checksum(payload: bytes) -> int:
    return sum(payload) & 0xFF


def frame(payload: bytes) -> bytes:
    return b"$" + payload + b"#" + b"%02x" % checksum(payload)


def escape_binary(data: bytes) -> bytes:
    """qXfer replies are binary data: '#', '$', '}' and '*' are sent as '}' then the byte XOR 0x20."""
    out = bytearray()
    for b in data:
        if b in b"#$}*":
            out += bytes([0x7D, b ^ 0x20])
        else:
            out.append(b)
    return bytes(out)


@dataclass
class _Run:
    """What the last resume did."""
    stop: Stop | None = None
    trapped: bool = False
    interrupted: bool = False
    stepped_once: bool = False
    skip_break_at: int | None = None
    hooks: list = field(default_factory=list)


class GdbServer:
    """One debug session of one firmware's main(). ``port=0`` picks a free port (see ``.port``)."""

    def __init__(self, firmware, port: int = 0, host: str = "127.0.0.1", echo=None):
        self.fw = firmware
        self.emu = firmware._emulator()
        self.uc = self.emu.uc
        self.has_fpu = firmware.board.core.has_fpu
        self.reg_names = CORE_REGS + (FPU_REGS if self.has_fpu else [])
        self.xml = target_xml(self.has_fpu).encode()
        self.echo = sys.stdout if echo is None else echo
        self.breakpoints: dict[int, int] = {}           # address -> unicorn hook handle
        self.final: Stop | None = None                   # set once the program exited or faulted
        self.killed = False
        self._printed = 0
        self._run = _Run()
        self._ack = True
        self._buf = b""
        self._last_sent = b""
        self.conn: socket.socket | None = None
        try:
            self.listener = socket.create_server((host, port))
        except OSError as exc:
            raise ConfigError(f"--gdb {port}: cannot listen on {host}:{port}: {exc.strerror or exc}") from None
        self.port = self.listener.getsockname()[1]
        self.uc.reg_write(A.UC_ARM_REG_SP, firmware.layout.stack_top)
        self.uc.reg_write(A.UC_ARM_REG_PC, firmware.symbol_address("Reset_Handler") | 1)

    # -- running the target ---------------------------------------------------------------------
    def _on_break(self, uc, addr, size, _user):
        run = self._run
        if run.skip_break_at == addr:          # resuming from this breakpoint: execute it once
            run.skip_break_at = None
            return
        if addr in self.breakpoints:
            run.trapped = True
            uc.emu_stop()

    def _on_step(self, uc, addr, size, _user):
        run = self._run
        if run.stepped_once:
            run.trapped = True
            uc.emu_stop()
        run.stepped_once = True

    def _on_block_poll(self, uc, addr, size, user):
        user[0] += 1
        if user[0] % POLL_EVERY_BLOCKS == 0 and self.conn is not None:
            if select.select([self.conn], [], [], 0)[0]:
                data = self.conn.recv(4096, socket.MSG_PEEK)
                if b"\x03" in data:
                    self._buf += self.conn.recv(len(data))
                    self._buf = self._buf.replace(b"\x03", b"", 1)
                    self._run.interrupted = True
                    uc.emu_stop()

    def resume(self, step: bool = False, breakpoints: bool = True) -> Stop:
        """Continue (or execute one instruction) from the current PC; returns why it stopped."""
        if self.final is not None:
            return self.final
        pc = self.uc.reg_read(A.UC_ARM_REG_PC) & ~1
        self._run = run = _Run(skip_break_at=pc if pc in self.breakpoints else None)
        if step:
            run.hooks.append(self.uc.hook_add(UC_HOOK_CODE, self._on_step))
        else:
            run.hooks.append(self.uc.hook_add(UC_HOOK_BLOCK, self._on_block_poll, [0]))
        saved = {}
        if not breakpoints:
            saved, self.breakpoints = self.breakpoints, {}
        try:
            self.emu.stop = None
            stop = self.emu.run(pc, self.uc.reg_read(A.UC_ARM_REG_SP), until=0xFFFF_FFFE,
                                budget=self.fw.machine.max_instructions)
        finally:
            for h in run.hooks:
                self.uc.hook_del(h)
            if saved:
                self.breakpoints = saved
            self._echo_output()
        paused = run.trapped or run.interrupted
        if stop.kind in ("exit", "fault", "budget") or (stop.kind == "returned" and not paused):
            self.final = stop
        run.stop = stop
        return stop

    def _echo_output(self) -> None:
        out = self.emu.semihost.stdout
        if len(out) > self._printed:
            self.echo.write(bytes(out[self._printed:]).decode(errors="replace"))
            self.echo.flush()
            self._printed = len(out)

    def stop_reply(self, stop: Stop) -> str:
        run = self._run
        if stop.kind == "exit":
            return "W%02x" % ((self.emu.semihost.exit_code or 0) & 0xFF)
        if stop.kind == "returned" and not (run.trapped or run.interrupted):
            return "W00"
        if stop.kind == "fault":
            sig = _FAULT_SIGNALS.get(stop.detail, SIGSEGV)
            print(f"mcusim gdbserver: {self._describe_fault(stop)}", file=sys.stderr)
        elif stop.kind == "budget":
            sig = SIGXCPU
        else:
            sig = SIGINT if run.interrupted else SIGTRAP
        return "T%02xthread:01;" % sig

    def _describe_fault(self, stop: Stop) -> str:
        from .machine.faults import fault_error
        return str(fault_error(self.emu, stop)).splitlines()[0]

    # -- registers and memory -------------------------------------------------------------------
    def read_register(self, n: int) -> bytes:
        name = self.reg_names[n]
        value = self.uc.reg_read(_uc_reg(name))
        if name == "pc":
            value &= ~1
        return struct.pack("<Q" if name.startswith("d") else "<I", value & (2 ** 64 - 1))

    def write_register(self, n: int, data: bytes) -> None:
        name = self.reg_names[n]
        value = struct.unpack("<Q" if name.startswith("d") else "<I", data)[0]
        if name == "pc":
            value |= 1                     # M-profile: always Thumb
        self.uc.reg_write(_uc_reg(name), value)

    def _reg_sizes(self) -> list[int]:
        return [8 if n.startswith("d") else 4 for n in self.reg_names]

    # -- packets ----------------------------------------------------------------------------------
    def handle(self, packet: str) -> str | None:
        """The reply to one packet; None ends the session (k, D, vKill)."""
        cmd = packet[:1]
        if packet.startswith("qSupported"):
            return f"PacketSize={PACKET_SIZE:x};qXfer:features:read+;QStartNoAckMode+;vContSupported+"
        if packet == "QStartNoAckMode":
            self._ack_off_pending = True
            return "OK"
        if packet.startswith("qXfer:features:read:"):
            return self._xfer(packet)
        if packet == "?":
            return "T%02xthread:01;" % SIGTRAP if self.final is None else self.stop_reply(self.final)
        if packet in ("qAttached",):
            return "1"
        if packet == "qC":
            return "QC01"
        if packet == "qfThreadInfo":
            return "m01"
        if packet == "qsThreadInfo":
            return "l"
        if packet == "qSymbol::":
            return "OK"
        if cmd == "H" or cmd == "T":
            return "OK"
        if packet == "vCont?":
            return "vCont;c;C;s;S"
        if packet.startswith("vCont;"):
            action = packet[6:7].lower()
            return self.stop_reply(self.resume(step=action == "s"))
        if cmd in "cCsS" and cmd:
            if ";" in packet or (cmd in "cs" and len(packet) > 1):
                addr = packet[1:].split(";")[-1] if cmd in "cs" else packet.partition(";")[2]
                if addr:
                    self.uc.reg_write(A.UC_ARM_REG_PC, int(addr, 16) | 1)
            return self.stop_reply(self.resume(step=cmd in "sS"))
        if cmd == "g":
            return b"".join(self.read_register(i) for i in range(len(self.reg_names))).hex()
        if cmd == "G":
            data, offset = bytes.fromhex(packet[1:]), 0
            for i, size in enumerate(self._reg_sizes()):
                if offset + size <= len(data):
                    self.write_register(i, data[offset:offset + size])
                offset += size
            return "OK"
        if cmd == "p":
            n = int(packet[1:], 16)
            return self.read_register(n).hex() if n < len(self.reg_names) else "E00"
        if cmd == "P":
            reg, _, value = packet[1:].partition("=")
            n = int(reg, 16)
            if n >= len(self.reg_names):
                return "E00"
            self.write_register(n, bytes.fromhex(value))
            return "OK"
        if cmd == "m":
            addr, _, length = packet[1:].partition(",")
            try:
                return bytes(self.uc.mem_read(int(addr, 16), int(length, 16))).hex()
            except UcError:
                return "E14"
        if cmd == "M":
            where, _, data = packet[1:].partition(":")
            addr = int(where.partition(",")[0], 16)
            try:
                self.uc.mem_write(addr, bytes.fromhex(data))
            except UcError:
                return "E14"
            return "OK"
        if cmd in "Zz" and packet[1:2] in ("0", "1"):
            addr = int(packet[3:].split(",")[0], 16) & ~1
            if cmd == "Z" and addr not in self.breakpoints:
                self.breakpoints[addr] = self.uc.hook_add(UC_HOOK_CODE, self._on_break, begin=addr, end=addr)
            elif cmd == "z" and addr in self.breakpoints:
                self.uc.hook_del(self.breakpoints.pop(addr))
            return "OK"
        if packet in ("k", "vKill") or packet.startswith("vKill;"):
            self.killed = self.final is None
            return None
        if cmd == "D":
            self.detached = True
            return None
        return ""                                  # unsupported: gdb falls back or does without

    def _xfer(self, packet: str) -> str:
        annex, _, span = packet[len("qXfer:features:read:"):].partition(":")
        if annex != "target.xml":
            return "E00"
        offset, _, length = span.partition(",")
        offset, length = int(offset, 16), int(length, 16)
        chunk = self.xml[offset:offset + length]
        more = offset + length < len(self.xml)
        return ("m" if more else "l") + escape_binary(chunk).decode("latin-1")

    # -- the connection ---------------------------------------------------------------------------
    def _recv_more(self) -> bool:
        data = self.conn.recv(65536)
        if not data:
            return False
        self._buf += data
        return True

    def read_packet(self) -> str | None:
        """The next packet's payload, "\\x03" for an interrupt, or None when gdb hung up."""
        while True:
            while self._buf[:1] in (b"+", b"-"):
                if self._buf[:1] == b"-" and self._last_sent:
                    self.conn.sendall(self._last_sent)
                self._buf = self._buf[1:]
            if self._buf[:1] == b"\x03":
                self._buf = self._buf[1:]
                return "\x03"
            start = self._buf.find(b"$")
            end = self._buf.find(b"#", start + 1) if start >= 0 else -1
            if start >= 0 and end >= 0 and len(self._buf) >= end + 3:
                payload, sent_sum = self._buf[start + 1:end], self._buf[end + 1:end + 3]
                self._buf = self._buf[end + 3:]
                if self._ack:
                    good = int(sent_sum, 16) == checksum(payload)
                    self.conn.sendall(b"+" if good else b"-")
                    if not good:
                        continue
                return payload.decode("latin-1")
            if start > 0:
                self._buf = self._buf[start:]
            if not self._recv_more():
                return None

    def send(self, payload: str) -> None:
        self._last_sent = frame(payload.encode("latin-1"))
        self.conn.sendall(self._last_sent)

    def accept(self) -> None:
        print(f"mcusim gdbserver: waiting for gdb on {self.listener.getsockname()[0]}:{self.port} "
              f"(target remote :{self.port})", file=sys.stderr)
        self.conn, _peer = self.listener.accept()
        self.conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def session(self) -> None:
        """Answer packets until gdb kills, detaches or hangs up."""
        self.detached = False
        self._ack_off_pending = False
        while True:
            packet = self.read_packet()
            if packet is None:
                break
            if packet == "\x03":
                continue                       # already stopped
            reply = self.handle(packet)
            if reply is None:
                if not self.killed:
                    self.send("OK")
                break
            self.send(reply)
            if self._ack_off_pending:
                self._ack, self._ack_off_pending = False, False
        self.conn.close()
        self.listener.close()

    def finish(self):
        """After the session: run a detached program to its end; return the RunResult."""
        from .machine.firmware import RunResult

        if self.final is None and not self.killed:
            self.resume(breakpoints=False)
        stop = self.final if self.final is not None else Stop("returned")
        if self.killed:
            stop = Stop("returned")
        return self.fw._result(RunResult, self.emu, stop)


def serve(firmware, port: int, host: str = "127.0.0.1", echo=None, announce=None):
    """Wait for gdb on ``host:port`` (loopback by default), debug ``firmware``'s main(), return its RunResult.

    ``announce``: a text stream told, once listening, the port (0 picks a free one) and the
    gdb commands that attach with symbols. Raises the located fault (MemoryFault, ...) if the
    program faulted, as Firmware.run() does."""
    server = GdbServer(firmware, port, host, echo=echo)
    if announce is not None:
        print(f"mcusim: gdb server listening on {host}:{server.port}; attach with: "
              f"gdb-multiarch -ex 'file {firmware.elf_path}' -ex 'target remote :{server.port}'",
              file=announce, flush=True)
    server.accept()
    server.session()
    return server.finish()
