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

Every packet is hostile until parsed (simulator/gdb_packets.py): payloads are bounded by the
advertised PacketSize and parsed in linear time, fields strictly; a malformed packet gets an
``E`` reply and the session goes on; ``m`` reads at most what one reply packet can carry; a reset
connection ends the session like a hang-up (the program then runs to its end and its result is
reported). Packets are dispatched by tables (command character, then q/Q/v names), as pyOCD's
gdbserver does (simulator/gdb_commands.py).

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

from unicorn import UC_HOOK_BLOCK, UC_HOOK_CODE
from unicorn import arm_const as A

from .errors import ConfigError
from .gdb_commands import GdbCommands
from .gdb_packets import (PACKET_SIZE, SIGINT, SIGILL, SIGSEGV, SIGTRAP, SIGXCPU, PacketError,  # noqa: F401 (re-exported)
                          PacketParser, checksum, escape_binary, frame)
from .machine.faults import fault_error
from .machine.firmware import RunResult
from .machine.stop import Stop

POLL_EVERY_BLOCKS = 4096          # how often a running target looks for ^C from gdb
CORE_REGS = [f"r{i}" for i in range(13)] + ["sp", "lr", "pc", "xpsr"]
FPU_REGS = [f"d{i}" for i in range(16)] + ["fpscr"]
_FAULT_SIGNALS = {"memory": SIGSEGV, "undefined": SIGILL, "nocp": SIGILL, "unaligned": SIGSEGV}
# Other stops by kind: a resource limit is SIGXCPU (gdb shows "CPU time limit exceeded"); a stop
# not listed (breakpoint, step, ^C) is SIGTRAP, or SIGINT when gdb interrupted the run.
_STOP_SIGNALS = {"budget": SIGXCPU, "wallclock": SIGXCPU, "output": SIGXCPU, "wfi": SIGTRAP}
_STOP_NOTES = {"wfi": "WFI with no interrupt to wait for: the run ends here"}

# Stops after which the program cannot go on (WFI: no interrupt will ever come; the limits
# of simulator/limits.py): a continue after one of them reports it again instead of running.
FINAL_STOPS = ("exit", "fault", "budget", "wallclock", "output", "wfi")


def check_port(port) -> int:
    """A TCP port to listen on: 1-65535, or 0 for any free one."""
    if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
        raise ConfigError(f"--gdb {port}: a TCP port is 1-65535 (0 picks a free one)")
    return port


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


@dataclass
class _Run:
    """What the last resume did."""
    stop: Stop | None = None
    trapped: bool = False
    interrupted: bool = False
    stepped_once: bool = False
    skip_break_at: int | None = None
    hooks: list = field(default_factory=list)


class GdbServer(GdbCommands):
    """One debug session of one firmware's main(). ``port=0`` picks a free port (see ``.port``);
    ``listen=False`` opens no socket (the fuzzer drives :meth:`handle` directly)."""

    def __init__(self, firmware, port: int = 0, host: str = "127.0.0.1", echo=None, listen: bool = True):
        check_port(port)
        self.fw = firmware
        self.emu = firmware.emulator()
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
        self._ack_off_pending = False
        self.detached = False
        self._parser = PacketParser(PACKET_SIZE)
        self._hung_up = False
        self._last_sent = b""
        self.conn: socket.socket | None = None
        self._tables()
        self.listener = self.port = None          # listen=False: packets go to handle() directly
        if listen:
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
        if user[0] % POLL_EVERY_BLOCKS == 0 and self.conn is not None and not self._hung_up:
            if select.select([self.conn], [], [], 0)[0]:
                # Whatever arrived is parsed now; packets wait in the queue for the session.
                events = self._parser.events
                if not self._recv_more():
                    self._hung_up = True          # gdb went away: run on to the end
                elif any(e[0] == "interrupt" for e in events):
                    self._parser.events = type(events)(e for e in events if e[0] != "interrupt")
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
            stop = self.emu.run(pc, self.uc.reg_read(A.UC_ARM_REG_SP), until=0xFFFF_FFFE,
                                budget=self.fw.machine.max_instructions)
        finally:
            for h in run.hooks:
                self.uc.hook_del(h)
            if saved:
                self.breakpoints = saved
            self._echo_output()
        paused = run.trapped or run.interrupted
        if stop.kind in FINAL_STOPS or (stop.kind == "returned" and not paused):
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
        else:
            sig = _STOP_SIGNALS.get(stop.kind, SIGINT if run.interrupted else SIGTRAP)
            if stop.kind in _STOP_NOTES:
                print(f"mcusim gdbserver: {_STOP_NOTES[stop.kind]}", file=sys.stderr)
        return "T%02xthread:01;" % sig

    def _describe_fault(self, stop: Stop) -> str:
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

    # -- the connection ---------------------------------------------------------------------------
    def _recv_more(self) -> bool:
        """Feed what gdb sent to the parser; False once gdb hung up or the connection broke."""
        try:
            data = self.conn.recv(65536)
        except OSError:
            return False
        if not data:
            return False
        self._parser.feed(data)
        return True

    def _sendall(self, data: bytes) -> None:
        try:
            self.conn.sendall(data)
        except OSError:
            self._hung_up = True

    def read_packet(self) -> str | None:
        """The next packet's payload, "\x03" for an interrupt, or None when gdb hung up."""
        events = self._parser.events
        while not self._hung_up:
            while events:
                event = events.popleft()
                kind = event[0]
                if kind == "nak" and self._last_sent:
                    self._sendall(self._last_sent)
                elif kind == "interrupt":
                    return "\x03"
                elif kind == "oversize":
                    self._sendall(b"+" if self._ack else b"")
                    self.send(PacketError("packet too long", code=0x07).reply)   # E2BIG
                elif kind == "packet":
                    _, payload, good = event
                    if self._ack:
                        self._sendall(b"+" if good else b"-")
                        if not good:
                            continue
                    return payload.decode("latin-1")
            if not self._recv_more():
                return None
        return None

    def send(self, payload: str) -> None:
        self._last_sent = frame(payload.encode("latin-1"))
        self._sendall(self._last_sent)

    def accept(self) -> None:
        print(f"mcusim gdbserver: waiting for gdb on {self.listener.getsockname()[0]}:{self.port} "
              f"(target remote :{self.port})", file=sys.stderr)
        self.conn, _peer = self.listener.accept()
        self.conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def session(self) -> None:
        """Answer packets until gdb kills, detaches or hangs up (a reset connection is a hang-up)."""
        self.detached = False
        self._ack_off_pending = False
        try:
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
        finally:
            self._hung_up = True                   # finish() runs on without polling the socket
            self.conn.close()
            self.listener.close()

    def finish(self):
        """After the session: run a detached program to its end; return the RunResult."""
        if self.final is None and not self.killed:
            self.resume(breakpoints=False)
        stop = self.final if self.final is not None else Stop("returned")
        if self.killed:
            stop = Stop("returned")
        return self.fw.result(self.emu, stop)


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
